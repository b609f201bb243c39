@testable import Approval
import Foundation
import Store
import Testing

/// An approver's first key is made inside the approval's transaction; it may only be reused once
/// that transaction has committed it (issue: signing keys cached before commit).
@Suite("Approvers' signing keys", .serialized)
struct SigningKeysTests {
    struct RolledBack: Error {}

    @Test("A key made in a transaction that rolls back is never used: the next approval's key is one publishing can verify")
    func keyCachedOnlyOnceCommitted() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        // A user who approves nothing in the other tests, without a key yet.
        let user: UUID = try await pool.withTransaction { connection in
            let id: UUID = try connection.query("SELECT id FROM core.users WHERE login = 'ketoan.mai'").one().decode("id")
            try connection.query("DELETE FROM editorial.signing_keys WHERE user_id = $1", [id])
            return id
        }
        let keys = SigningKeys(secret: "integration-test-secret")
        do {
            try await pool.withTransaction { connection in
                _ = try keys.key(for: user, on: connection)
                throw RolledBack()  // the approval failed after the key was made
            }
        } catch is RolledBack {}
        let (id, publicKey) = try await pool.withTransaction { connection in
            let made = try keys.key(for: user, on: connection)
            return (made.id, Array(made.key.publicKey.rawRepresentation))
        }
        let registered = try await pool.withConnection { connection in
            try connection.query("SELECT public_key FROM core.signing_keys WHERE id = $1 AND user_id = $2", [id, user]).rows.first?
                .decode("public_key", as: ByteA.self).bytes
        }
        #expect(registered == publicKey, "the approver would sign with a key nobody can verify")
        await pool.close()
    }
}

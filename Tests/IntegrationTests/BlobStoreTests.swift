import Foundation
import ServiceKit
import Store
import Testing

@Suite("Content-addressed blob store", .serialized)
struct BlobStoreTests {
    /// Every byte value, and enough of them to cross PostgreSQL's TOAST threshold.
    static let payload: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) } + Array(UUID().uuidString.utf8)

    @Test("PostgreSQL: same bytes, same key, stored once; read back exactly")
    func postgresStoresOnce() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let store = PostgresBlobStore(database: pool)
        let first = try await store.put(Self.payload, contentType: "application/octet-stream")
        let again = try await store.put(Self.payload, contentType: "image/png")
        #expect(first == again)
        #expect(first.size == Self.payload.count)
        #expect(BlobReference.isValidDigest(first.sha256))
        #expect(try await store.get(first.sha256) == Self.payload)
        let rows = try await pool.withConnection {
            try $0.query("SELECT count(*) AS n FROM core.blobs WHERE sha256 = $1", [first.sha256]).one().decode("n", as: Int.self)
        }
        #expect(rows == 1)
        #expect(try await store.get(String(repeating: "0", count: 64)) == nil)
        #expect(try await store.get("../etc/passwd") == nil)
        await pool.close()
    }

    @Test("PostgreSQL and directory backends agree on the key")
    func backendsAgree() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = DirectoryBlobStore(root: root)
        let bytes = Array("Bến Lức, Long An".utf8)
        let fromDirectory = try await directory.put(bytes, contentType: "text/plain")
        let fromDatabase = try await PostgresBlobStore(database: pool).put(bytes, contentType: "text/plain")
        #expect(fromDirectory.sha256 == fromDatabase.sha256)
        #expect(try await directory.get(fromDirectory.sha256) == bytes)
        // The digest of this text, computed independently.
        let expected = try env.run("/usr/bin/sh", ["-c", "printf '%s' 'Bến Lức, Long An' | sha256sum | cut -c1-64"]).output
        #expect(fromDatabase.sha256 == expected.trimmingCharacters(in: .whitespacesAndNewlines))
        await pool.close()
    }

    @Test("Directory: a file changed on disk is refused, not served")
    func directoryDetectsCorruption() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = DirectoryBlobStore(root: root)
        let reference = try await store.put(Array("original".utf8), contentType: "text/plain")
        let file = root.appendingPathComponent(String(reference.sha256.prefix(2))).appendingPathComponent(reference.sha256)
        try Data("tampered".utf8).write(to: file)
        await #expect(throws: DirectoryBlobStore.BlobCorrupted.self) { _ = try await store.get(reference.sha256) }
    }
}

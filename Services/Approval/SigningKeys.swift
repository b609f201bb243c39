import Crypto
import Foundation
import Logging
import ServiceKit
import Store

/// Approvers' Ed25519 keys, one per approver, made on their first approval. The private key is
/// stored sealed (AES-GCM) under a key derived from `APPROVAL_KEY_SECRET`; the public key goes to
/// `core.signing_keys`, where publishing reads it.
struct SigningKeys: Sendable {
    /// The AES-256 key that seals private keys, derived from the secret (HKDF-SHA256).
    private let sealingKeyBytes: [UInt8]

    init(secret: String) {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), salt: Data("longan-portal approval keys".utf8),
            info: Data("ed25519 private keys at rest".utf8), outputByteCount: 32)
        sealingKeyBytes = key.withUnsafeBytes { Array($0) }
    }

    private var sealingKey: SymmetricKey { SymmetricKey(data: sealingKeyBytes) }

    struct Opened: Sendable {
        let id: String
        let raw: [UInt8]
    }

    /// Keys already opened, so that a run of approvals does not read and unseal the key each time.
    /// A retired key stops being used within this lifetime (docs/operations.md).
    private let opened = ExpiringCache<UUID, Opened>(lifetime: .seconds(300))

    /// `APPROVAL_KEY_SECRET`, or in development a secret kept in `<data dir>/secrets/`, made once.
    static func secret(environment: [String: String], dataDirectory: String, logger: Logger) throws -> String {
        if let secret = environment["APPROVAL_KEY_SECRET"], !secret.isEmpty { return secret }
        let folder = "\(dataDirectory)/secrets"
        let path = "\(folder)/approval-key-secret"
        if let existing = FileManager.default.contents(atPath: path), !existing.isEmpty {
            return String(decoding: existing, as: UTF8.self)
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        logger.warning("APPROVAL_KEY_SECRET is not set; using a secret made for this data folder (set it in production)", metadata: ["path": .string(path)])
        return secret
    }

    /// The approver's key and its id, made and registered on first use, in the caller's transaction.
    ///
    /// Only a key read back from the table is cached: that row was committed by an earlier
    /// transaction. A key made here exists only if the caller's transaction commits; cached
    /// now, a rollback would leave the approver signing with a key nobody can verify. The
    /// next approval reads it from the table and caches it then.
    func key(for user: UUID, on connection: Connection) throws -> (id: String, key: Curve25519.Signing.PrivateKey) {
        if let cached = opened.value(for: user) {
            return (cached.id, try Curve25519.Signing.PrivateKey(rawRepresentation: cached.raw))
        }
        let found = try stored(for: user, on: connection)
        if !found.made {
            opened.store(Opened(id: found.id, raw: Array(found.key.rawRepresentation)), for: user)
        }
        return (found.id, found.key)
    }

    private func stored(for user: UUID, on connection: Connection) throws -> (id: String, key: Curve25519.Signing.PrivateKey, made: Bool) {
        if let row = try connection.query(
            "SELECT id, sealed_private_key FROM editorial.signing_keys WHERE user_id = $1", [user]
        ).rows.first {
            do {
                let sealed = try AES.GCM.SealedBox(combined: try row.decode("sealed_private_key", as: ByteA.self).bytes)
                let raw = try AES.GCM.open(sealed, using: sealingKey)
                return (try row.decode("id"), try Curve25519.Signing.PrivateKey(rawRepresentation: raw), false)
            } catch {
                // The key was sealed under another secret: a configuration error, not the approver's.
                throw APIError(
                    .serviceUnavailable, code: "signing_key_unavailable",
                    message: "The approver's signing key cannot be opened with this server's APPROVAL_KEY_SECRET; ask the operator (docs/operations.md).")
            }
        }
        let key = Curve25519.Signing.PrivateKey()
        let id = ApprovalSignature.keyId(for: key.publicKey)
        guard let sealed = try AES.GCM.seal(key.rawRepresentation, using: sealingKey).combined else {
            throw CryptoKitError.incorrectParameterSize
        }
        // Two first approvals at once: the second waits for the first's commit and uses its key.
        let inserted = try connection.query(
            """
            INSERT INTO editorial.signing_keys (id, user_id, sealed_private_key) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO NOTHING RETURNING id
            """, [id, user, ByteA(Array(sealed))]).rows.count
        guard inserted == 1 else { return try stored(for: user, on: connection) }
        try connection.query(
            "INSERT INTO core.signing_keys (id, user_id, public_key) VALUES ($1, $2, $3)", [id, user, ByteA(Array(key.publicKey.rawRepresentation))])
        return (id, key, true)
    }
}

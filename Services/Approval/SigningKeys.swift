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
    func key(for user: UUID, on connection: Connection) throws -> (id: String, key: Curve25519.Signing.PrivateKey) {
        if let row = try connection.query(
            "SELECT id, sealed_private_key FROM editorial.signing_keys WHERE user_id = $1", [user]
        ).rows.first {
            do {
                let sealed = try AES.GCM.SealedBox(combined: try row.decode("sealed_private_key", as: ByteA.self).bytes)
                let raw = try AES.GCM.open(sealed, using: sealingKey)
                return (try row.decode("id"), try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
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
        try connection.query(
            "INSERT INTO editorial.signing_keys (id, user_id, sealed_private_key) VALUES ($1, $2, $3)", [id, user, ByteA(Array(sealed))])
        try connection.query(
            "INSERT INTO core.signing_keys (id, user_id, public_key) VALUES ($1, $2, $3)", [id, user, ByteA(Array(key.publicKey.rawRepresentation))])
        return (id, key)
    }
}

import Crypto
import Foundation
import Models

/// How an approval binds an approver to content: Ed25519 over the SHA-256 of the canonical
/// revision. The approval service signs; publishing verifies with the key in `core.signing_keys`.
public enum ApprovalSignature {
    /// `ed25519:` and the first 16 hex digits of the SHA-256 of the raw public key.
    public static func keyId(for publicKey: Curve25519.Signing.PublicKey) -> String {
        "ed25519:" + String(SHA256.hash(data: publicKey.rawRepresentation).hexString.prefix(16))
    }

    public static func digest(of content: CanonicalRevision) -> SHA256.Digest {
        SHA256.hash(data: content.canonicalBytes)
    }

    /// The hex hash and the base64 signature of `content`.
    public static func sign(_ content: CanonicalRevision, with key: Curve25519.Signing.PrivateKey) throws -> (sha256: String, signature: String) {
        let digest = digest(of: content)
        let signature = try key.signature(for: Data(digest))
        return (digest.hexString, signature.base64EncodedString())
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case contentChanged
        case badSignature
        case malformed(String)

        public var description: String {
            switch self {
            case .contentChanged: "the content differs from what was approved (its SHA-256 does not match)"
            case .badSignature: "the signature does not verify with the approver's key"
            case .malformed(let what): "malformed approval: \(what)"
            }
        }
    }

    /// Checks that `approval.content` is what was signed, and that `publicKey` signed it.
    public static func verify(_ approval: ArticleApproved, publicKey: [UInt8]) throws {
        let digest = digest(of: approval.content)
        guard digest.hexString == approval.contentSHA256 else { throw Problem.contentChanged }
        guard let signature = Data(base64Encoded: approval.signature) else { throw Problem.malformed("signature is not base64") }
        let key: Curve25519.Signing.PublicKey
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        } catch {
            throw Problem.malformed("public key: \(error)")
        }
        guard key.isValidSignature(signature, for: Data(digest)) else { throw Problem.badSignature }
    }
}

import Crypto
import Foundation
import Store

/// The alternative backend for large deployments: one file per blob under a directory that
/// every instance shares (`<root>/<first two hex digits>/<digest>`). Files are written to a
/// temporary name and renamed, so a reader never sees half a blob, and checked against their
/// digest when read.
public struct DirectoryBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func put(_ bytes: [UInt8], contentType: String) async throws -> BlobReference {
        let digest = SHA256.hash(data: bytes).hexString
        let file = path(for: digest)
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: file.path) {
            try fileManager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(digest).\(UUID().uuidString).tmp")
            try Data(bytes).write(to: temporary)
            if rename(temporary.path, file.path) != 0 {
                try? fileManager.removeItem(at: temporary)
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
            }
        }
        return BlobReference(sha256: digest, size: bytes.count, contentType: contentType)
    }

    public func get(_ sha256: String) async throws -> [UInt8]? {
        guard BlobReference.isValidDigest(sha256) else { return nil }
        guard let data = FileManager.default.contents(atPath: path(for: sha256).path) else { return nil }
        let bytes = [UInt8](data)
        guard SHA256.hash(data: bytes).hexString == sha256 else {
            throw BlobCorrupted(sha256: sha256)
        }
        return bytes
    }

    func path(for digest: String) -> URL {
        root.appendingPathComponent(String(digest.prefix(2))).appendingPathComponent(digest)
    }

    /// A stored file no longer matches its digest.
    public struct BlobCorrupted: Error, CustomStringConvertible {
        public let sha256: String
        public var description: String { "blob \(sha256) does not match its digest" }
    }
}

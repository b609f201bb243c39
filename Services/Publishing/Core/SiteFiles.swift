import CompressNIO
import Crypto
import Foundation
import Glibc
import NIOCore
import Synchronization

/// The published sites as files under `<data>/sites/<domain>/`. Every write goes to a temporary
/// file first and is renamed into place, so a reader sees the old page or the new one, never half.
public final class SiteFiles: Sendable {
    public let root: String
    /// Pages read once and kept, by path, while the file is the same (inode, size and modification time).
    private let cache = Mutex(CacheState())
    /// Entries and bytes (page and gzipped copy) the cache may hold: bounded by bytes, not
    /// only by count, so that large files cannot make the process grow without end. When
    /// either is reached the cache starts afresh; the pages people read come back at once.
    static let cacheLimit = 8192
    static let cacheBytesLimit = 128 * 1024 * 1024
    /// Larger files (attachments, videos) are read from disk each time, never kept.
    static let cacheFileLimit = 2 * 1024 * 1024

    private struct CacheState {
        var entries: [String: Cached] = [:]
        var bytes = 0
    }

    public init(dataDirectory: String) {
        root = "\(dataDirectory)/sites"
    }

    /// This folder's name as a writer of pages (`publishing.page_changes`, `stale_sites`): made
    /// once and kept in the folder, so that instances serving one folder share it, and a copy on
    /// another machine has its own.
    public func writerIdentity() throws -> String {
        let path = "\(root)/.writer"
        if let kept = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !kept.isEmpty {
            return kept
        }
        try writeAtomically(Array(UUID().uuidString.lowercased().utf8), to: path)
        // Two instances starting together on one new folder: both read the one that won.
        return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func path(_ domain: String, _ page: String) -> String {
        "\(root)/\(domain)/\(page)"
    }

    public func write(_ text: String, domain: String, page: String) throws {
        try write(Array(text.utf8), domain: domain, page: page)
    }

    public func write(_ bytes: [UInt8], domain: String, page: String) throws {
        try writeAtomically(bytes, to: path(domain, page))
    }

    /// Writes `bytes` to a temporary file beside `target` and renames it into place. `durable`:
    /// flushed to the disk before the rename; a batch's files are written without and flushed
    /// together by `Batch.sync`.
    func writeAtomically(_ bytes: [UInt8], to target: String, durable: Bool = true) throws {
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\(UUID().uuidString.lowercased()).tmp"
        do {
            try Self.write(bytes, to: temporary, durable: durable)
        } catch {
            // A full disk leaves part of the file: it goes, and the page keeps its old bytes.
            unlink(temporary)
            throw WriteFailure(path: target, cause: error)
        }
        guard rename(temporary, target) == 0 else {
            let cause = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            unlink(temporary)
            throw WriteFailure(path: target, cause: cause)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String, durable: Bool) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
        if durable { try flush(descriptor) }
    }

    private static func flush(_ descriptor: Int32) throws {
        while fsync(descriptor) != 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }

    /// Files written for one transaction and made durable together before it commits: each is
    /// written and renamed into place without a flush of its own, then `sync` flushes them all and
    /// their folders (so that the renames last too). On a busy disk one flush per file cost the
    /// publisher several milliseconds each, on the path of every publication.
    public final class Batch {
        let files: SiteFiles
        private var written: [String] = []
        /// Folders a file was removed from: flushed with the rest, so that the removals last.
        private var removedFrom: Set<String> = []

        init(_ files: SiteFiles) {
            self.files = files
        }

        public func write(_ text: String, domain: String, page: String) throws {
            try write(Array(text.utf8), domain: domain, page: page)
        }

        public func write(_ bytes: [UInt8], domain: String, page: String) throws {
            let target = files.path(domain, page)
            try files.writeAtomically(bytes, to: target, durable: false)
            written.append(target)
        }

        /// Removes a file, if it is there; the removal is made durable with the batch.
        func remove(domain: String, page: String) throws {
            let target = files.path(domain, page)
            guard unlink(target) == 0 || errno == ENOENT else {
                throw WriteFailure(path: target, cause: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            removedFrom.insert((target as NSString).deletingLastPathComponent)
        }

        /// Marks a page as taken down: it answers 410 with the page written for it.
        func markGone(domain: String, page: String) throws {
            try write("", domain: domain, page: page + ".gone")
        }

        /// Flushes every file written so far, then their folders.
        public func sync() throws {
            var folders = Set<String>()
            for folder in removedFrom where FileManager.default.fileExists(atPath: folder) { folders.insert(folder) }
            removedFrom.removeAll()
            for path in written {
                try Self.flush(path, flags: O_RDONLY)
                folders.insert((path as NSString).deletingLastPathComponent)
            }
            for folder in folders { try Self.flush(folder, flags: O_RDONLY | O_DIRECTORY) }
            written.removeAll()
        }

        private static func flush(_ path: String, flags: Int32) throws {
            let descriptor = open(path, flags | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw WriteFailure(path: path, cause: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
            }
            defer { close(descriptor) }
            do { try SiteFiles.flush(descriptor) } catch { throw WriteFailure(path: path, cause: error) }
        }
    }

    /// A batch of writes made durable together by its `sync`.
    public func batch() -> Batch { Batch(self) }

    /// A page that could not be written, saying why in an operator's words (a full disk first).
    public struct WriteFailure: Error, CustomStringConvertible {
        public var path: String
        public var cause: any Error

        public var description: String {
            let full = (cause as? POSIXError)?.code == .ENOSPC || (cause as? CocoaError)?.code == .fileWriteOutOfSpace
                || ((cause as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ENOSPC)
            return full ? "no space left on the disk of the sites' folder: \(path) was not written"
                : "\(path) was not written: \(cause.localizedDescription)"
        }
    }

    func exists(domain: String, page: String) -> Bool {
        FileManager.default.fileExists(atPath: path(domain, page))
    }

    func clearGone(domain: String, page: String) {
        try? FileManager.default.removeItem(atPath: path(domain, page) + ".gone")
    }

    func writeRedirects(_ text: String) throws {
        try writeAtomically(Array(text.utf8), to: "\(root)/redirects.map")
    }

    /// The redirects written by `SiteRegistry.writeRedirects`: domain → target domain.
    public func redirects() -> [String: String] {
        guard let file = cached("\(root)/redirects.map") else { return [:] }
        var map = [String: String]()
        for line in String(buffer: file.bytes).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.dropLast(line.hasSuffix(";") ? 1 : 0).split(separator: " ")
            if parts.count == 2 { map[String(parts[0])] = String(parts[1]) }
        }
        return map
    }

    public struct File: Sendable {
        public let bytes: ByteBuffer
        /// The same bytes gzip-compressed, for text that compresses (HTML, XML).
        public let gzipped: ByteBuffer?
        public let modified: Date
        /// A strong validator: the SHA-256 of the bytes served.
        public let etag: String
        public var gone = false
    }

    final class Cached: Sendable {
        let identity: FileIdentity
        let file: File
        /// Bytes held: the page and its gzipped copy.
        let size: Int
        init(identity: FileIdentity, file: File, size: Int) {
            self.identity = identity
            self.file = file
            self.size = size
        }
    }

    struct FileIdentity: Equatable {
        var inode: UInt64
        var size: Int64
        var modifiedNanoseconds: Int64
    }

    static func identity(_ path: String) -> (FileIdentity, isDirectory: Bool)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let nanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return (FileIdentity(inode: UInt64(info.st_ino), size: Int64(info.st_size), modifiedNanoseconds: nanoseconds),
                (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// The file for a request path; a folder means its `index.html`. Nil when there is none or the
    /// path tries to leave the site's folder.
    public func read(domain: String, path requested: String) -> File? {
        let clean = requested.split(separator: "/").map(String.init)
        guard !domain.contains("/"), !domain.hasPrefix("."), !domain.isEmpty,
              !clean.contains(where: { $0 == ".." || $0.hasPrefix(".") }), !requested.hasSuffix(".gone") else { return nil }
        var page = clean.joined(separator: "/")
        if page.isEmpty || requested.hasSuffix("/") { page += (page.isEmpty ? "" : "/") + "index.html" }
        let full = path(domain, page)
        guard let (_, isDirectory) = Self.identity(full) else { return nil }
        if isDirectory { return read(domain: domain, path: page + "/") }
        guard var file = cached(full) else { return nil }
        file.gone = Self.identity(full + ".gone") != nil
        return file
    }

    private func cached(_ full: String) -> File? {
        guard let (identity, isDirectory) = Self.identity(full), !isDirectory else { return nil }
        if let hit = cache.withLock({ $0.entries[full] }), hit.identity == identity { return hit.file }
        guard let data = FileManager.default.contents(atPath: full) else { return nil }
        let bytes = ByteBuffer(bytes: data)
        var gzipped: ByteBuffer?
        if Self.compresses(full), data.count > 256 {
            var input = bytes
            gzipped = try? input.compress(with: .gzip)
        }
        let hash = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined().prefix(32)
        let file = File(
            bytes: bytes, gzipped: gzipped, modified: Date(timeIntervalSince1970: Double(identity.modifiedNanoseconds) / 1e9),
            etag: "\"\(hash)\"")
        let size = data.count + (gzipped?.readableBytes ?? 0)
        guard data.count <= Self.cacheFileLimit else { return file }
        cache.withLock { cache in
            if cache.entries.count >= Self.cacheLimit || cache.bytes + size > Self.cacheBytesLimit {
                cache.entries.removeAll(keepingCapacity: true)
                cache.bytes = 0
            }
            if let replaced = cache.entries.updateValue(Cached(identity: identity, file: file, size: size), forKey: full) {
                cache.bytes -= replaced.size
            }
            cache.bytes += size
        }
        return file
    }

    static func compresses(_ path: String) -> Bool {
        ["html", "xml", "txt", "css", "svg", "json", "map"].contains((path as NSString).pathExtension.lowercased())
    }
}

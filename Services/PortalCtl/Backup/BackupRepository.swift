import Crypto
import Foundation
import Store

/// A folder of backups. Each backup is a folder named by its time (UTC) with the database dump
/// and a manifest, written last, so that a folder without one is a backup that did not finish.
/// The files of the data folder (sites, mail, secrets) are stored once by content under
/// `objects/`, shared by every backup that has them: a daily backup copies only what changed.
struct BackupRepository {
    let root: String
    static let manifestName = "manifest.json"
    static let dumpName = "database.dump"

    struct Manifest: Codable {
        var format = 1
        var id: UUID
        var createdAt: Date
        var database: DatabaseDump
        var files: [FileEntry]

        struct DatabaseDump: Codable {
            var file: String
            var sha256: String
            var bytes: Int64
            /// Rows of every table, counted in the dump's own snapshot.
            var counts: [String: Int64]
        }

        struct FileEntry: Codable {
            /// Relative to the data folder, e.g. `sites/longan.gov.vn/index.html`.
            var path: String
            var sha256: String
            var bytes: Int64
            var mode: Int
            /// Seconds since 1970: a file of the same size and time is not read again next time.
            var modified: Double
        }

        var bytes: Int64 { database.bytes + files.reduce(0) { $0 + $1.bytes } }
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    init(root: String) {
        self.root = (root as NSString).standardizingPath
    }

    /// `PORTAL_BACKUP_DIR`, else `backups` beside the data folder (never inside it, so that
    /// losing the data folder does not lose the backups; keep a copy on another machine too).
    static func configured(dataDirectory: String) -> String {
        ProcessInfo.processInfo.environment["PORTAL_BACKUP_DIR"]
            ?? ((dataDirectory as NSString).standardizingPath as NSString).deletingLastPathComponent + "/backups"
    }

    func folder(_ name: String) -> String { "\(root)/\(name)" }
    func objectPath(_ sha256: String) -> String { "\(root)/objects/\(sha256.prefix(2))/\(sha256)" }

    /// The finished backups' names, oldest first.
    func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return entries.filter { $0 != "objects" && FileManager.default.fileExists(atPath: "\(folder($0))/\(Self.manifestName)") }.sorted()
    }

    /// A backup by name, by path, or the newest (`latest`).
    func resolve(_ reference: String) throws -> String {
        if reference == "latest" {
            guard let newest = names().last else { throw Problem("no finished backup in \(root)") }
            return newest
        }
        let name = (reference as NSString).lastPathComponent
        guard FileManager.default.fileExists(atPath: "\(folder(name))/\(Self.manifestName)") else {
            throw Problem("no finished backup named \(name) in \(root) (a folder without \(Self.manifestName) did not finish)")
        }
        return name
    }

    func manifest(_ name: String) throws -> Manifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder(name))/\(Self.manifestName)"))
        return try Self.decoder.decode(Manifest.self, from: data)
    }

    func writeManifest(_ manifest: Manifest, name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try Self.writeAtomically(try encoder.encode(manifest), to: "\(folder(name))/\(Self.manifestName)")
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Stores a file's bytes under their hash unless already there; returns whether it was new.
    func store(_ bytes: Data, sha256: String) throws -> Bool {
        let target = objectPath(sha256)
        if FileManager.default.fileExists(atPath: target) { return false }
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Self.writeAtomically(bytes, to: target, permissions: 0o600)
        return true
    }

    /// Every stored part checked against its hash: the dump, then each file. Returns what is wrong.
    func check(_ manifest: Manifest, name: String, progress: (Int, Int) -> Void) -> [String] {
        var problems = [String]()
        let dump = "\(folder(name))/\(manifest.database.file)"
        if (try? Self.sha256(ofFileAt: dump)) != manifest.database.sha256 { problems.append("\(manifest.database.file): missing or changed") }
        for (index, file) in manifest.files.enumerated() {
            let stored = objectPath(file.sha256)
            if let data = FileManager.default.contents(atPath: stored) {
                if SHA256.hash(data: data).hexString != file.sha256 { problems.append("\(file.path): its stored copy is changed") }
            } else {
                problems.append("\(file.path): its stored copy is missing")
            }
            if index % 200 == 0 || index == manifest.files.count - 1 { progress(index + 1, manifest.files.count) }
        }
        return problems
    }

    /// Keeps the newest `keep` backups; removes the older ones and the stored files no kept
    /// backup needs. Returns the removed backups' names.
    func prune(keep: Int) throws -> [String] {
        let all = names()
        guard all.count > keep else { return [] }
        let removed = Array(all.prefix(all.count - keep))
        var needed = Set<String>()
        for name in all.suffix(keep) { needed.formUnion(try manifest(name).files.map(\.sha256)) }
        for name in removed { try FileManager.default.removeItem(atPath: folder(name)) }
        let objects = "\(root)/objects"
        for prefix in (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [] {
            for sha in (try? FileManager.default.contentsOfDirectory(atPath: "\(objects)/\(prefix)")) ?? [] where !needed.contains(sha) {
                try? FileManager.default.removeItem(atPath: "\(objects)/\(prefix)/\(sha)")
            }
        }
        return removed
    }

    static func sha256(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Problem("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().hexString
    }

    static func writeAtomically(_ data: Data, to target: String, permissions: Int? = nil) throws {
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\(UUID().uuidString.lowercased()).tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        if let permissions { try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary) }
        guard rename(temporary, target) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Problem("cannot write \(target): \(String(cString: strerror(errno)))")
        }
    }
}

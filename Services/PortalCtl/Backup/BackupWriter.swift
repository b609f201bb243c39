import Crypto
import Foundation
import Store

/// Takes one backup: the database as `pg_dump` writes it from one snapshot, with the rows of every
/// table counted in that same snapshot, and every file of the data folder, stored by content.
struct BackupWriter {
    let repository: BackupRepository
    let dataDirectory: String
    let databaseURL: String
    let say: @Sendable (String) -> Void

    /// One backup at a time across machines: a second waits for no one and says so.
    static let lockKey: Int64 = 0x4C41_4241_434B_5550

    struct Outcome {
        var name: String
        var manifest: BackupRepository.Manifest
        var newFiles: Int
        var seconds: Double
    }

    func write(on connection: Connection) throws -> Outcome {
        guard try connection.query("SELECT pg_try_advisory_lock($1) AS locked", [Self.lockKey]).one().decode("locked", as: Bool.self) else {
            throw BackupRepository.Problem("another backup is running")
        }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        let started = ContinuousClock.now
        let id = UUID()
        let name = Self.name(for: Date())
        let folder = repository.folder(name)
        try connection.query("INSERT INTO core.backups (id, location) VALUES ($1, $2)", [id, folder])
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: repository.root)
            let database = try dump(into: folder, on: connection)
            let (files, newFiles) = try copyFiles()
            let manifest = BackupRepository.Manifest(id: id, createdAt: Date(), database: database, files: files)
            try repository.writeManifest(manifest, name: name)
            try connection.query(
                "UPDATE core.backups SET status = 'ok', finished_at = now(), bytes = $2, files = $3 WHERE id = $1",
                [id, manifest.bytes, files.count])
            let elapsed = ContinuousClock.now - started
            return Outcome(name: name, manifest: manifest, newFiles: newFiles,
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        } catch {
            _ = try? connection.query(
                "UPDATE core.backups SET status = 'failed', finished_at = now(), detail = $2 WHERE id = $1", [id, "\(error)"])
            throw error
        }
    }

    /// `2026-12-02T10-15-00Z`: sorts by time, and is a valid file name everywhere.
    static func name(for date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss'Z'"
        return formatter.string(from: date)
    }

    /// The dump and the counts from one exported snapshot, so that they describe the same instant.
    func dump(into folder: String, on connection: Connection) throws -> BackupRepository.Manifest.DatabaseDump {
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        defer { _ = try? connection.query("COMMIT") }
        let snapshot: String = try connection.query("SELECT pg_export_snapshot() AS id").one().decode("id")
        say("database: counting the rows of every table…")
        let counts = try PostgresTools.counts(on: connection)
        let total = counts.values.reduce(0, +)
        say("database: \(counts.count) tables, \(total.formatted()) rows; dumping…")
        let file = "\(folder)/\(BackupRepository.dumpName)"
        let say = self.say
        try PostgresTools.run(
            "pg_dump", ["--format=custom", "--snapshot=\(snapshot)", "--file=\(file)", "--dbname=\(databaseURL)"],
            ticker: {
                let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                say("database: \(bytes / 1_048_576) MB written…")
            })
        let bytes = Int64((try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        say("database: \(bytes / 1_048_576) MB dumped")
        return .init(file: BackupRepository.dumpName, sha256: try BackupRepository.sha256(ofFileAt: file), bytes: bytes, counts: counts)
    }

    /// Every file of the data folder (sites, mail, secrets), except unfinished temporary files.
    /// A file of the same size and time as in the previous backup keeps its hash without being read.
    func copyFiles() throws -> ([BackupRepository.Manifest.FileEntry], Int) {
        let root = (dataDirectory as NSString).standardizingPath
        var previous = [String: BackupRepository.Manifest.FileEntry]()
        if let last = repository.names().last, let manifest = try? repository.manifest(last) {
            for file in manifest.files { previous[file.path] = file }
        }
        let paths = Self.files(under: root, skipping: repository.root)
        say("files: \(paths.count.formatted()) in \(root)")
        let bar = ProgressBar(total: paths.count, label: "files")
        var entries = [BackupRepository.Manifest.FileEntry](), added = 0
        for (index, path) in paths.enumerated() {
            let full = "\(root)/\(path)"
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            let size = Int64((attributes[.size] as? Int) ?? 0)
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let mode = (attributes[.posixPermissions] as? Int) ?? 0o644
            var entry: BackupRepository.Manifest.FileEntry
            if let known = previous[path], known.bytes == size, known.modified == modified,
               FileManager.default.fileExists(atPath: repository.objectPath(known.sha256)) {
                entry = known
                entry.mode = mode
            } else {
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                let sha = SHA256.hash(data: data).hexString
                if try repository.store(data, sha256: sha) { added += 1 }
                entry = .init(path: path, sha256: sha, bytes: Int64(data.count), mode: mode, modified: modified)
            }
            entries.append(entry)
            bar.update(index + 1)
        }
        bar.finish()
        say("files: \(added.formatted()) new or changed since the last backup")
        return (entries, added)
    }

    /// Regular files under `root`, relative and sorted; temporary files of atomic writes and the
    /// backup folder itself (should it be inside) are left out.
    static func files(under root: String, skipping excluded: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths = [String]()
        while let path = walker.nextObject() as? String {
            let full = "\(root)/\(path)"
            if full == excluded || full.hasPrefix(excluded + "/") { walker.skipDescendants(); continue }
            let name = (path as NSString).lastPathComponent
            if name.hasPrefix("."), name.hasSuffix(".tmp") { continue }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            paths.append(path)
        }
        return paths.sorted()
    }
}

import Foundation
import Logging
import Store

/// Brings a backup back: checked first against its hashes, then the database loaded by
/// `pg_restore` in one transaction and the files written back, then every table's rows
/// compared with what the backup counted. The same loading into a scratch database, dropped
/// after, is `portalctl backup verify`.
struct BackupRestorer {
    let repository: BackupRepository
    let say: @Sendable (String) -> Void

    /// The backup `backup` names (a name or `latest`), its manifest, every part checked.
    func checked(_ backup: String) throws -> (name: String, manifest: BackupRepository.Manifest) {
        let name = try repository.resolve(backup)
        let manifest = try repository.manifest(name)
        try check(manifest, name: name)
        return (name, manifest)
    }

    /// Every stored part against its hash; throws naming what is wrong.
    func check(_ manifest: BackupRepository.Manifest, name: String) throws {
        let bar = ProgressBar(total: manifest.files.count + 1, label: "parts checked")
        let problems = repository.check(manifest, name: name) { done, _ in bar.update(done + 1) }
        bar.finish()
        guard problems.isEmpty else {
            throw BackupRepository.Problem(
                "backup \(name) is damaged (\(problems.count) parts): " + problems.prefix(10).joined(separator: "; "))
        }
        say("checked: the database dump and \(manifest.files.count.formatted()) files match their hashes")
    }

    /// Runs `body` on a connection to the database at `url`, closed after.
    static func withDatabase<Result: Sendable>(
        _ url: String, _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        let pool = DatabasePool(
            configuration: .init(conninfo: url, maxConnections: 1, statementTimeoutMilliseconds: 0), logger: Logger(label: "portal.backup"))
        do {
            let result = try await pool.withConnection(body)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    /// Creates the database `url` names (dropping it first when `replace`), through the server's
    /// `postgres` database; refuses a database that already has tables.
    func prepare(_ url: String, replace: Bool) async throws {
        let database = try PostgresTools.databaseName(in: url)
        let maintenance = try PostgresTools.url(url, database: "postgres")
        let exists = try await Self.withDatabase(maintenance) {
            try !$0.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).rows.isEmpty
        }
        if exists {
            let tables = try await Self.withDatabase(url) {
                try $0.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
                    .one().decode("n", as: Int.self)
            }
            guard tables > 0 else { return }
            guard replace else {
                throw BackupRepository.Problem(
                    "the database \(database) already has \(tables) tables: restore onto an empty database, or add --force to replace it (stop the services first)")
            }
            say("database: dropping \(database), as --force asks")
            try await Self.withDatabase(maintenance) { try $0.query("DROP DATABASE \(PostgresTools.identifier(database)) WITH (FORCE)") }
        }
        try await Self.withDatabase(maintenance) { try $0.query("CREATE DATABASE \(PostgresTools.identifier(database))") }
    }

    /// Loads the dump into the (empty) database at `url`, in one transaction, and compares counts.
    func load(_ manifest: BackupRepository.Manifest, name: String, into url: String) async throws {
        let dump = "\(repository.folder(name))/\(manifest.database.file)"
        say("database: loading \(manifest.database.bytes / 1_048_576) MB…")
        let started = Date()
        let say = self.say
        try PostgresTools.run(
            "pg_restore", ["--exit-on-error", "--single-transaction", "--no-owner", "--dbname=\(url)", dump],
            ticker: { say("database: loading, \(Int(Date().timeIntervalSince(started))) s…") })
        let found = try await Self.withDatabase(url) { try PostgresTools.counts(on: $0) }
        let differences = PostgresTools.differences(manifest.database.counts, found)
        guard differences.isEmpty else {
            throw BackupRepository.Problem("the restored database differs from the backup: " + differences.prefix(10).joined(separator: "; "))
        }
        say("database: \(manifest.database.counts.count) tables, every count as in the backup (\(manifest.database.counts.values.reduce(0, +).formatted()) rows)")
    }

    /// Writes every file of the backup under `dataDirectory`, which must be empty or absent.
    func writeFiles(_ manifest: BackupRepository.Manifest, into dataDirectory: String, replace: Bool) throws {
        let root = (dataDirectory as NSString).standardizingPath
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        if !existing.isEmpty {
            guard replace else {
                throw BackupRepository.Problem("the data folder \(root) is not empty: restore into an empty folder, or add --force (it is kept aside, not deleted)")
            }
            let aside = root + ".before-restore-" + BackupWriter.name(for: Date())
            try FileManager.default.moveItem(atPath: root, toPath: aside)
            say("files: the previous data folder is kept at \(aside)")
        }
        let bar = ProgressBar(total: manifest.files.count, label: "files written")
        for (index, file) in manifest.files.enumerated() {
            guard !file.path.split(separator: "/").contains(".."), !file.path.hasPrefix("/") else {
                throw BackupRepository.Problem("the manifest names a file outside the data folder: \(file.path)")
            }
            guard let data = FileManager.default.contents(atPath: repository.objectPath(file.sha256)) else {
                throw BackupRepository.Problem("\(file.path): its stored copy is missing")
            }
            let target = "\(root)/\(file.path)"
            try BackupRepository.writeAtomically(data, to: target, permissions: file.mode & 0o777)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: file.modified)], ofItemAtPath: target)
            bar.update(index + 1)
        }
        bar.finish()
        say("files: \(manifest.files.count.formatted()) written under \(root)")
    }
}

import ArgumentParser
import Foundation
import ServiceKit
import Store

/// `portalctl backup`, `backup verify`, `backup list`, `backup schedule` and `portalctl restore`:
/// the database and the data folder saved together, checked, and brought back (Art. 16.3).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the database and the data folder (sites, mail, secrets); verify, list, schedule.",
        discussion: """
            Backups go to --repository (PORTAL_BACKUP_DIR, else `backups` beside the data folder). \
            They hold the secrets of the data folder: keep the repository readable by the portal's operator only, \
            and copy it to another machine.
            """,
        subcommands: [CreateBackupCommand.self, VerifyBackupCommand.self, ListBackupsCommand.self, ScheduleBackupsCommand.self],
        defaultSubcommand: CreateBackupCommand.self)
}

struct RepositoryOption: ParsableArguments {
    @Option(help: "The folder of backups (default: PORTAL_BACKUP_DIR, else `backups` beside the data folder).")
    var repository: String?

    func resolved(_ configuration: ServiceConfiguration) -> BackupRepository {
        BackupRepository(root: repository ?? BackupRepository.configured(dataDirectory: configuration.dataDirectory))
    }
}

/// Progress and results for a person, on standard error and standard output.
@Sendable func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

struct CreateBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Take a backup now (the default of `portalctl backup`).")

    @OptionGroup var options: RepositoryOption

    func run() async throws {
        try await ToolContext().run { tool in
            let outcome = try await Self.take(tool, repository: options.resolved(tool.configuration))
            print(Self.summary(outcome))
        }
    }

    static func take(_ tool: ToolContext, repository: BackupRepository) async throws -> BackupWriter.Outcome {
        let writer = BackupWriter(
            repository: repository, dataDirectory: tool.configuration.dataDirectory, databaseURL: tool.configuration.databaseURL, say: report)
        do {
            return try await tool.database.withConnection { try writer.write(on: $0) }
        } catch let problem as BackupRepository.Problem {
            throw ValidationError("backup failed: \(problem)")
        }
    }

    static func summary(_ outcome: BackupWriter.Outcome) -> String {
        String(format: "Backup %@ taken in %.1f s: the database (%lld MB) and %@ files (%@ new or changed).",
               outcome.name, outcome.seconds, outcome.manifest.database.bytes / 1_048_576,
               outcome.manifest.files.count.formatted(), outcome.newFiles.formatted())
    }
}

struct VerifyBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a backup's hashes, restore it into a scratch database, compare every table's rows, drop the scratch database.")

    @OptionGroup var options: RepositoryOption

    @Argument(help: "The backup's name, or `latest`.")
    var backup = "latest"

    func run() async throws {
        try await ToolContext().run { tool in
            let repository = options.resolved(tool.configuration)
            let restorer = BackupRestorer(repository: repository, say: report)
            do {
                let (name, manifest) = try restorer.checked(backup)
                let scratch = try PostgresTools.url(
                    tool.configuration.databaseURL, database: "portal_verify_\(UUID().uuidString.prefix(8).lowercased())")
                try await restorer.prepare(scratch, replace: false)
                do {
                    try await restorer.load(manifest, name: name, into: scratch)
                    try await Self.drop(scratch)
                } catch {
                    try? await Self.drop(scratch)
                    throw error
                }
                _ = try await tool.database.withConnection {
                    try $0.query("UPDATE core.backups SET verified_at = now() WHERE id = $1", [manifest.id])
                }
                print("Backup \(name) verified: its hashes match, and restored into a scratch database every table has the rows it had.")
            } catch let problem as BackupRepository.Problem {
                throw ValidationError("verification failed: \(problem)")
            }
        }
    }

    static func drop(_ url: String) async throws {
        let database = try PostgresTools.databaseName(in: url)
        _ = try await BackupRestorer.withDatabase(try PostgresTools.url(url, database: "postgres")) {
            try $0.query("DROP DATABASE IF EXISTS \(PostgresTools.identifier(database)) WITH (FORCE)")
        }
    }
}

struct ListBackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The finished backups, oldest first, with their sizes.")

    @OptionGroup var options: RepositoryOption

    func run() async throws {
        // Only the settings are needed: the repository is a folder, read without the database.
        let repository = options.resolved(ServiceConfiguration(service: .intake))
        let names = repository.names()
        if names.isEmpty { print("No finished backup in \(repository.root).") }
        for name in names {
            guard let manifest = try? repository.manifest(name) else { print("\(name)  (manifest unreadable)"); continue }
            print("\(name)  database \(manifest.database.bytes / 1_048_576) MB, \(manifest.files.count.formatted()) files")
        }
    }
}

struct ScheduleBackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Keep taking backups: one when the last good one is older than --every-hours, then prune to --keep.",
        discussion: """
            Runs until stopped (deploy/systemd/longan-portal-backup.service). Several instances may run: \
            one backup at a time (an advisory lock), and none while the last good one is recent enough.
            """)

    @OptionGroup var options: RepositoryOption

    @Option(help: "Hours between backups: 1 to 168 (Art. 16.3: at least weekly).")
    var everyHours = 24

    @Option(help: "Finished backups to keep; older ones and the files only they held are removed.")
    var keep = 14

    func validate() throws {
        guard (1...168).contains(everyHours) else { throw ValidationError("--every-hours must be 1 to 168: the regulation asks for a backup at least weekly") }
        guard keep >= 1 else { throw ValidationError("--keep must be at least 1") }
    }

    func run() async throws {
        let tool = ToolContext(logLevel: .info)
        let repository = options.resolved(tool.configuration)
        tool.logger.info("backups scheduled", metadata: ["every.hours": "\(everyHours)", "keep": "\(keep)", "repository": "\(repository.root)"])
        while !Task.isCancelled {
            do {
                let age = try await tool.database.withConnection { try BackupAge.read(on: $0) }
                if let warning = age.warning { tool.logger.warning("\(warning)") }
                if (age.ageHours ?? .infinity) >= Double(everyHours) {
                    let outcome = try await CreateBackupCommand.take(tool, repository: repository)
                    tool.logger.info("\(CreateBackupCommand.summary(outcome))")
                    let removed = try repository.prune(keep: keep)
                    if !removed.isEmpty { tool.logger.info("older backups removed", metadata: ["backups": "\(removed.joined(separator: ", "))"]) }
                }
            } catch {
                // Tried again at the next look; /readyz shows the age growing meanwhile.
                tool.logger.error("backup failed; will retry", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(60))
        }
        await tool.database.close()
    }
}

/// `portalctl restore`: a backup brought back onto an empty database and data folder (a new
/// machine), or over the present ones with --force (the old data folder is kept aside).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into PORTAL_DATABASE_URL and PORTAL_DATA_DIR; stop the services first.",
        discussion: "Checks every part's hash before touching anything, loads the database in one transaction, then compares every table's rows.")

    @OptionGroup var options: RepositoryOption

    @Option(help: "The backup's name, or `latest`.")
    var from = "latest"

    @Flag(help: "Replace a database that has tables (dropped) and a data folder that has files (kept aside).")
    var force = false

    func run() async throws {
        // No pool: the database may not exist yet; the restorer opens its own connections.
        let configuration = ServiceConfiguration(service: .intake)
        let restorer = BackupRestorer(repository: options.resolved(configuration), say: report)
        do {
            let (name, manifest) = try restorer.checked(from)
            let url = configuration.databaseURL
            try await restorer.prepare(url, replace: force)
            try await restorer.load(manifest, name: name, into: url)
            try restorer.writeFiles(manifest, into: configuration.dataDirectory, replace: force)
            // The dump was taken while this backup was being written: it is the one restored.
            _ = try await BackupRestorer.withDatabase(url) {
                try $0.query("UPDATE core.backups SET status = 'ok', finished_at = $2 WHERE id = $1", [manifest.id, manifest.createdAt])
            }
            print("Restored backup \(name): the database (\(manifest.database.counts.count) tables) and \(manifest.files.count.formatted()) files. Start the services.")
        } catch let problem as BackupRepository.Problem {
            throw ValidationError("restore failed: \(problem)")
        }
    }
}

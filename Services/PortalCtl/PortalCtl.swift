import ArgumentParser
import Foundation
import Logging
import ServiceKit
import Store

/// The operator's command line: database, reference data, users and tokens, dead letters, benchmarks.
@main
struct PortalCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portalctl",
        abstract: "Operate the Long An e-portal: migrations, reference data, users, tokens, dead letters, backups.",
        discussion: "Reads PORTAL_DATABASE_URL and PORTAL_AMQP_URL like the services do (see README.md).",
        subcommands: [
            MigrateCommand.self, SeedCommand.self, UsersCommand.self, TokenCommand.self, DeadLettersCommand.self,
            BenchCommand.self, MailCommand.self, AuditCommand.self, PublishCommand.self, DemoCommand.self,
            BackupCommand.self, RestoreCommand.self, BrokerCommand.self,
        ])
}

/// What every subcommand shares: the environment's configuration, a logger, a pool.
struct ToolContext {
    let configuration: ServiceConfiguration
    let logger: Logger
    let database: DatabasePool

    init(logLevel: Logger.Level = .warning) {
        // The tool has no service of its own; it reads the same variables as every service.
        // An operator's tool: the broker login is PORTAL_AMQP_URL's, never a service's own.
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != PortalService.intake.amqpURLVariable }
        configuration = ServiceConfiguration(service: .intake, environment: environment)
        PortalObservability.bootstrap(logLevel: logLevel)
        var logger = Logger(label: "portal.portalctl")
        logger.logLevel = logLevel
        self.logger = logger
        // An operator's command (a rebuild, a migration of a large archive, seeding a
        // benchmark) may rightly run statements for minutes: no statement timeout here.
        var database = configuration.database
        database.statementTimeoutMilliseconds = 0
        self.database = DatabasePool(configuration: database, logger: logger)
    }

    /// Runs `body` and closes the pool whatever happens.
    func run<Result>(_ body: (ToolContext) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending migrations of every schema.")

    func run() async throws {
        try await ToolContext(logLevel: .info).run { tool in
            let applied = try await Migrator.apply(PortalService.allMigrationScopes, on: tool.database, logger: tool.logger)
            print(applied.isEmpty ? "Database is up to date." : "Applied: \(applied.joined(separator: ", "))")
        }
    }
}

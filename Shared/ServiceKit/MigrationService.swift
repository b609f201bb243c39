import Logging
import MessageBus
import ServiceLifecycle
import Store

/// Applies the service's migrations at start, retrying while the database is away,
/// then marks the service migrated and stays until shutdown.
struct MigrationService: Service {
    let scopes: [(scope: String, migrations: [Migration])]
    let database: DatabasePool
    let readiness: Readiness
    let logger: Logger

    func run() async throws {
        var backoff = Backoff(initialMilliseconds: 200, capMilliseconds: 5_000)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await Migrator.apply(scopes, on: database, logger: logger)
                readiness.markMigrated()
                break
            } catch {
                logger.warning("migrations not applied yet; retrying", metadata: ["error": .string("\(error)")])
                try? await Task.sleep(for: backoff.next())
            }
        }
        try? await gracefulShutdown()
    }
}

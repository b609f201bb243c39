import Logging
import ServiceLifecycle
import Store

/// Removes what the outbox and the inbox no longer need, so that they do not grow with the
/// archive: outbox rows published, and inbox rows handled, longer ago than the retention
/// period (`PORTAL_MESSAGE_RETENTION_DAYS`, 14 by default).
///
/// An inbox row only has to outlive every copy of its message that could still arrive: retries
/// come within minutes, and a dead letter was never handled, so it has no row to lose. Rows go
/// in small batches, so that no statement holds locks for long. The audit log is never pruned.
public struct MessageRetention: Service {
    let schema: String
    let database: DatabasePool
    let readiness: Readiness
    let retentionDays: Int
    let interval: Duration
    let logger: Logger
    static let batch = 5_000

    /// The indexes that let pruning find old rows without reading the tables.
    public static func migration(schema: String) -> String {
        """
        CREATE INDEX IF NOT EXISTS outbox_published ON \(schema).outbox (published_at) WHERE published_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS inbox_handled ON \(schema).inbox (handled_at);
        """
    }

    public init(schema: String, database: DatabasePool, readiness: Readiness, retentionDays: Int, interval: Duration, logger: Logger) {
        self.schema = schema
        self.database = database
        self.readiness = readiness
        self.retentionDays = max(1, retentionDays)
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await readiness.waitUntilMigrated()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let removed = try await pruneOnce()
                if removed.outbox + removed.inbox > 0 {
                    logger.info(
                        "old outbox and inbox rows removed",
                        metadata: ["schema": .string(schema), "outbox": .stringConvertible(removed.outbox), "inbox": .stringConvertible(removed.inbox)])
                }
            } catch {
                logger.warning("pruning the outbox and inbox failed; will try again", metadata: ["error": .string("\(error)")])
            }
            // The wait ends early on shutdown: an hour's sleep must not hold the process.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Removes every row past the retention period, a batch at a time; returns the counts.
    @discardableResult
    public func pruneOnce() async throws -> (outbox: Int, inbox: Int) {
        let outbox = try await prune(
            "DELETE FROM \(schema).outbox WHERE seq IN (SELECT seq FROM \(schema).outbox WHERE published_at < now() - make_interval(days => $1) LIMIT $2)")
        let inbox = try await prune(
            "DELETE FROM \(schema).inbox WHERE message_id IN (SELECT message_id FROM \(schema).inbox WHERE handled_at < now() - make_interval(days => $1) LIMIT $2)")
        return (outbox, inbox)
    }

    private func prune(_ statement: String) async throws -> Int {
        let days = retentionDays, batch = Self.batch
        var total = 0
        while true {
            let removed = try await database.withConnection { connection in
                try connection.query(statement, [days, batch]).affectedRows
            }
            total += removed
            if removed < batch || Task.isCancelled { return total }
        }
    }
}

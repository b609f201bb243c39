import Foundation
import Logging
import Models
import ServiceKit
import ServiceLifecycle
import Store

/// Fills in the MinHash bands of items published before the pre-screen searched by index
/// (approval migration 7), a few hundred per transaction, then waits for shutdown. Every item
/// published since has its bands, so on a current database this finds nothing, through a partial
/// index. Several instances may run it at once: each takes rows the others have not locked.
struct SimilarityBandsBackfill: Service {
    let database: DatabasePool
    let readiness: Readiness
    let logger: Logger
    var batchSize = 200

    func run() async throws {
        await readiness.waitUntilMigrated()
        var filled = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let count = try await database.withTransaction { connection in try fillBatch(on: connection) }
                if count == 0 {
                    if filled > 0 { logger.info("similarity bands filled in", metadata: ["items": .stringConvertible(filled)]) }
                    break
                }
                // Progress on a large archive, without a line per batch.
                if (filled + count) / 5_000 > filled / 5_000 {
                    logger.info("filling in similarity bands", metadata: ["items": .stringConvertible(filled + count)])
                }
                filled += count
            } catch {
                logger.warning("similarity bands not filled in yet; retrying", metadata: ["error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(5))
            }
        }
        // A service of the group stays until shutdown; ending early would stop the others.
        try? await gracefulShutdown()
    }

    /// Bands for up to `batchSize` published items that have none; the number filled in.
    func fillBatch(on connection: Connection) throws -> Int {
        let ids = try connection.query(
            """
            SELECT id FROM editorial.articles WHERE state = 'published' AND bands_revision IS DISTINCT FROM published_revision
            LIMIT $1 FOR UPDATE SKIP LOCKED
            """, [batchSize]
        ).rows.map { try $0.decode("id", as: UUID.self) }
        for id in ids { try ArticleRecords.indexPublished(id, on: connection) }
        return ids.count
    }
}

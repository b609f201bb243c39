import Foundation
import Logging
import Models
import ServiceKit
import ServiceLifecycle
import Store

/// Generates each month's report on its last day at `FINANCE_REPORT_HOUR` (Asia/Ho_Chi_Minh), and
/// any earlier month that has ledger entries and no report (after downtime). One instance does it
/// at a time (advisory lock) and a report is created once (the month is its key).
struct MonthEndReports: Service {
    let database: DatabasePool
    let readiness: Readiness
    let logger: Logger
    let hour: Int
    let interval: Duration

    static let lockKey: Int64 = 0x4C41_4649_4E41_4E01

    func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let generated = try await generateDue()
                    for month in generated {
                        logger.info("royalty report generated", metadata: ["month": .string(month.description)])
                    }
                } catch {
                    logger.warning("month-end reports not generated; will retry", metadata: ["error": .string("\(error)")])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    func generateDue(now: Date = Date()) async throws -> [YearMonth] {
        let hour = self.hour
        return try await database.withTransaction { connection -> [YearMonth] in
            guard try connection.query("SELECT pg_try_advisory_xact_lock($1) AS locked", [Self.lockKey]).one().decode("locked", as: Bool.self) else {
                return []
            }
            let earliest = try connection.query("SELECT min(month) AS month FROM finance.ledger").one()
                .decodeIfPresent("month", as: String.self).flatMap(YearMonth.init)
            let existing = Set(try connection.query("SELECT month FROM finance.reports").rows.compactMap {
                YearMonth(try $0.decode("month", as: String.self))
            })
            let due = YearMonth.reportsDue(now: now, hour: hour, earliest: earliest, existing: existing)
            for month in due { _ = try RoyaltyReports.generate(month, by: "schedule", on: connection) }
            return due
        }
    }
}

import Foundation
import ServiceKit

/// The finance service: the royalty ledger from publications, monthly reports with their exports
/// and steps, budget estimates, and the page for finance staff (Art. 13.1.b, 17, 18).
@main
struct FinanceMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.finance)
        let environment = ProcessInfo.processInfo.environment
        let reports = RoyaltyReports(database: server.database)
        let budgets = BudgetEstimates(database: server.database)
        let activity = ActivityReports(database: server.database)
        FinanceRoutes(reports: reports, budgets: budgets, activity: activity).register(on: server.router)
        try await FinancePages(reports: reports, activity: activity, database: server.database).register(on: server.router)
        let monthEnd = MonthEndReports(
            database: server.database, readiness: server.readiness, logger: server.logger,
            hour: environment["FINANCE_REPORT_HOUR"].flatMap(Int.init) ?? 8,
            interval: .seconds(environment["FINANCE_SCHEDULE_SECONDS"].flatMap(Int.init) ?? 60))
        let feed = RoyaltyFeed()
        try await server.run(eventHandler: feed.handle, batchHandler: feed.handle, services: [monthEnd])
    }
}

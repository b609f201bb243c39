import Foundation
@testable import PublishingCore
import Store
import Testing

/// Every publication marks its sites' lists to be redrawn. A burst of approvals publishes many
/// items of one site at once: their marks must never make them wait for one another.
@Suite("Publishing: the lists' stale marks under concurrent publications", .serialized)
struct StaleMarksTests {
    struct RolledBack: Error {}

    @Test("A publication marking a site does not wait for another one, still open, that marked the same site")
    func marksOfOneSiteDoNotQueue() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 2)
        defer { Task { await pool.close() } }
        // The registry as publishing keeps it, from the units (a site's mark refers to it).
        let domain: String = try await pool.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            return try connection.query("SELECT domain FROM publishing.sites ORDER BY domain LIMIT 1").one().decode("domain")
        }
        // The first publication marks the site and stays open for two seconds.
        let first = Task {
            try? await pool.withTransaction { connection in
                try SiteIndexes.markStale(domain, on: connection)
                try connection.flush()
                Thread.sleep(forTimeInterval: 2)
                throw RolledBack()
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        // The second marks the same site meanwhile; before, it waited for the first's commit.
        let started = ContinuousClock.now
        do {
            try await pool.withTransaction { connection in
                try SiteIndexes.markStale(domain, on: connection)
                try connection.flush()
                throw RolledBack()
            }
        } catch is RolledBack {}
        let waited = ContinuousClock.now - started
        await first.value
        #expect(waited < .milliseconds(1_000), "the second publication waited \(waited) for the first one's mark")
    }
}

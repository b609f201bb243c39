import Foundation
import ServiceKit
import Store
import Testing

/// R-1.7 (Art. 15.2): a backup at least weekly; every service says when the last good one is older.
@Suite("Backup age on /readyz", .serialized)
struct BackupAgeTests {
    @Test("R-1.7: the age of the last good backup, a warning after 7 days or when none was taken; a failed or running backup does not count")
    func ageAndWarning() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        struct RolledBack: Error {}
        let seen = Seen()
        do {
            try await pool.withTransaction { connection in
                try connection.query("DELETE FROM core.backups")
                seen.none = try BackupAge.read(on: connection)
                let now = Date()
                try connection.query(
                    "INSERT INTO core.backups (id, location, status, finished_at) VALUES ($1, 'x', 'ok', $2)",
                    [UUID(), now.addingTimeInterval(-8 * 24 * 3600)])
                try connection.query(
                    "INSERT INTO core.backups (id, location, status, finished_at) VALUES ($1, 'y', 'failed', $2)", [UUID(), now])
                try connection.query("INSERT INTO core.backups (id, location) VALUES ($1, 'z')", [UUID()])
                seen.old = try BackupAge.read(on: connection, now: now)
                try connection.query(
                    "INSERT INTO core.backups (id, location, status, finished_at) VALUES ($1, 'w', 'ok', $2)",
                    [UUID(), now.addingTimeInterval(-2 * 3600)])
                seen.recent = try BackupAge.read(on: connection, now: now)
                throw RolledBack()
            }
        } catch is RolledBack {}
        #expect(seen.none?.lastGoodAt == nil && seen.none?.warning?.contains("no backup") == true, "\(String(describing: seen.none))")
        #expect(seen.old?.ageHours == 192 && seen.old?.warning?.contains("7 days") == true, "\(String(describing: seen.old))")
        #expect(seen.recent?.ageHours == 2 && seen.recent?.warning == nil, "\(String(describing: seen.recent))")
    }

    final class Seen: @unchecked Sendable {
        var none: BackupAge?, old: BackupAge?, recent: BackupAge?
    }
}

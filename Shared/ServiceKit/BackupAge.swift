import Foundation
import Metrics
import Store

/// How old the last good backup is (Art. 16.3 asks for one at least weekly), for `/readyz` and
/// `/metrics` of every service: an operator sees a backup that stopped happening before needing it.
public struct BackupAge: Codable, Sendable, Equatable {
    /// Older than this, `/readyz` carries a warning (readiness itself does not depend on it).
    public static let warnAfter: TimeInterval = 7 * 24 * 3600

    public var lastGoodAt: Date?
    public var ageHours: Double?
    public var warning: String?

    public static func read(on connection: Connection, now: Date = Date()) throws -> BackupAge {
        let lastGood: Date? = try connection.query(
            "SELECT finished_at FROM core.backups WHERE status = 'ok' ORDER BY finished_at DESC LIMIT 1"
        ).rows.first?.decode("finished_at")
        guard let lastGood else {
            return BackupAge(lastGoodAt: nil, ageHours: nil, warning: "no backup has been taken: run portalctl backup")
        }
        let age = now.timeIntervalSince(lastGood)
        return BackupAge(
            lastGoodAt: lastGood, ageHours: (age / 360).rounded() / 10,
            warning: age > warnAfter ? "the last good backup is more than 7 days old: run portalctl backup" : nil)
    }

    /// `portal_backup_last_success_timestamp_seconds` (0 when none) and `portal_backup_age_seconds`.
    public func record(now: Date = Date()) {
        Gauge(label: "portal_backup_last_success_timestamp_seconds").record(lastGoodAt?.timeIntervalSince1970 ?? 0)
        if let lastGoodAt { Gauge(label: "portal_backup_age_seconds").record(now.timeIntervalSince(lastGoodAt)) }
    }
}

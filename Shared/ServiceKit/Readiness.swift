import Synchronization

/// Start-up milestones that `/readyz` and the workers wait for.
public final class Readiness: Sendable {
    private let migrated = Atomic<Bool>(false)

    public init() {}

    public var isMigrated: Bool { migrated.load(ordering: .acquiring) }

    public func markMigrated() { migrated.store(true, ordering: .releasing) }

    /// Returns once migrations are applied, or when the task is cancelled or shutting down.
    public func waitUntilMigrated() async {
        while !isMigrated, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

import Foundation
import NIOConcurrencyHelpers

/// A small in-memory cache whose entries expire after `lifetime`, for answers that may be a few
/// seconds stale (a token's user, the list of sites) and that every request would otherwise ask
/// the database for. Bounded: when full, it starts again empty.
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = NIOLockedValueBox<[Key: (value: Value, expires: ContinuousClock.Instant)]>([:])
    private let lifetime: Duration
    private let capacity: Int

    public init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public func value(for key: Key) -> Value? {
        let now = ContinuousClock.now
        return entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.expires > now else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    public func store(_ value: Value, for key: Key) {
        let expires = ContinuousClock.now + lifetime
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (value, expires)
        }
    }

    /// The cached value, or `load()`'s, remembered for next time.
    public func value(for key: Key, load: () async throws -> Value) async rethrows -> Value {
        if let cached = value(for: key) { return cached }
        let loaded = try await load()
        store(loaded, for: key)
        return loaded
    }
}

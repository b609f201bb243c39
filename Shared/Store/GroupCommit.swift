import NIOConcurrencyHelpers

/// Commits concurrent writes together: what callers hand in while a transaction is being written
/// waits for the next one, which takes up to `maxBatch` of them at once: one transaction, one
/// WAL flush and, with `Connection.send`, one round trip for all their statements. Each caller
/// is answered only after that commit. When any write of a batch fails, the batch is rolled
/// back and each of its writes runs again in a transaction of its own, so that one bad write
/// never takes the others down and each caller gets its own answer; a write must therefore do
/// nothing outside the database. When the database itself fails, every caller of the batch
/// gets that error, since the commit may have happened.
public final class GroupCommit: Sendable {
    private let database: DatabasePool
    private let maxBatch: Int
    private let maxWriters: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var queue: [any PendingWrite] = []
        var writers = 0
    }

    /// - Parameters:
    ///   - maxBatch: the most writes in one transaction.
    ///   - writers: transactions written at once; each holds one connection of the pool.
    public init(database: DatabasePool, maxBatch: Int = 64, writers: Int = 2) {
        self.database = database
        self.maxBatch = max(1, maxBatch)
        self.maxWriters = max(1, writers)
    }

    /// Runs `body` in a transaction shared with other callers' writes; returns once it committed.
    public func write<Result: Sendable>(_ body: @escaping @Sendable (Connection) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let startWriter = state.withLockedValue { state -> Bool in
                state.queue.append(Write(body: body, continuation: continuation))
                guard state.writers < maxWriters else { return false }
                state.writers += 1
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [any PendingWrite] in
                let taken = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.writers -= 1 }
                return taken
            }
            if batch.isEmpty { return }
            do {
                try await database.withTransaction { connection in
                    for write in batch { try write.apply(on: connection) }
                }
                batch.forEach { $0.succeed() }
            } catch let error as StoreError where error.isUnavailable {
                // The database went away, perhaps after the commit: running the writes again
                // could make them twice. Each caller hears it, as from a transaction of its own.
                batch.forEach { $0.fail(error) }
            } catch {
                // One write failed: the server rolled the batch back. Each alone now, so each
                // has its own outcome.
                for write in batch {
                    do {
                        try await database.withTransaction { connection in try write.apply(on: connection) }
                        write.succeed()
                    } catch {
                        write.fail(error)
                    }
                }
            }
        }
    }
}

private protocol PendingWrite: Sendable {
    /// Runs the write in the open transaction and keeps its result until `succeed`.
    func apply(on connection: Connection) throws
    func succeed()
    func fail(_ error: any Error)
}

private final class Write<Result: Sendable>: PendingWrite, @unchecked Sendable {
    let body: @Sendable (Connection) throws -> Result
    let continuation: CheckedContinuation<Result, any Error>
    /// Set by `apply` on the writer's connection thread, read by `succeed` after the commit.
    private let result = NIOLockedValueBox<Result?>(nil)

    init(body: @escaping @Sendable (Connection) throws -> Result, continuation: CheckedContinuation<Result, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func apply(on connection: Connection) throws {
        let value = try body(connection)
        result.withLockedValue { $0 = value }
    }

    func succeed() {
        guard let value = result.withLockedValue({ $0 }) else {
            continuation.resume(throwing: StoreError(.queryFailed, message: "a grouped write committed without its result"))
            return
        }
        continuation.resume(returning: value)
    }

    func fail(_ error: any Error) {
        continuation.resume(throwing: error)
    }
}

import Logging
import NIOPosix
import ServiceLifecycle
import NIOConcurrencyHelpers

/// A pool of libpq connections to the one portal database.
///
/// Each libpq call blocks, so every call runs on the pool's own threads (one per
/// connection), never on Swift's shared concurrency pool. A broken connection is dropped
/// and the next checkout opens a new one, which is how the pool recovers after the
/// server restarts. As a `Service` it closes its connections on graceful shutdown.
public final class DatabasePool: Service, Sendable {
    public struct Configuration: Sendable {
        /// A libpq connection string or URI, e.g. `postgresql://postgres@127.0.0.1:55432/portal`.
        public var conninfo: String
        /// The most connections open at once.
        public var maxConnections: Int
        /// Seconds libpq waits for the server when connecting.
        public var connectTimeoutSeconds: Int
        /// The server cancels a statement that runs longer (`statement_timeout`); 0 for never.
        public var statementTimeoutMilliseconds: Int
        /// Callers that may wait for a connection at once; one more is refused (`busy`) at
        /// once rather than queued without end.
        public var maxWaiters: Int
        /// How long a caller waits for a connection before it is refused (`busy`).
        public var maxWait: Duration

        public init(
            conninfo: String, maxConnections: Int = 4, connectTimeoutSeconds: Int = 3, statementTimeoutMilliseconds: Int = 30_000,
            maxWaiters: Int = 1_000, maxWait: Duration = .seconds(10)
        ) {
            self.conninfo = conninfo
            self.maxConnections = max(1, maxConnections)
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.statementTimeoutMilliseconds = max(0, statementTimeoutMilliseconds)
            self.maxWaiters = max(0, maxWaiters)
            self.maxWait = maxWait
        }
    }

    /// A connection lent to one caller at a time; the pool's bookkeeping guarantees that.
    fileprivate final class Lease: @unchecked Sendable {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease?, any Error>
    }

    private struct State {
        var idle: [Lease] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let configuration: Configuration
    private let threads: NIOThreadPool
    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threads.start()
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes idle connections (releasing a lease finishes its libpq connection) and refuses
    /// new work; connections in use close when returned.
    public func close() async {
        let waiters = state.withLockedValue { state -> [Waiter] in
            state.closed = true
            state.idle = []
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.continuation.resume(throwing: StoreError(.poolClosed, message: "the database pool is closed")) }
        try? await threads.shutdownGracefully()
    }

    /// Lends a connection to `body`, which runs on a pool thread and may block.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        let lease = try await checkout()
        do {
            let result = try await threads.runIfActive {
                try body(Connection(lease.connection))
            }
            checkin(lease)
            return result
        } catch {
            checkin(lease)
            throw error
        }
    }

    /// Lends one connection for an async stretch of work, such as a transaction that stays
    /// open while the outbox relay waits for the broker's confirms. Each `run` on the lease
    /// executes on a pool thread; a transaction left open when `body` ends is rolled back.
    public func withLease<Result: Sendable>(
        _ body: (LeasedConnection) async throws -> Result
    ) async throws -> Result {
        let lease = try await checkout()
        let leased = LeasedConnection(lease: lease, threads: threads)
        do {
            let result = try await body(leased)
            try await leased.rollbackIfOpen()
            checkin(lease)
            return result
        } catch {
            try? await leased.rollbackIfOpen()
            checkin(lease)
            throw error
        }
    }

    /// One connection held across suspension points; see `withLease`.
    public struct LeasedConnection: Sendable {
        fileprivate let lease: Lease
        fileprivate let threads: NIOThreadPool

        /// Runs `body` on a pool thread with the leased connection.
        public func run<Result: Sendable>(_ body: @escaping @Sendable (Connection) throws -> Result) async throws -> Result {
            let lease = self.lease
            return try await threads.runIfActive { try body(Connection(lease.connection)) }
        }

        fileprivate func rollbackIfOpen() async throws {
            try await run { connection in
                if connection.connection.isInTransaction, connection.connection.isHealthy {
                    try connection.connection.rollback()
                }
            }
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    ///
    /// A transaction that failed in a way that wrote nothing (the server rolled it back for a
    /// serialization failure or a deadlock, or it could not begin: a connection that died
    /// with a restarted server, none to be had) runs again, up to three times, after a short
    /// growing delay. `body` must therefore do nothing outside the database that it could
    /// not do twice.
    public func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    try connection.transaction(body)
                }
            } catch let error as StoreError where error.isSafeToRetry && error.code != .busy && attempt < 3 {
                logger.info("transaction retried", metadata: ["attempt": .stringConvertible(attempt), "error": .string("\(error)")])
                try await Task.sleep(for: .milliseconds(25 * attempt * attempt + Int.random(in: 0...25)))
                attempt += 1
            }
        }
    }

    /// Succeeds when the server answers a trivial query.
    public func ping() async throws {
        _ = try await withConnection { try $0.query("SELECT 1 AS ok") }
    }

    // MARK: checkout and return

    private enum Decision {
        case use(Lease)
        case open
        case wait
        case closed
    }

    private func checkout() async throws -> Lease {
        while true {
            let decision = state.withLockedValue { state -> Decision in
                if state.closed { return .closed }
                if let lease = state.idle.popLast() { return .use(lease) }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch decision {
            case .closed:
                throw StoreError(.poolClosed, message: "the database pool is closed")
            case .use(let lease):
                if lease.connection.isHealthy { return lease }
                discard(lease)
            case .open:
                do {
                    return try await openConnection()
                } catch {
                    discard(nil)
                    throw error
                }
            case .wait:
                let lease = try await waitForConnection()
                // A nil lease means a slot was freed (a connection was dropped): loop and open one.
                if let lease { return lease }
            }
        }
    }

    /// Waits in line for a connection another caller returns, at most `maxWait`, and only
    /// when fewer than `maxWaiters` already wait: past either, `busy` (answered 503 with
    /// Retry-After by the services), never a queue that grows without end.
    private func waitForConnection() async throws -> Lease? {
        let maxWaiters = configuration.maxWaiters, maxWait = configuration.maxWait
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let timeout = Task { [weak self] in
            try await Task.sleep(for: maxWait)
            self?.giveUp(waiter: id)
        }
        defer { timeout.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal = state.withLockedValue { state -> StoreError? in
                if state.closed { return StoreError(.poolClosed, message: "the database pool is closed") }
                if state.waiters.count >= maxWaiters {
                    return StoreError(.busy, message: "all database connections are busy and \(maxWaiters) requests already wait")
                }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return nil
            }
            if let refusal { continuation.resume(throwing: refusal) }
        }
    }

    /// Ends one caller's wait with `busy`, unless it was served meanwhile.
    private func giveUp(waiter id: UInt64) {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: StoreError(.busy, message: "no database connection became free in \(configuration.maxWait)"))
    }

    private func openConnection() async throws -> Lease {
        let conninfo = Self.conninfo(configuration), timeout = configuration.statementTimeoutMilliseconds
        return try await threads.runIfActive {
            let connection = try PostgresConnection(conninfo: conninfo)
            // No statement holds a connection (and its locks) for ever: a runaway query is
            // cancelled by the server and its request answered with an error.
            _ = try connection.execute("SET statement_timeout = \(timeout)", [])
            return Lease(connection)
        }
    }

    private func checkin(_ lease: Lease) {
        guard lease.connection.isHealthy, !lease.connection.isInTransaction else {
            discard(lease)
            return
        }
        let waiter = state.withLockedValue { state -> Waiter? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.closed {
                state.open -= 1
            } else {
                state.idle.append(lease)
            }
            return nil
        }
        waiter?.continuation.resume(returning: lease)
    }

    /// Gives up a broken connection's slot, waking one waiter to open a new one. A connection
    /// that broke in use most often means the server restarted: the idle ones are as dead,
    /// so they go too, rather than fail one request each.
    private func discard(_ lease: Lease?) {
        if lease != nil {
            logger.warning("dropping a broken database connection and the idle ones")
        }
        let (waiters, stale) = state.withLockedValue { state -> ([Waiter], Int) in
            var freed = 1
            var stale = 0
            if lease != nil {
                stale = state.idle.count
                freed += stale
                state.idle = []
            }
            state.open -= freed
            let woken = Array(state.waiters.prefix(freed))
            state.waiters.removeFirst(woken.count)
            return (woken, stale)
        }
        if stale > 0 { logger.info("closed idle database connections", metadata: ["count": .stringConvertible(stale)]) }
        waiters.forEach { $0.continuation.resume(returning: nil) }
    }

    static func conninfo(_ configuration: Configuration) -> String {
        let info = configuration.conninfo
        if info.contains("connect_timeout") { return info }
        if info.hasPrefix("postgres://") || info.hasPrefix("postgresql://") {
            return info + (info.contains("?") ? "&" : "?") + "connect_timeout=\(configuration.connectTimeoutSeconds)"
        }
        return info + " connect_timeout=\(configuration.connectTimeoutSeconds)"
    }
}

import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

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

        public init(conninfo: String, maxConnections: Int = 4, connectTimeoutSeconds: Int = 3) {
            self.conninfo = conninfo
            self.maxConnections = max(1, maxConnections)
            self.connectTimeoutSeconds = connectTimeoutSeconds
        }
    }

    /// A connection lent to one caller at a time; the pool's bookkeeping guarantees that.
    fileprivate final class Lease: @unchecked Sendable {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    private struct State {
        var idle: [Lease] = []
        var open = 0
        var waiters: [CheckedContinuation<Lease?, any Error>] = []
        var closed = false
    }

    private let configuration: Configuration
    private let threads: NIOThreadPool
    private let state = Mutex(State())
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
        let waiters = state.withLock { state -> [CheckedContinuation<Lease?, any Error>] in
            state.closed = true
            state.idle = []
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(throwing: StoreError(.poolClosed, message: "the database pool is closed")) }
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
                    try connection.script("ROLLBACK")
                }
            }
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try connection.transaction(body)
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
            let decision = state.withLock { state -> Decision in
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
                let lease = try await withCheckedThrowingContinuation { continuation in
                    let runNow = state.withLock { state -> Bool in
                        if state.closed { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if runNow {
                        continuation.resume(throwing: StoreError(.poolClosed, message: "the database pool is closed"))
                    }
                }
                // A nil lease means a slot was freed (a connection was dropped): loop and open one.
                if let lease { return lease }
            }
        }
    }

    private func openConnection() async throws -> Lease {
        let conninfo = Self.conninfo(configuration)
        return try await threads.runIfActive {
            Lease(try PostgresConnection(conninfo: conninfo))
        }
    }

    private func checkin(_ lease: Lease) {
        guard lease.connection.isHealthy, !lease.connection.isInTransaction else {
            discard(lease)
            return
        }
        let waiter = state.withLock { state -> CheckedContinuation<Lease?, any Error>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.closed {
                state.open -= 1
            } else {
                state.idle.append(lease)
            }
            return nil
        }
        waiter?.resume(returning: lease)
    }

    /// Gives up a broken connection's slot, waking one waiter to open a new one.
    private func discard(_ lease: Lease?) {
        if lease != nil {
            logger.warning("dropping a broken database connection")
        }
        let waiter = state.withLock { state -> CheckedContinuation<Lease?, any Error>? in
            state.open -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        waiter?.resume(returning: nil)
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

import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Synchronization

/// One connection to the broker, opened on first use and again after any failure.
///
/// rabbitmq-c connections are not thread-safe and every call blocks, so a link runs all
/// its calls on one thread of its own. The topology is declared on every new connection,
/// which makes a broker that lost its definitions whole again.
public final class BrokerLink: Sendable {
    /// The session of a link, touched only on the link's own thread.
    private final class SessionBox: @unchecked Sendable {
        var session: AMQPSession?
        /// The cluster node tried first at the next connection: the last one that answered. It
        /// starts at random, so that the instances of a service spread over the nodes.
        var node = 0
        /// Read from any thread by `/readyz`; hence atomic.
        let connected = Atomic<Bool>(false)
    }

    public let name: String
    private let configuration: BrokerConfiguration
    private let topology: Topology
    private let thread: NIOThreadPool
    private let box = SessionBox()
    private let logger: Logger
    /// The task that serves heartbeats between calls; cancelled by `close`.
    private let heartbeats = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// `name` appears in logs (e.g. `publisher`, `consumer:publishing.events`).
    public init(name: String, configuration: BrokerConfiguration, topology: Topology, logger: Logger) {
        box.node = Int.random(in: 0..<configuration.nodes.count)
        self.name = name
        self.configuration = configuration
        self.topology = topology
        self.logger = logger
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        // Three times per heartbeat interval, so that neither side ever misses two.
        guard configuration.heartbeatSeconds > 0 else { return }
        let interval = Duration.milliseconds(max(100, configuration.heartbeatSeconds * 1000 / 3))
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                await self.serviceHeartbeats()
            }
        }
        heartbeats.withLockedValue { $0 = task }
    }

    /// Whether the last call on the link found the broker.
    public var isConnected: Bool { box.connected.load(ordering: .relaxed) }

    /// Runs `body` on the link's thread with an open session, connecting first if needed.
    /// A session that `body` (or anything before it) left broken is dropped, on the link's
    /// thread, so that the next call opens a new one.
    func withSession<Result: Sendable>(_ body: @escaping @Sendable (AMQPSession) throws -> Result) async throws -> Result {
        let box = self.box, configuration = self.configuration, topology = self.topology
        let logger = self.logger, name = self.name
        return try await thread.runIfActive {
            defer {
                if let session = box.session, !session.isOpen { box.session = nil }
                box.connected.store(box.session != nil, ordering: .relaxed)
            }
            let session: AMQPSession
            if let open = box.session, open.isOpen {
                session = open
            } else {
                box.session = nil
                let opened = try Self.connect(configuration, startingAt: &box.node)
                try topology.declare(on: opened)
                box.session = opened
                session = opened
                logger.info("connected to the broker", metadata: ["bus.link": .string(name), "bus.node": .string(
                    "\(configuration.nodes[box.node].host):\(configuration.nodes[box.node].port)")])
            }
            return try body(session)
        }
    }

    /// A session on the first node of the cluster that answers, starting at `node` (left at
    /// the one that answered); the last node's error when none does.
    static func connect(_ configuration: BrokerConfiguration, startingAt node: inout Int) throws -> AMQPSession {
        let nodes = configuration.nodes
        var failure: (any Error)?
        for step in 0..<nodes.count {
            let index = (node + step) % nodes.count
            do {
                let session = try AMQPSession(configuration: configuration.at(nodes[index]))
                node = index
                return session
            } catch {
                failure = error
            }
        }
        throw failure ?? BusError(.connectionFailed, "no broker node configured")
    }

    /// Drops the session; the next call opens a new one. Unacknowledged deliveries go back to their queue.
    public func reset() async {
        let box = self.box
        // `submit` runs even when the calling task is cancelled (where `runIfActive` would
        // skip the work): a consumer stopped by cancellation must still close its connection,
        // or the broker keeps its prefetched messages.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            thread.submit { _ in
                box.session = nil
                continuation.resume()
            }
        }
        box.connected.store(false, ordering: .relaxed)
    }

    /// Connects if needed and declares the topology; throws when the broker is unreachable.
    public func ping() async throws {
        _ = try await withSession { _ in true }
    }

    /// Publishes the messages, then waits once for the broker's confirms; throws unless the
    /// broker acknowledged every one of them.
    public func publish(_ messages: [OutgoingMessage], confirmTimeoutSeconds: Double = 10) async throws {
        try await publishReporting(messages, confirmTimeoutSeconds: confirmTimeoutSeconds).requireAllConfirmed()
    }

    /// Publishes the messages and says, message by message, which the broker acknowledged.
    public func publishReporting(_ messages: [OutgoingMessage], confirmTimeoutSeconds: Double = 10) async -> PublishReport {
        guard !messages.isEmpty else { return PublishReport(outcomes: [], failure: nil) }
        do {
            return try await withSession { $0.publishConfirmed(messages, timeoutSeconds: confirmTimeoutSeconds) }
        } catch {
            return PublishReport(outcomes: Array(repeating: .waiting, count: messages.count), failure: error)
        }
    }

    /// Serves heartbeats on an open session while the link is otherwise idle (see
    /// `AMQPSession.serviceHeartbeats`). Opens no connection.
    func serviceHeartbeats() async {
        let box = self.box
        _ = try? await thread.runIfActive {
            guard let session = box.session, session.isOpen else { return }
            do {
                try session.serviceHeartbeats()
            } catch {
                box.session = nil
                box.connected.store(false, ordering: .relaxed)
            }
        }
    }

    /// Messages ready in `queue`.
    public func messageCount(queue: String) async throws -> Int {
        try await withSession { try $0.messageCount(queue: queue) }
    }

    /// Closes the connection and stops the link's thread.
    public func close() async {
        heartbeats.withLockedValue { $0?.cancel() }
        await reset()
        try? await thread.shutdownGracefully()
    }
}

/// Growing delays between reconnection attempts: 100 ms doubling to a cap, with jitter.
public struct Backoff: Sendable {
    private var attempt = 0
    private let initialMilliseconds: Int
    private let capMilliseconds: Int

    public init(initialMilliseconds: Int = 100, capMilliseconds: Int = 5_000) {
        self.initialMilliseconds = initialMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    public mutating func next() -> Duration {
        let base = min(capMilliseconds, initialMilliseconds << min(attempt, 16))
        attempt += 1
        return .milliseconds(base / 2 + Int.random(in: 0...max(1, base / 2)))
    }

    public mutating func reset() { attempt = 0 }
}

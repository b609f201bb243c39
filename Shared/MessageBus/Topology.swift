/// The exchanges and queues of the portal (DESIGN.md, Messages), declared at every start.
///
/// ```
/// portal.events (topic) ──binding keys──▶ <queue>            (quorum)
///        │ unroutable                          │ handler fails, attempt < max
///        ▼                                     ▼
/// portal.unrouted (fanout) ▶ portal.unrouted   portal.retries (topic) ▶ <queue>.delay.<n> (TTL) ─▶ back to <queue>
///                                              │ attempt = max
///                                              ▼
///                                       portal.dead-letters (topic) ▶ <queue>.dead  (reason in headers)
///                                       portal.dead (direct) ──────▶ <queue>.dead  (the broker's delivery limit)
/// ```
///
/// The exchanges a service publishes to are all topic exchanges, so that a service's own broker
/// login can be limited, by topic permissions, to the routing keys that are its own: its events,
/// and retries and dead letters of its own queue (`portalctl broker permissions`).
public struct Topology: Sendable {
    public static let eventsExchange = "portal.events"
    /// Where consumers send a delivery to wait before its next attempt.
    public static let retryExchange = "portal.retries"
    /// Where consumers send a delivery they give up on.
    public static let deadLettersExchange = "portal.dead-letters"
    /// Where the broker itself dead-letters a delivery past its delivery limit: no service
    /// publishes here.
    public static let deadExchange = "portal.dead"
    public static let unroutedExchange = "portal.unrouted"
    public static let unroutedQueue = "portal.unrouted"

    /// `x-` arguments, named once.
    public enum Argument {
        public static let queueType = "x-queue-type"
        public static let deadLetterExchange = "x-dead-letter-exchange"
        public static let deadLetterRoutingKey = "x-dead-letter-routing-key"
        public static let messageTTL = "x-message-ttl"
        public static let deliveryLimit = "x-delivery-limit"
        public static let alternateExchange = "alternate-exchange"
        public static let deadLetterStrategy = "x-dead-letter-strategy"
        public static let overflow = "x-overflow"
    }

    /// Headers the retry and dead-letter paths write.
    public enum Header {
        /// 1 on first delivery; incremented by each retry.
        public static let attempt = "x-attempt"
        /// The routing key of the original publish.
        public static let originalRoutingKey = "x-original-routing-key"
        /// The error of the last failed attempt.
        public static let lastError = "x-last-error"
        /// Why the message was dead-lettered.
        public static let deathReason = "x-death-reason"
        /// The queue whose handler gave up.
        public static let deadFrom = "x-dead-from"
        /// When `portalctl dead-letters replay` sent it back.
        public static let replayedAt = "x-replayed-at"
    }

    /// One consuming service's queue.
    public struct Queue: Sendable, Equatable {
        /// e.g. `publishing.events`.
        public var name: String
        /// Routing keys (topic patterns) it receives from `portal.events`.
        public var bindings: [String]
        /// Delays before each retry, growing; the last repeats.
        public var retryDelaysMilliseconds: [Int]
        /// Deliveries (first + retries) before the message is dead-lettered.
        public var maxAttempts: Int
        /// The broker's own limit on redeliveries of one message (a consumer that crashes
        /// on it every time); past it the broker dead-letters to `<name>.dead`.
        public var brokerDeliveryLimit: Int

        public init(
            name: String, bindings: [String], retryDelaysMilliseconds: [Int] = [1_000, 5_000, 30_000],
            maxAttempts: Int = 5, brokerDeliveryLimit: Int = 20
        ) {
            self.name = name
            self.bindings = bindings
            self.retryDelaysMilliseconds = retryDelaysMilliseconds.isEmpty ? [1_000] : retryDelaysMilliseconds
            self.maxAttempts = max(1, maxAttempts)
            self.brokerDeliveryLimit = brokerDeliveryLimit
        }

        public var deadQueue: String { "\(name).dead" }

        /// `<name>.delay.<n>`: quorum queues, so that waiting retries survive the loss of a broker
        /// node (the classic `<name>.retry.<n>` of before were bound to the node that held them).
        public func retryQueue(tier: Int) -> String { "\(name).delay.\(tier + 1)" }

        /// The retry tier for the delivery that just failed on `attempt` (1-based).
        public func retryTier(afterAttempt attempt: Int) -> Int {
            attempt <= 1 ? 0 : min(attempt - 1, retryDelaysMilliseconds.count - 1)
        }
    }

    public var queues: [Queue]
    /// When set, the queue of the one service this process runs under a login of its own: only
    /// that queue is declared (`declareOwn`); the rest is an operator's (`portalctl broker setup`).
    public var ownQueue: String?

    public init(queues: [Queue], ownQueue: String? = nil) {
        self.queues = queues
        self.ownQueue = ownQueue
    }

    /// Declares what this process needs: everything, or only its own queue.
    func declare(on session: AMQPSession) throws {
        if let ownQueue {
            guard let queue = queues.first(where: { $0.name == ownQueue }) else {
                throw BusError(.channelClosed, "no queue \(ownQueue) in the topology")
            }
            try declareOwn(queue, on: session)
        } else {
            try declareAll(on: session)
        }
    }

    /// Declares everything; idempotent as long as the arguments do not change. Needs an
    /// operator's login: it creates the shared exchanges.
    func declareAll(on session: AMQPSession) throws {
        try session.declareExchange(Self.unroutedExchange, type: "fanout")
        try session.declareQueue(Self.unroutedQueue, arguments: [Argument.queueType: .string("quorum")])
        try session.bind(queue: Self.unroutedQueue, exchange: Self.unroutedExchange, routingKey: "")
        try session.declareExchange(
            Self.eventsExchange, type: "topic", arguments: [Argument.alternateExchange: .string(Self.unroutedExchange)])
        try session.declareExchange(Self.retryExchange, type: "topic")
        try session.declareExchange(Self.deadLettersExchange, type: "topic")
        try session.declareExchange(Self.deadExchange, type: "direct")
        for queue in queues { try declare(queue, on: session) }
    }

    /// A service's own queue, its dead-letter and retry queues and their bindings, against
    /// shared exchanges that must exist already (checked without the right to create them).
    func declareOwn(_ queue: Queue, on session: AMQPSession) throws {
        for exchange in [Self.eventsExchange, Self.retryExchange, Self.deadLettersExchange, Self.deadExchange] {
            do {
                try session.checkExchange(exchange)
            } catch {
                throw BusError(
                    .channelClosed, "the exchange is missing: run `portalctl broker setup` with an operator's PORTAL_AMQP_URL first (\(error))",
                    context: exchange)
            }
        }
        try declare(queue, on: session)
    }

    func declare(_ queue: Queue, on session: AMQPSession) throws {
        try session.declareQueue(queue.deadQueue, arguments: [Argument.queueType: .string("quorum")])
        try session.bind(queue: queue.deadQueue, exchange: Self.deadExchange, routingKey: queue.name)
        try session.bind(queue: queue.deadQueue, exchange: Self.deadLettersExchange, routingKey: queue.name)
        try session.declareQueue(queue.name, arguments: [
            Argument.queueType: .string("quorum"),
            Argument.deadLetterExchange: .string(Self.deadExchange),
            Argument.deadLetterRoutingKey: .string(queue.name),
            Argument.deliveryLimit: .int(Int64(queue.brokerDeliveryLimit)),
        ])
        for key in queue.bindings {
            try session.bind(queue: queue.name, exchange: Self.eventsExchange, routingKey: key)
        }
        for (tier, delay) in queue.retryDelaysMilliseconds.enumerated() {
            // A per-queue TTL sends each message back, via the default exchange, to the queue it
            // came from once the delay has passed. Quorum queues (TTL since RabbitMQ 3.10): a
            // retry waiting on a node that goes down is not lost, and the queue can still be
            // declared. At-least-once dead-lettering (which needs reject-publish on overflow): a
            // message leaves only once its queue has it.
            let retry = queue.retryQueue(tier: tier)
            try session.declareQueue(retry, arguments: [
                Argument.queueType: .string("quorum"),
                Argument.messageTTL: .int(Int64(delay)),
                Argument.deadLetterExchange: .string(""),
                Argument.deadLetterRoutingKey: .string(queue.name),
                Argument.deadLetterStrategy: .string("at-least-once"),
                Argument.overflow: .string("reject-publish"),
            ])
            try session.bind(queue: retry, exchange: Self.retryExchange, routingKey: retry)
        }
    }
}

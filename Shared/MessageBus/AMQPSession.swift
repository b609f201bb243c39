import CRabbitMQ
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One rabbitmq-c connection with one channel. Every call blocks and none is thread-safe:
/// `BrokerLink` runs them all on one thread of its own.
final class AMQPSession {
    private let state: amqp_connection_state_t
    private let channel: amqp_channel_t = 1
    private(set) var isOpen = false
    /// The delivery tag the broker will give the next publish (publisher confirms).
    private var nextPublishTag: UInt64 = 1
    private var confirmsEnabled = false
    /// Identifies this session in its deliveries: a tag means nothing on another connection.
    let identity: UInt64 = AMQPSession.opened.add(1, ordering: .relaxed).newValue
    private static let opened = Atomic<UInt64>(0)

    init(configuration: BrokerConfiguration) throws {
        guard let state = amqp_new_connection() else {
            throw BusError(.connectionFailed, "rabbitmq-c could not allocate a connection")
        }
        // From here on a thrown error runs deinit, which destroys the connection state.
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else {
            throw BusError(.connectionFailed, "rabbitmq-c could not allocate a socket")
        }
        var timeout = timeval(tv_sec: configuration.connectTimeoutSeconds, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &timeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw BusError(
                .connectionFailed, "cannot reach \(configuration.host):\(configuration.port): \(Self.describe(status: status))")
        }
        let login = portal_amqp_login_plain(
            state, configuration.virtualHost, 0, 131_072, Int32(configuration.heartbeatSeconds),
            configuration.user, configuration.password)
        if let error = Self.error(of: login, doing: "login") {
            throw BusError(.connectionFailed, error.message)
        }
        amqp_channel_open(state, channel)
        if let error = Self.error(of: amqp_get_rpc_reply(state), doing: "channel.open") {
            throw error
        }
        isOpen = true
    }

    deinit {
        if isOpen {
            _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
            _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        }
        amqp_destroy_connection(state)
    }

    /// Marks the session unusable after an error so that the link opens a new one.
    private func fail(_ error: BusError) -> BusError {
        isOpen = false
        return error
    }

    private func check(_ doing: String, context: String? = nil) throws {
        if let error = Self.error(of: amqp_get_rpc_reply(state), doing: doing, context: context) {
            throw fail(error)
        }
    }

    // MARK: topology

    func declareExchange(_ name: String, type: String, arguments: [String: HeaderValue] = [:]) throws {
        let arena = CArena()
        let table = arena.table(arguments)
        amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes(type), 0, 1, 0, 0, table)
        try check("exchange.declare", context: name)
    }

    /// A passive declare: throws when the exchange does not exist; needs no permission.
    func checkExchange(_ name: String) throws {
        let arena = CArena()
        amqp_exchange_declare(state, channel, arena.bytes(name), arena.bytes("topic"), 1, 0, 0, 0, amqp_empty_table)
        try check("exchange.declare (passive)", context: name)
    }

    func declareQueue(_ name: String, arguments: [String: HeaderValue]) throws {
        let arena = CArena()
        amqp_queue_declare(state, channel, arena.bytes(name), 0, 1, 0, 0, arena.table(arguments))
        try check("queue.declare", context: name)
    }

    func bind(queue: String, exchange: String, routingKey: String) throws {
        let arena = CArena()
        amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_empty_table)
        try check("queue.bind", context: "\(queue) <- \(exchange) \(routingKey)")
    }

    /// How many messages are ready in `queue` (a passive declare).
    func messageCount(queue: String) throws -> Int {
        let arena = CArena()
        guard let ok = amqp_queue_declare(state, channel, arena.bytes(queue), 1, 0, 0, 0, amqp_empty_table) else {
            try check("queue.declare (passive)", context: queue)
            return 0
        }
        return Int(ok.pointee.message_count)
    }

    // MARK: publishing

    func enableConfirms() throws {
        guard !confirmsEnabled else { return }
        amqp_confirm_select(state, channel)
        try check("confirm.select")
        confirmsEnabled = true
        nextPublishTag = 1
    }

    /// Publishes every message, then waits once for the broker's answers. Never throws: what
    /// went wrong is in the report, next to which messages the broker did acknowledge.
    func publishConfirmed(_ messages: [OutgoingMessage], timeoutSeconds: Double) -> PublishReport {
        do {
            try enableConfirms()
        } catch {
            return PublishReport(outcomes: Array(repeating: .waiting, count: messages.count), failure: error)
        }
        var tracker = ConfirmTracker(firstTag: nextPublishTag)
        var failure: (any Error)?
        for message in messages {
            do {
                try publish(message)
                tracker.sent()
            } catch {
                failure = error
                break
            }
        }
        nextPublishTag = tracker.nextTag
        if failure == nil {
            do {
                try waitForConfirms(&tracker, timeoutSeconds: timeoutSeconds)
            } catch {
                failure = error
            }
        }
        let unsent = messages.count - tracker.results.count
        return PublishReport(outcomes: tracker.results + Array(repeating: .waiting, count: unsent), failure: failure)
    }

    private func publish(_ message: OutgoingMessage) throws {
        let arena = CArena()
        var properties = amqp_basic_properties_t()
        properties._flags = portal_flag_content_type | portal_flag_delivery_mode | portal_flag_headers
            | portal_flag_timestamp | portal_flag_app_id
        properties.content_type = arena.bytes(message.contentType)
        properties.delivery_mode = 2  // persistent
        properties.timestamp = UInt64(Date().timeIntervalSince1970)
        properties.app_id = arena.bytes(message.producer)
        properties.headers = arena.table(message.headers)
        if let messageId = message.messageId {
            properties._flags |= portal_flag_message_id
            properties.message_id = arena.bytes(messageId)
        }
        if let type = message.type {
            properties._flags |= portal_flag_type
            properties.type = arena.bytes(type)
        }
        if let correlationId = message.correlationId {
            properties._flags |= portal_flag_correlation_id
            properties.correlation_id = arena.bytes(correlationId)
        }
        let status = message.body.withUnsafeBytes { buffer -> Int32 in
            let body = amqp_bytes_t(len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
            return amqp_basic_publish(
                state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey), 0, 0, &properties, body)
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(BusError(.connectionLost, "basic.publish: \(Self.describe(status: status))", context: message.exchange))
        }
    }

    /// Reads the broker's answers into `tracker` until every message has one or time is up.
    private func waitForConfirms(_ tracker: inout ConfirmTracker, timeoutSeconds: Double) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !tracker.isSettled {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw fail(BusError(.confirmTimeout, "no confirm for \(tracker.waiting) message(s) in \(timeoutSeconds) s"))
            }
            var frame = amqp_frame_t()
            var timeout = Self.interval(seconds: remaining)
            let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
            if status == AMQP_STATUS_TIMEOUT.rawValue { continue }
            guard status == AMQP_STATUS_OK.rawValue else {
                throw fail(BusError(.connectionLost, "waiting for confirms: \(Self.describe(status: status))"))
            }
            guard frame.frame_type == portal_frame_method else { continue }
            switch frame.payload.method.id {
            case portal_method_basic_ack:
                let ack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                tracker.acknowledge(ack.delivery_tag, multiple: ack.multiple != 0)
            case portal_method_basic_nack:
                let nack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                tracker.refuse(nack.delivery_tag, multiple: nack.multiple != 0)
            case portal_method_channel_close:
                // The reason matters to an operator: 403 ACCESS_REFUSED is a login publishing a
                // routing key it may not (portalctl broker definitions), 404 a missing exchange.
                let close = frame.payload.method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                throw fail(BusError(
                    .channelClosed, "the broker closed the channel while confirming: \(close.reply_code) \(Self.string(close.reply_text))"))
            case portal_method_connection_close:
                let close = frame.payload.method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                throw fail(BusError(
                    .connectionLost, "the broker closed the connection while confirming: \(close.reply_code) \(Self.string(close.reply_text))"))
            default:
                continue
            }
        }
    }

    // MARK: consuming

    /// The queue this session consumes, once `basic.consume` succeeded on it.
    private(set) var consumedQueue: String?
    /// Deliveries read while servicing heartbeats between calls, handed out first.
    private var received: [Delivery] = []

    /// Starts consuming `queue` unless this session already does.
    func consume(queue: String, prefetch: Int) throws {
        guard consumedQueue != queue else { return }
        amqp_basic_qos(state, channel, 0, UInt16(clamping: prefetch), 0)
        try check("basic.qos", context: queue)
        let arena = CArena()
        amqp_basic_consume(state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        try check("basic.consume", context: queue)
        consumedQueue = queue
    }

    /// The next delivery, or nil when none came within `timeoutSeconds`.
    func nextDelivery(timeoutSeconds: Double) throws -> Delivery? {
        if !received.isEmpty { return received.removeFirst() }
        return try readDelivery(timeoutSeconds: timeoutSeconds)
    }

    private func readDelivery(timeoutSeconds: Double) throws -> Delivery? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var timeout = Self.interval(seconds: timeoutSeconds)
        let reply = amqp_consume_message(state, &envelope, &timeout, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            defer { amqp_destroy_envelope(&envelope) }
            return Delivery(
                deliveryTag: envelope.delivery_tag,
                redelivered: envelope.redelivered != 0,
                exchange: Self.string(envelope.exchange),
                routingKey: Self.string(envelope.routing_key),
                properties: envelope.message.properties,
                body: Self.bytes(envelope.message.body),
                session: identity)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return nil
        default:
            throw fail(Self.error(of: reply, doing: "consume") ?? BusError(.connectionLost, "consume failed"))
        }
    }

    /// Up to `max` deliveries: waits up to `timeoutSeconds` for the first, then takes only
    /// what has already arrived, so a busy queue is handled in batches and an idle one
    /// answers at once.
    func nextDeliveries(max: Int, timeoutSeconds: Double) throws -> [Delivery] {
        guard let first = try nextDelivery(timeoutSeconds: timeoutSeconds) else { return [] }
        var batch = [first]
        while batch.count < max, !received.isEmpty || amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 {
            guard let next = try nextDelivery(timeoutSeconds: 0.001) else { break }
            batch.append(next)
        }
        return batch
    }

    /// Lets rabbitmq-c send and check heartbeats, which it does only inside its own calls,
    /// while the link has nothing else to do (a handler still working on a batch, a
    /// publisher with nothing to publish). Deliveries that arrive meanwhile are kept for
    /// `nextDelivery`; the broker sends no more than the prefetch, so this is bounded.
    func serviceHeartbeats() throws {
        if consumedQueue != nil {
            while let delivery = try readDelivery(timeoutSeconds: 0) {
                received.append(delivery)
            }
            return
        }
        var frame = amqp_frame_t()
        var timeout = Self.interval(seconds: 0)
        while true {
            let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            guard status == AMQP_STATUS_OK.rawValue else {
                throw fail(BusError(.connectionLost, "heartbeat: \(Self.describe(status: status))"))
            }
            // A publisher expects nothing between its rounds: a late confirm of a round that
            // already gave up is ignored; a close ends the session.
            if frame.frame_type == portal_frame_method,
               frame.payload.method.id == portal_method_channel_close || frame.payload.method.id == portal_method_connection_close {
                throw fail(BusError(.channelClosed, "the broker closed the channel"))
            }
        }
    }

    /// Acknowledges a delivery of this session. One from an earlier session is skipped: the
    /// broker gave it back to its queue when that connection closed.
    func ack(_ delivery: Delivery) throws {
        guard delivery.session == identity else { return }
        let status = amqp_basic_ack(state, channel, delivery.deliveryTag, 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(BusError(.connectionLost, "basic.ack: \(Self.describe(status: status))"))
        }
    }

    /// Rejects a delivery of this session (skipped for an earlier session's, as `ack`).
    func reject(_ delivery: Delivery, requeue: Bool) throws {
        guard delivery.session == identity else { return }
        let status = amqp_basic_reject(state, channel, delivery.deliveryTag, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(BusError(.connectionLost, "basic.reject: \(Self.describe(status: status))"))
        }
    }

    /// Takes one message from `queue` without a consumer (basic.get), unacknowledged.
    func get(queue: String) throws -> Delivery? {
        let arena = CArena()
        let reply = amqp_basic_get(state, channel, arena.bytes(queue), 0)
        if let error = Self.error(of: reply, doing: "basic.get", context: queue) { throw fail(error) }
        guard reply.reply.id == portal_method_basic_get_ok else { return nil }
        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        let tag = ok.delivery_tag, redelivered = ok.redelivered != 0
        let exchange = Self.string(ok.exchange), routingKey = Self.string(ok.routing_key)
        var message = amqp_message_t()
        let read = amqp_read_message(state, channel, &message, 0)
        if let error = Self.error(of: read, doing: "basic.get (content)", context: queue) { throw fail(error) }
        defer { amqp_destroy_message(&message) }
        return Delivery(
            deliveryTag: tag, redelivered: redelivered, exchange: exchange, routingKey: routingKey,
            properties: message.properties, body: Self.bytes(message.body), session: identity)
    }

    // MARK: helpers

    static func string(_ bytes: amqp_bytes_t) -> String {
        String(decoding: Self.bytes(bytes), as: UTF8.self)
    }

    static func bytes(_ bytes: amqp_bytes_t) -> [UInt8] {
        guard bytes.len > 0, let base = bytes.bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: bytes.len))
    }

    static func interval(seconds: Double) -> Glibc.timeval {
        let whole = Int(max(0, seconds))
        return Glibc.timeval(tv_sec: whole, tv_usec: Int((max(0, seconds) - Double(whole)) * 1_000_000))
    }

    static func describe(status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    /// Nil for a normal reply; otherwise the error the reply describes.
    static func error(of reply: amqp_rpc_reply_t, doing: String, context: String? = nil) -> BusError? {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_NONE:
            return BusError(.connectionLost, "\(doing): missing RPC reply", context: context)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return BusError(.connectionLost, "\(doing): \(describe(status: reply.library_error))", context: context)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case portal_method_connection_close:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return BusError(.connectionLost, "\(doing): connection closed by broker \(close.reply_code) \(string(close.reply_text))", context: context)
            case portal_method_channel_close:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return BusError(.channelClosed, "\(doing): channel closed by broker \(close.reply_code) \(string(close.reply_text))", context: context)
            default:
                return BusError(.connectionLost, "\(doing): unexpected method \(reply.reply.id)", context: context)
            }
        default:
            return BusError(.connectionLost, "\(doing): unknown reply type", context: context)
        }
    }
}

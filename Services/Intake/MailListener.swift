import Foundation
import Logging
import Mail
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The receiver of `webmaster@`: LMTP (RFC 2033) for the MTA in front of it, and the same as
/// SMTP for clients that speak only SMTP. One connection runs one `MailSession`; a message is
/// answered only after it is committed, so an MTA retries whatever was not stored.
final class MailListener: Service, Sendable {
    let dialect: MailSession.Dialect
    let host: String
    let port: Int
    let hostname: String
    let limits: MailSession.Limits
    let idleTimeout: TimeAmount
    /// Lower-cased addresses mail is taken for.
    let mailboxes: Set<String>
    let receiver: MailReceiver
    let logger: Logger
    /// Sessions at once; each may hold a whole message (up to `limits.maxMessageBytes`).
    let maxConnections: Int
    private let active = Atomic<Int>(0)

    init(
        dialect: MailSession.Dialect, host: String, port: Int, hostname: String, maxConnections: Int, limits: MailSession.Limits,
        idleTimeout: TimeAmount, mailboxes: Set<String>, receiver: MailReceiver, logger: Logger
    ) {
        self.maxConnections = maxConnections
        self.dialect = dialect
        self.host = host
        self.port = port
        self.hostname = hostname
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.mailboxes = mailboxes
        self.receiver = receiver
        self.logger = logger
    }

    /// Data lines may be long (RFC 5322 allows 998 octets; some clients send more); beyond this a
    /// line is refused rather than buffered without end.
    static let maxLineBytes = 64 * 1024

    func run() async throws {
        let idleTimeout = self.idleTimeout
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(IdleCloser())
                    try pipeline.addHandler(ByteToMessageHandler(MailLineDecoder(maxLength: Self.maxLineBytes)))
                    return try NIOAsyncChannel<MailLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("mail receiver listening", metadata: ["protocol": .string(dialect == .lmtp ? "lmtp" : "smtp"), "port": .stringConvertible(port)])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask {
                            // Past the limit the session is refused at the greeting with a
                            // temporary code: the MTA keeps the message and tries again.
                            guard self.active.add(1, ordering: .relaxed).newValue <= self.maxConnections else {
                                self.active.subtract(1, ordering: .relaxed)
                                await self.refuse(connection)
                                return
                            }
                            defer { self.active.subtract(1, ordering: .relaxed) }
                            await self.serve(connection)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // No new connections; a message being stored still gets its answer.
            server.channel.close(promise: nil)
        }
    }

    private func refuse(_ connection: NIOAsyncChannel<MailLine, ByteBuffer>) async {
        logger.warning("mail connection refused: too many at once", metadata: ["limit": .stringConvertible(maxConnections)])
        try? await connection.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(string: "421 4.3.2 \(hostname) Quá nhiều kết nối cùng lúc / Too many connections; try again later\r\n"))
        }
    }

    private func serve(_ connection: NIOAsyncChannel<MailLine, ByteBuffer>) async {
        let mailboxes = self.mailboxes
        var session = MailSession(dialect: dialect, hostname: hostname, limits: limits) { mailboxes.contains($0) }
        let channel = dialect == .lmtp ? "lmtp" : "smtp"
        do {
            try await connection.executeThenClose { inbound, outbound in
                func send(_ replies: [MailSession.Reply]) async throws {
                    guard !replies.isEmpty else { return }
                    try await outbound.write(ByteBuffer(string: replies.map(\.wire).joined()))
                }
                try await send([session.greeting])
                for try await line in inbound {
                    switch session.receive(line: line.bytes, tooLong: line.tooLong) {
                    case .reply(let replies):
                        try await send(replies)
                    case .close:
                        try await send([.init(221, "2.0.0 Bye")])
                        return
                    case .deliver:
                        guard let envelope = session.pendingEnvelope else { continue }
                        let outcome = await deliver(envelope, channel: channel)
                        if case .reply(let replies) = session.delivered(outcome) { try await send(replies) }
                    }
                }
            }
        } catch {
            logger.debug("mail connection ended", metadata: ["error": .string("\(error)")])
        }
    }

    private func deliver(_ envelope: MailSession.Envelope, channel: String) async -> MailSession.Reply {
        let correlationId = UUID().uuidString.lowercased()
        do {
            switch try await receiver.receive(envelope.data, envelopeSender: envelope.sender, channel: channel, correlationId: correlationId) {
            case .submitted(let id, let replayed):
                return .init(250, "2.0.0 \(replayed ? "Already received" : "Received") as submission \(id.uuidString.lowercased())")
            case .quarantined(let id, let reason, let replayed):
                // Accepted and kept: the MTA must not retry or bounce it; editors decide.
                return .init(250, "2.0.0 \(replayed ? "Already kept" : "Kept") for review (\(reason)) as \(id.uuidString.lowercased())")
            }
        } catch {
            logger.error("could not store a received message; the MTA will retry", metadata: ["error": .string("\(error)"), "correlation.id": .string(correlationId)])
            return .init(451, "4.3.0 Temporary failure storing the message; try again later")
        }
    }
}

/// One line of the conversation, CRLF removed.
struct MailLine: Sendable {
    var bytes: [UInt8]
    /// The line passed the reader's limit; its content is dropped.
    var tooLong: Bool
}

/// Splits the byte stream at LF (dropping a CR before it), with a bound on line length.
struct MailLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = MailLine
    let maxLength: Int
    private var discarding = false

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > maxLength {
                // Drop what came so far and report once; the rest of the line is dropped as it arrives.
                if !discarding { context.fireChannelRead(wrapInboundOut(MailLine(bytes: [], tooLong: true))) }
                discarding = true
                buffer.moveReaderIndex(forwardBy: view.count)
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        var line = Array(view[view.startIndex..<newline])
        buffer.moveReaderIndex(forwardBy: length + 1)
        if discarding {
            discarding = false
            return .continue
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(MailLine(bytes: line.count > maxLength ? [] : line, tooLong: line.count > maxLength)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Ends a connection that said nothing for the idle time, with the reply RFC 5321 §4.5.3.2 expects.
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        context.writeAndFlush(NIOAny(ByteBuffer(string: "421 4.4.2 Idle for too long; closing\r\n")), promise: nil)
        context.close(promise: nil)
    }
}

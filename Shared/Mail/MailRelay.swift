import Foundation
import Logging
import ServiceLifecycle
import Store

/// Sends what a schema's mail outbox holds. A message that fails is tried again after a
/// growing delay; after the last attempt it stays `failed`, with the error, for an operator
/// (`docs/operations.md`); it is never dropped.
public final class MailRelay: Service, Sendable {
    private let outbox: MailOutbox
    private let database: DatabasePool
    private let sender: any MailSender
    private let logger: Logger
    private let retryDelaysSeconds: [Int]
    private let pollInterval: Duration

    public init(
        outbox: MailOutbox, database: DatabasePool, sender: any MailSender, logger: Logger,
        retryDelaysSeconds: [Int] = [60, 300, 1_800, 7_200, 21_600], pollInterval: Duration = .milliseconds(500)
    ) {
        self.outbox = outbox
        self.database = database
        self.sender = sender
        self.logger = logger
        self.retryDelaysSeconds = retryDelaysSeconds
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let sent = (try? await sendDue()) ?? 0
            if sent == 0 { try? await Task.sleep(for: pollInterval) }
        }
    }

    /// Sends one batch of due messages; returns how many it tried.
    @discardableResult
    public func sendDue(limit: Int = 20) async throws -> Int {
        let outbox = self.outbox
        let due = try await database.withTransaction { try outbox.claimDue(limit: limit, lease: 120, on: $0) }
        for message in due {
            do {
                try await sender.send(message.message, from: message.sender, to: message.recipient)
                try await database.withConnection { try outbox.markSent(message.id, on: $0) }
            } catch {
                let retryIn = message.attempts < retryDelaysSeconds.count ? retryDelaysSeconds[message.attempts] : nil
                logger.warning(
                    retryIn == nil ? "mail failed for the last time; left as failed" : "mail failed; will retry",
                    metadata: ["mail.id": .string(message.id.uuidString.lowercased()), "error": .string("\(error)")])
                try await database.withConnection {
                    try outbox.markFailed(message.id, error: "\(error)", retryIn: retryIn, on: $0)
                }
            }
        }
        return due.count
    }
}

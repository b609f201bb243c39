import Foundation

/// What an operator can do with `<queue>.dead`: look, and send back.
public struct DeadLetters: Sendable {
    private let link: BrokerLink

    public init(link: BrokerLink) {
        self.link = link
    }

    /// Reads up to `limit` dead letters of `queue` without removing them.
    public func list(queue: Topology.Queue, limit: Int) async throws -> [Delivery] {
        let dead = queue.deadQueue
        let messages = try await link.withSession { session -> [Delivery] in
            var messages = [Delivery]()
            while messages.count < limit, let delivery = try session.get(queue: dead) {
                messages.append(delivery)
            }
            return messages
        }
        // Closing the session hands every unacknowledged message back to the queue.
        await link.reset()
        return messages
    }

    /// Sends up to `limit` dead letters back to `queue` with a fresh attempt count; each
    /// leaves the dead queue only after the broker confirmed its copy. Returns the count.
    public func replay(queue: Topology.Queue, limit: Int) async throws -> Int {
        let dead = queue.deadQueue, target = queue.name
        let replayedAt = Date().formatted(.iso8601)
        return try await link.withSession { session -> Int in
            var count = 0
            while count < limit, let delivery = try session.get(queue: dead) {
                let copy = delivery.republished(
                    exchange: "", routingKey: target,
                    headers: [
                        Topology.Header.attempt: .int(1),
                        Topology.Header.replayedAt: .string(replayedAt),
                    ])
                try session.publishConfirmed([copy], timeoutSeconds: 10).requireAllConfirmed()
                try session.ack(delivery)
                count += 1
            }
            return count
        }
    }
}

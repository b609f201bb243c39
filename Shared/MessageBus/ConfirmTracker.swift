/// The publisher confirms of one channel: which of the messages published in one round the
/// broker has taken (`basic.ack`) or refused (`basic.nack`).
///
/// The broker numbers the messages of a channel in confirm mode 1, 2, 3, … and answers each,
/// in any order, either alone or with `multiple` set, meaning "this tag and every earlier tag
/// not yet answered". A message counts as published only when its own tag was acknowledged:
/// a nack, or no answer before the connection went, leaves it unconfirmed, and the outbox
/// keeps its row for the next round.
public struct ConfirmTracker: Sendable {
    public enum Outcome: Sendable, Equatable {
        case waiting
        case acknowledged
        case refused
    }

    /// The first tag of the round; tag `firstTag + i` is the round's message `i`.
    public let firstTag: UInt64
    private var outcomes: [Outcome] = []
    private var waitingCount = 0

    public init(firstTag: UInt64) {
        self.firstTag = firstTag
    }

    /// Records that the next message of the round was sent; returns its delivery tag.
    @discardableResult
    public mutating func sent() -> UInt64 {
        outcomes.append(.waiting)
        waitingCount += 1
        return firstTag + UInt64(outcomes.count - 1)
    }

    /// The tag the broker will give the next message sent on the channel.
    public var nextTag: UInt64 { firstTag + UInt64(outcomes.count) }

    /// A `basic.ack` for `tag` (and, with `multiple`, every earlier tag still waiting).
    public mutating func acknowledge(_ tag: UInt64, multiple: Bool) {
        settle(tag, multiple: multiple, as: .acknowledged)
    }

    /// A `basic.nack` for `tag` (and, with `multiple`, every earlier tag still waiting).
    public mutating func refuse(_ tag: UInt64, multiple: Bool) {
        settle(tag, multiple: multiple, as: .refused)
    }

    /// Whether every message sent has had its answer.
    public var isSettled: Bool { waitingCount == 0 }

    /// How many messages still wait for an answer.
    public var waiting: Int { waitingCount }

    /// The answer for each message of the round, in the order they were sent.
    public var results: [Outcome] { outcomes }

    private mutating func settle(_ tag: UInt64, multiple: Bool, as outcome: Outcome) {
        // Tags from before this round (a late answer to an earlier one) or beyond what was
        // sent (a broker bug) name none of this round's messages.
        guard tag >= firstTag, tag < nextTag else { return }
        let last = Int(tag - firstTag)
        let range = multiple ? 0...last : last...last
        for index in range where outcomes[index] == .waiting {
            outcomes[index] = outcome
            waitingCount -= 1
        }
    }
}

/// What became of the messages of one publishing round.
public struct PublishReport: Sendable {
    /// The broker's answer for each message, in the order given.
    public let outcomes: [ConfirmTracker.Outcome]
    /// Why the round ended early (connection lost, confirm timeout), if it did.
    public let failure: (any Error)?

    public init(outcomes: [ConfirmTracker.Outcome], failure: (any Error)?) {
        self.outcomes = outcomes
        self.failure = failure
    }

    /// The positions of the messages the broker acknowledged: only these are safe.
    public var confirmed: [Int] {
        outcomes.indices.filter { outcomes[$0] == .acknowledged }
    }

    public var allConfirmed: Bool { outcomes.allSatisfy { $0 == .acknowledged } }

    /// Throws unless the broker acknowledged every message.
    public func requireAllConfirmed() throws {
        if let failure { throw failure }
        let refused = outcomes.filter { $0 == .refused }.count
        if refused > 0 {
            throw BusError(.publishRefused, "the broker refused \(refused) of \(outcomes.count) message(s)")
        }
        guard allConfirmed else {
            throw BusError(.confirmTimeout, "\(outcomes.filter { $0 == .waiting }.count) message(s) not confirmed")
        }
    }
}

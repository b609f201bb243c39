import MessageBus
import Testing

/// an event is marked sent only when the broker confirmed that very message.
@Suite("Publisher confirms, message by message")
struct ConfirmTrackerTests {
    /// A round of `count` messages on a channel whose next tag is `firstTag`.
    func round(_ count: Int, firstTag: UInt64 = 1) -> ConfirmTracker {
        var tracker = ConfirmTracker(firstTag: firstTag)
        for _ in 0..<count { tracker.sent() }
        return tracker
    }

    @Test func singleAcksInAnyOrderConfirmOnlyTheirOwnMessage() {
        var tracker = round(4)
        tracker.acknowledge(3, multiple: false)
        tracker.acknowledge(1, multiple: false)
        #expect(tracker.results == [.acknowledged, .waiting, .acknowledged, .waiting])
        #expect(!tracker.isSettled)
        #expect(tracker.waiting == 2)
        tracker.acknowledge(4, multiple: false)
        tracker.acknowledge(2, multiple: false)
        #expect(tracker.isSettled)
        #expect(tracker.results == Array(repeating: .acknowledged, count: 4))
    }

    @Test func aMultipleAckCoversEveryEarlierWaitingTag() {
        var tracker = round(5, firstTag: 11)
        tracker.refuse(12, multiple: false)
        tracker.acknowledge(14, multiple: true)
        // 12 was refused before: a later multiple ack does not turn it into a success.
        #expect(tracker.results == [.acknowledged, .refused, .acknowledged, .acknowledged, .waiting])
        tracker.acknowledge(15, multiple: true)
        #expect(tracker.isSettled)
    }

    @Test func aNackIsChargedToItsOwnMessageNotTheRound() {
        var tracker = round(3)
        tracker.acknowledge(1, multiple: false)
        tracker.refuse(2, multiple: false)
        tracker.acknowledge(3, multiple: false)
        let report = PublishReport(outcomes: tracker.results, failure: nil)
        #expect(report.confirmed == [0, 2])
        #expect(!report.allConfirmed)
        #expect(throws: BusError.self) { try report.requireAllConfirmed() }
    }

    @Test func aMultipleNackRefusesEveryEarlierWaitingTag() {
        var tracker = round(4)
        tracker.acknowledge(2, multiple: false)
        tracker.refuse(3, multiple: true)
        #expect(tracker.results == [.refused, .acknowledged, .refused, .waiting])
    }

    @Test func tagsOutsideTheRoundAreIgnored() {
        var tracker = round(2, firstTag: 101)
        tracker.acknowledge(100, multiple: true)  // a late answer to the previous round
        tracker.acknowledge(250, multiple: true)  // never sent
        #expect(tracker.results == [.waiting, .waiting])
        #expect(tracker.nextTag == 103)
    }

    @Test func aRoundCutShortLeavesTheRestUnconfirmed() {
        var tracker = round(3)
        tracker.acknowledge(1, multiple: false)
        let report = PublishReport(outcomes: tracker.results, failure: BusError(.connectionLost, "reset"))
        #expect(report.confirmed == [0])
        #expect(throws: BusError.self) { try report.requireAllConfirmed() }
    }
}

import Foundation
import Models
import Testing

@Suite("Event envelope wire format")
struct EventEnvelopeTests {
    struct ArticleApproved: PortalEvent {
        static let type = "article.approved"
        static let version = 1
        var articleId: String
        var contentHash: String
    }

    static let fixedEnvelope = EventEnvelope(
        id: UUID(uuidString: "6F0B6A43-6E0A-4E0C-9A53-1B1D7A4C2E11")!,
        type: "article.approved", version: 1,
        occurredAt: Date(timeIntervalSince1970: 1_780_000_000.25),
        correlationId: "req-42", causationId: nil, producer: "approval",
        payload: .object(["articleId": .string("a-1"), "contentHash": .string("ab12")]))

    /// The golden form: a change here changes what every consumer reads.
    static let golden = #"{"correlationId":"req-42","id":"6F0B6A43-6E0A-4E0C-9A53-1B1D7A4C2E11","occurredAt":"2026-05-28T20:26:40.250Z","payload":{"articleId":"a-1","contentHash":"ab12"},"producer":"approval","type":"article.approved","version":1}"#

    @Test func encodesToTheGoldenForm() throws {
        #expect(String(decoding: try Self.fixedEnvelope.encoded(), as: UTF8.self) == Self.golden)
    }

    @Test func decodesTheGoldenForm() throws {
        #expect(try EventEnvelope.decode(from: Array(Self.golden.utf8)) == Self.fixedEnvelope)
    }

    @Test func carriesTypedPayloads() throws {
        let event = ArticleApproved(articleId: "a-1", contentHash: "ab12")
        let envelope = try EventEnvelope(event, correlationId: "c", producer: "approval")
        #expect(envelope.type == "article.approved")
        #expect(try envelope.decode(ArticleApproved.self) == event)
    }

    @Test func refusesAPayloadOfAnotherType() throws {
        struct Other: PortalEvent {
            static let type = "article.rejected"
            static let version = 1
        }
        #expect(throws: EventDecodingError.self) { try Self.fixedEnvelope.decode(Other.self) }
    }

    @Test func refusesMalformedJSON() {
        #expect(throws: (any Error).self) { try EventEnvelope.decode(from: Array(#"{"id":"x"}"#.utf8)) }
    }

    @Test("A typed event goes to the wire as the same JSON as its untyped form")
    func typedEventsEncodeLikeTheirJSON() throws {
        let event = ArticleApproved(articleId: "a-1", contentHash: "ab12")
        let typed = try EventEnvelope(
            event, id: Self.fixedEnvelope.id, occurredAt: Self.fixedEnvelope.occurredAt, correlationId: "req-42", producer: "approval")
        #expect(String(decoding: try typed.encoded(), as: UTF8.self) == Self.golden)
        #expect(typed == Self.fixedEnvelope)
        #expect(typed.payload == Self.fixedEnvelope.payload)
    }

    @Test("A received envelope gives its payload typed and untyped, and goes out again unchanged")
    func receivedEnvelopesKeepTheirPayload() throws {
        let received = try EventEnvelope.decode(from: Array(Self.golden.utf8))
        #expect(try received.decode(ArticleApproved.self) == ArticleApproved(articleId: "a-1", contentHash: "ab12"))
        #expect(received.payload == .object(["articleId": .string("a-1"), "contentHash": .string("ab12")]))
        #expect(String(decoding: try received.encoded(), as: UTF8.self) == Self.golden)
        var changed = received
        changed.payload = .object(["articleId": .string("a-2"), "contentHash": .string("cd34")])
        #expect(try changed.decode(ArticleApproved.self) == ArticleApproved(articleId: "a-2", contentHash: "cd34"))
    }

    @Test("An envelope without a payload is refused when it is received, not when a handler reads it")
    func refusesAnEnvelopeWithoutPayload() {
        let bare = #"{"correlationId":"req-42","id":"6F0B6A43-6E0A-4E0C-9A53-1B1D7A4C2E11","occurredAt":"2026-05-28T20:26:40.250Z","producer":"approval","type":"article.approved","version":1}"#
        #expect(throws: (any Error).self) { try EventEnvelope.decode(from: Array(bare.utf8)) }
    }
}

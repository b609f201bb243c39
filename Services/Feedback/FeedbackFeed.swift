import ContentSafety
import Foundation
import Models
import ServiceKit
import Store

/// What the feedback service does with the events it receives, each in the transaction that
/// records the event in its inbox (a redelivery changes nothing):
/// - `question.received` with a field, left in the queue by a version that routed on this event
///   (questions are now routed as they are received): routed if still waiting;
/// - `article.approved` of a `draft_for_comment`: kept, with its dates and articles (Điều);
/// - `article.published`: the draft's consultation opens (`consultation.opened`);
/// - `article.taken_down`: the consultation closes to comments.
struct FeedbackFeed: Sendable {
    let store: QuestionStore
    let reference: ReferenceData

    func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        switch envelope.type {
        case EventType.questionReceived:
            let event = try envelope.decode(QuestionReceived.self)
            let snapshot = try reference.current(on: context.connection)
            do {
                try store.routeOnReceipt(event, correlationId: envelope.correlationId, snapshot: snapshot, on: context.connection)
            } catch let refusal as QuestionStore.Refusal {
                // A field withdrawn from the list since: the Center classifies it by hand.
                context.logger.warning("question left for the Center", metadata: ["reason": .string(refusal.error.code)])
            }
        case EventType.articleApproved:
            let approval = try envelope.decode(ArticleApproved.self)
            guard approval.content.kind == ContentKind.draftForComment.rawValue else { return }
            try Consultations.keep(approval, on: context.connection)
        case EventType.articlePublished:
            let status = try envelope.payload(as: ArticleStatusPayload.self)
            try Consultations.open(status, correlationId: envelope.correlationId, outbox: context.outbox, on: context.connection)
        case EventType.articleTakenDown:
            let status = try envelope.payload(as: ArticleStatusPayload.self)
            try context.connection.query(
                "UPDATE feedback.consultations SET state = 'taken_down' WHERE id = $1", [status.articleId])
        default:
            return
        }
    }
}

extension ReferenceData {
    /// The snapshot for a consumer, which runs on a pool thread inside its transaction.
    func current(on connection: Connection) throws -> Snapshot {
        if let cached = cachedSnapshot() { return cached }
        let loaded = try Self.load(on: connection)
        remember(loaded)
        return loaded
    }
}

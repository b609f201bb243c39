/// Routing keys on `portal.events` (DESIGN.md, Messages). The routing key is the event type.
public enum EventType {
    public static let submissionReceived = "submission.received"
    public static let submissionQuarantined = "submission.quarantined"
    public static let articleEditingStarted = "article.editing_started"
    public static let articleSubmitted = "article.submitted"
    public static let articleApproved = "article.approved"
    public static let articleRejected = "article.rejected"
    public static let articleReturned = "article.returned"
    public static let articlePublished = "article.published"
    public static let articleTakenDown = "article.taken_down"
    public static let articleWithdrawn = "article.withdrawn"
    public static let articleResubmitted = "article.resubmitted"
    public static let questionReceived = "question.received"
    public static let questionRouted = "question.routed"
    public static let questionAnswered = "question.answered"
    public static let answerPublished = "answer.published"
    public static let royaltyReportGenerated = "royalty.report.generated"
}

import Foundation

/// The payload every `article.*` event carries for the people who follow an item: which
/// submission it came from, the state it is now in, and what the submitter should read.
/// Intake keeps the submitter's view of the status from these (DESIGN.md, Messages).
public struct ArticleStatusPayload: Codable, Sendable, Equatable {
    public var articleId: UUID
    /// The intake submission the article came from, when it came through intake.
    public var submissionId: UUID?
    public var state: ArticleState
    /// For `returned`: what to revise. For `rejected`: the note beside the reason.
    public var note: String?
    /// For `rejected`: exactly one of the five reasons.
    public var refusalReason: RefusalReason?
    /// For `published`: the page's address on the first of its sites.
    public var url: String?
    /// For `published`: the page's address on every site that shows it.
    public var urls: [String]?
    /// For `published`: when it first went on the sites (a correction keeps that date).
    public var publishedAt: Date?
    /// The unit whose item it is, for the activity reports (Art. 9.2.h, 22).
    public var unitCode: String?
    /// The item's editorial sequence (see `ArticleApproved.sequence`); set by approval.
    public var sequence: Int64?
    /// The revision the event is about; set by approval on the last step of an action.
    public var revision: Int?

    public init(
        articleId: UUID, submissionId: UUID?, state: ArticleState, note: String? = nil, refusalReason: RefusalReason? = nil,
        url: String? = nil
    ) {
        self.articleId = articleId
        self.submissionId = submissionId
        self.state = state
        self.note = note
        self.refusalReason = refusalReason
        self.url = url
    }

    /// What the submitter reads beside the status: the reason in the regulation's words, then the note.
    public var submitterNote: String? {
        let parts = [refusalReason?.vietnamese, note].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: ". ")
    }
}

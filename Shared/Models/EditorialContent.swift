import Foundation

/// An author of an item and their share of its royalty, in percent.
public struct AuthorShare: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var userId: UUID?
    public var share: Int?

    public init(name: String, userId: UUID? = nil, share: Int? = nil) {
        self.name = name
        self.userId = userId
        self.share = share
    }
}

/// A file of an item, by the SHA-256 of its bytes in the blob store.
/// Where the sites publish a submitted file: its SHA-256 and the extension of its name, so a
/// body can point at it before it is published (an image a mail showed inline by `cid:`).
public enum PublishedFiles {
    /// The folder of every site that holds the files units sent.
    public static let folder = "tep"

    public static func path(sha256: String, filename: String) -> String {
        "/\(folder)/\(sha256)\(fileExtension(filename))"
    }

    /// The name's extension, lower-cased, when it is a short alphanumeric one; else none.
    public static func fileExtension(_ filename: String) -> String {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return "" }
        let ext = filename[filename.index(after: dot)...].lowercased()
        return ext.isEmpty || ext.count > 5 || !ext.allSatisfy({ $0.isLetter || $0.isNumber }) ? "" : "." + ext
    }
}

public struct AttachmentRef: Codable, Sendable, Equatable, Hashable {
    public var filename: String
    public var contentType: String
    public var sha256: String
    public var size: Int
    public var altText: String?

    public init(filename: String, contentType: String, sha256: String, size: Int, altText: String?) {
        self.filename = filename
        self.contentType = contentType
        self.sha256 = sha256
        self.size = size
        self.altText = altText
    }

    /// Where the sites publish the file (`/tep/<sha256>.<ext>`).
    public var publishedPath: String { PublishedFiles.path(sha256: sha256, filename: filename) }
}

/// What an editor decides about an item besides its text: the royalty genre and coefficient
/// (R-4.3, in hundredths), surcharges, authors and shares, fields, categories and sites.
public struct Classification: Codable, Sendable, Equatable {
    public var genre: String?
    public var coefficientHundredths: Int?
    public var surcharges: [String]
    public var authors: [AuthorShare]
    public var fields: [String]
    public var categories: [String]
    public var targetSites: [String]
    /// the unit also publishes it on its own site, and pays for it.
    public var alsoOnOwnSite: Bool
    /// An embargo: not on any site before this moment. Part of what the approver signs.
    public var publishAt: Date?

    public init(
        genre: String? = nil, coefficientHundredths: Int? = nil, surcharges: [String] = [], authors: [AuthorShare] = [],
        fields: [String] = [], categories: [String] = [], targetSites: [String] = [], alsoOnOwnSite: Bool = false,
        publishAt: Date? = nil
    ) {
        self.publishAt = publishAt
        self.genre = genre
        self.coefficientHundredths = coefficientHundredths
        self.surcharges = surcharges
        self.authors = authors
        self.fields = fields
        self.categories = categories
        self.targetSites = targetSites
        self.alsoOnOwnSite = alsoOnOwnSite
    }
}

/// A submission as it travels in `submission.received` (version 2): everything the editorial
/// side needs, so that it never reads intake's tables.
public struct SubmittedContent: PortalEvent {
    public static let type = EventType.submissionReceived
    public static let version = 2

    public var submissionId: UUID
    public var unitCode: String
    /// `api` or `email`.
    public var channel: String
    public var submittedBy: UUID?
    public var senderAddress: String?
    public var kind: String
    public var language: String
    public var title: String
    public var summary: String?
    public var bodyFormat: String
    public var body: String
    /// The body reduced to the safe allowlist.
    public var bodyHTML: String
    public var authors: [AuthorShare]
    public var targetSites: [String]
    public var alsoOnOwnSite: Bool
    public var attachments: [AttachmentRef]
    /// `legalDocument` or `draft` details, as submitted.
    public var details: JSONValue
    public var flags: [String]

    public init(
        submissionId: UUID, unitCode: String, channel: String, submittedBy: UUID?, senderAddress: String?, kind: String,
        language: String, title: String, summary: String?, bodyFormat: String, body: String, bodyHTML: String,
        authors: [AuthorShare], targetSites: [String], alsoOnOwnSite: Bool, attachments: [AttachmentRef], details: JSONValue,
        flags: [String]
    ) {
        self.submissionId = submissionId
        self.unitCode = unitCode
        self.channel = channel
        self.submittedBy = submittedBy
        self.senderAddress = senderAddress
        self.kind = kind
        self.language = language
        self.title = title
        self.summary = summary
        self.bodyFormat = bodyFormat
        self.body = body
        self.bodyHTML = bodyHTML
        self.authors = authors
        self.targetSites = targetSites
        self.alsoOnOwnSite = alsoOnOwnSite
        self.attachments = attachments
        self.details = details
        self.flags = flags
    }
}

/// Exactly what an approver approves: the revision's text, metadata, attachments (by hash),
/// target sites, kind and royalty classification. Its canonical bytes are hashed and the hash is
/// signed; publishing recomputes the hash from the content it receives and refuses any difference.
public struct CanonicalRevision: Codable, Sendable, Equatable {
    public var articleId: UUID
    public var revision: Int
    public var unitCode: String
    public var kind: String
    public var language: String
    public var title: String
    public var summary: String?
    public var bodyHTML: String
    public var attachments: [AttachmentRef]
    public var classification: Classification
    public var details: JSONValue
    /// For a correction of a published item: the note the public reads beside the corrected page.
    public var correctionNote: String?

    public init(
        articleId: UUID, revision: Int, unitCode: String, kind: String, language: String, title: String, summary: String?,
        bodyHTML: String, attachments: [AttachmentRef], classification: Classification, details: JSONValue, correctionNote: String? = nil
    ) {
        self.articleId = articleId
        self.revision = revision
        self.unitCode = unitCode
        self.kind = kind
        self.language = language
        self.title = title
        self.summary = summary
        self.bodyHTML = bodyHTML
        self.attachments = attachments
        self.classification = classification
        self.details = details
        self.correctionNote = correctionNote
    }

    /// JSON with sorted keys and no optional whitespace: the same content always gives the same bytes.
    public var canonicalBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding these plain values cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }
}

/// The payload of `article.approved`: the status for followers, the approved content, and the
/// signature that binds the approver to it.
public struct ArticleApproved: PortalEvent {
    public static let type = EventType.articleApproved
    public static let version = 1

    public var articleId: UUID
    public var submissionId: UUID?
    public var state: ArticleState
    public var content: CanonicalRevision
    /// Hex SHA-256 of `content.canonicalBytes`.
    public var contentSHA256: String
    /// Base64 Ed25519 signature of the 32 bytes of that hash.
    public var signature: String
    /// The approver's key in `core.signing_keys`.
    public var keyId: String
    public var approverId: UUID
    public var rule: ApprovalRule
    public var delegationId: UUID?
    /// The item's editorial sequence: every `article.*` event of an item carries the next number,
    /// so that a follower applies only what is newer than what it has (docs/decisions.md,
    /// "Order of editorial events"). Absent in events written before it existed.
    public var sequence: Int64?

    public init(
        articleId: UUID, submissionId: UUID?, content: CanonicalRevision, contentSHA256: String, signature: String, keyId: String,
        approverId: UUID, rule: ApprovalRule, delegationId: UUID?
    ) {
        self.articleId = articleId
        self.submissionId = submissionId
        self.state = .approved
        self.content = content
        self.contentSHA256 = contentSHA256
        self.signature = signature
        self.keyId = keyId
        self.approverId = approverId
        self.rule = rule
        self.delegationId = delegationId
    }
}

/// The payload of `submission.quarantined`: mail kept for editors instead of accepted.
public struct QuarantinedMail: PortalEvent {
    public static let type = EventType.submissionQuarantined
    public static let version = 2

    public var quarantineId: UUID
    /// `unknown_sender`, `authentication_failed`, `malformed_mime`, or a validation code.
    public var reason: String
    public var detail: String
    public var fromAddress: String?
    public var subject: String
    /// The sender's unit when the sender is registered.
    public var unitCode: String?
    /// The message as received, in the blob store.
    public var rawSHA256: String
    public var receivedAt: Date

    public init(
        quarantineId: UUID, reason: String, detail: String, fromAddress: String?, subject: String, unitCode: String?,
        rawSHA256: String, receivedAt: Date
    ) {
        self.quarantineId = quarantineId
        self.reason = reason
        self.detail = detail
        self.fromAddress = fromAddress
        self.subject = subject
        self.unitCode = unitCode
        self.rawSHA256 = rawSHA256
        self.receivedAt = receivedAt
    }
}

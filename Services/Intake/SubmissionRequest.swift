import Crypto
import Foundation
import Images
import ContentSafety
import Models
import ServiceKit
import Store

/// The body of `POST /api/v1/submissions` as a unit sends it.
struct SubmissionRequest: Codable {
    struct Author: Codable, Equatable {
        var name: String
        var userId: UUID?
        var share: Int?
    }

    struct Attachment: Codable {
        var filename: String
        var contentType: String
        var dataBase64: String
        var altText: String?
    }

    /// Văn bản QPPL: number (số ký hiệu), issuer, issue and effective dates, summary (trích yếu).
    struct LegalDocument: Codable, Equatable {
        var number: String
        var issuer: String
        var issueDate: String
        var effectiveDate: String
        var summary: String
        /// Hình thức (Quyết định, Nghị quyết…); publishing reads it from the number when absent.
        var form: String?
    }

    /// Dự thảo: the public comment period.
    struct Draft: Codable, Equatable {
        var opensOn: String
        var closesOn: String
    }

    var title: String
    var summary: String?
    var body: String
    /// What mail takes, the API takes: absent, the body is plain text…
    var bodyFormat: String?
    /// …a news item…
    var kind: String?
    /// …in Vietnamese…
    var language: String?
    /// …written by the person who sends it.
    var authors: [Author]?
    var targetSites: [String]?
    var alsoOnOwnSite: Bool?
    var attachments: [Attachment]?
    var legalDocument: LegalDocument?
    var draft: Draft?
    /// The day the unit would like it published (YYYY-MM-DD), for the editors to weigh; the
    /// Board decides when it is published.
    var wishedPublicationDate: String?
}

/// A submission that passed every check, normalised to NFC, ready to store.
struct ValidatedSubmission {
    struct Attachment {
        var filename: String
        var contentType: String
        var bytes: [UInt8]
        var altText: String?
    }

    var title: String
    var summary: String?
    var body: String
    var bodyFormat: String
    var bodyHTML: String
    var kind: ContentKind
    var language: String
    var authors: [SubmissionRequest.Author]
    var targetSites: [String]
    var alsoOnOwnSite: Bool
    var attachments: [Attachment]
    var legalDocument: SubmissionRequest.LegalDocument?
    var draft: SubmissionRequest.Draft?
    var wishedPublicationDate: LocalDate?
    /// The returned submission of the same unit that this one revises.
    var replaces: UUID?
    /// Things publishing will need fixed, accepted for now (an image without alt text).
    var flags: [String]
    /// The quoted reply history of a mail, folded away from the body, kept for the editors.
    var quotedHistory: String?
}

extension SubmissionRequest {
    static let maxTitleLength = SubmissionLimits.titleCharacters

    /// Checks everything and says precisely what to fix; nothing is stored when it throws.
    func validated(maxAttachmentBytes: Int, sender: Author? = nil) throws -> ValidatedSubmission {
        let decoded = try (self.attachments ?? []).map { attachment -> ValidatedSubmission.Attachment in
            guard let data = Data(base64Encoded: attachment.dataBase64, options: .ignoreUnknownCharacters) else {
                throw APIError.badRequest("invalid_attachment", "Attachment '\(Self.clean(attachment.filename))' is not valid base64.")
            }
            return .init(filename: attachment.filename, contentType: attachment.contentType, bytes: [UInt8](data), altText: attachment.altText)
        }
        return try validated(attachments: decoded, maxAttachmentBytes: maxAttachmentBytes, sender: sender)
    }

    static let defaultBodyFormat = "text", defaultKind = ContentKind.news.rawValue, defaultLanguage = "vi"

    static let maxAttachments = SubmissionLimits.attachments
    static let maxBodyLength = SubmissionLimits.bodyCharacters
    static let maxFieldLength = SubmissionLimits.fieldCharacters

    /// Every string field of the request with its path (`title`, `authors.name`), nested ones
    /// included, in the order of the declarations; the attachments' fields are not among them
    /// (their bytes are not text). Written out rather than found by reflection, which cost a tenth
    /// of intake's time; a test holds the list to what reflection finds, so a new field cannot be
    /// left out.
    func textFields() -> [(path: String, text: String)] {
        var found: [(path: String, text: String)] = [("title", title)]
        func add(_ path: String, _ text: String?) {
            if let text { found.append((path, text)) }
        }
        add("summary", summary)
        add("body", body)
        add("bodyFormat", bodyFormat)
        add("kind", kind)
        add("language", language)
        for author in authors ?? [] { add("authors.name", author.name) }
        for site in targetSites ?? [] { add("targetSites", site) }
        if let document = legalDocument {
            add("legalDocument.number", document.number)
            add("legalDocument.issuer", document.issuer)
            add("legalDocument.issueDate", document.issueDate)
            add("legalDocument.effectiveDate", document.effectiveDate)
            add("legalDocument.summary", document.summary)
            add("legalDocument.form", document.form)
        }
        if let draft {
            add("draft.opensOn", draft.opensOn)
            add("draft.closesOn", draft.closesOn)
        }
        add("wishedPublicationDate", wishedPublicationDate)
        return found
    }

    /// The same checks, for attachments that arrived as bytes (a multipart form, an email).
    /// `sender`: the author when the request names none.
    func validated(attachments incoming: [ValidatedSubmission.Attachment], maxAttachmentBytes: Int, sender: Author? = nil) throws -> ValidatedSubmission {
        // U+0000 is text that no column of the database takes: accepted here, the item would be
        // refused by approval after the 202 and never reach the editors. Refused here, in any field.
        // One walk over the request's texts serves every check below.
        let texts = textFields(), short = texts.filter { $0.path != "body" }
        if texts.contains(where: { $0.text.utf8.contains(0) })
            || incoming.contains(where: { $0.filename.utf8.contains(0) || ($0.altText ?? "").utf8.contains(0) }) {
            throw APIError.badRequest("invalid_character", "A text field or file name contains the NUL character (U+0000); remove it and send again.")
        }
        // A direction override in a title or a name turns the rest of the line around where
        // editors and readers see it; the body, rendered as paragraphs of its own, may keep one.
        if let field = short.first(where: { TextSafety.hasDirectionControl($0.text) })?.path {
            throw APIError.badRequest(
                "invalid_character",
                "\(field) contains a direction control (U+202A–U+202E or U+2066–U+2069), which makes text read other than it is; remove it.")
        }
        guard incoming.count <= Self.maxAttachments else {
            throw APIError.badRequest(
                "too_many_attachments", "\(incoming.count) attachments; at most \(Self.maxAttachments) may be sent with one submission.")
        }
        guard self.body.unicodeScalars.count <= Self.maxBodyLength else {
            throw APIError.badRequest(
                "body_too_long",
                "The body has \(VietnameseNumber.grouped(self.body.unicodeScalars.count)) characters; at most \(VietnameseNumber.grouped(Self.maxBodyLength)) are allowed.")
        }
        if let field = short.first(where: { $0.text.unicodeScalars.count > Self.maxFieldLength })?.path {
            throw APIError.badRequest("field_too_long", "\(field) is longer than \(VietnameseNumber.grouped(Self.maxFieldLength)) characters.")
        }
        let kindCode = self.kind ?? Self.defaultKind, language = self.language ?? Self.defaultLanguage
        let bodyFormat = self.bodyFormat ?? Self.defaultBodyFormat
        let title = Self.clean(self.title)
        // Invisible characters alone (zero-width spaces, direction marks) are no title either.
        guard !VisibleText.isBlank(title) else { throw APIError.badRequest("title_required", "Give the submission a title.") }
        guard title.count <= Self.maxTitleLength else {
            throw APIError.badRequest("title_too_long", "The title has \(title.count) characters; at most \(Self.maxTitleLength) are allowed.")
        }
        let body = self.body.composed
        guard !body.trimmed.isEmpty else {
            throw APIError.badRequest("body_required", "The body is empty.")
        }
        guard let kind = ContentKind(rawValue: kindCode) else {
            throw APIError.badRequest(
                "invalid_kind", "Unknown kind '\(kindCode)'; use one of: \(ContentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard ["vi", "en"].contains(language) else {
            throw APIError.badRequest("invalid_language", "language must be \"vi\" or \"en\".")
        }
        let bodyHTML: String
        switch bodyFormat {
        case "text": bodyHTML = BodyRenderer.html(fromText: body)
        case "markdown": bodyHTML = BodyRenderer.html(fromMarkdown: body)
        case "html": bodyHTML = HTMLSanitizer.sanitize(body)
        default:
            throw APIError.badRequest("invalid_body_format", "bodyFormat must be \"markdown\", \"html\" or \"text\".")
        }
        let authors = (self.authors ?? sender.map { [$0] } ?? []).map { Author(name: Self.clean($0.name), userId: $0.userId, share: $0.share) }
        guard !authors.isEmpty, authors.allSatisfy({ !$0.name.isEmpty }) else {
            throw APIError.badRequest("authors_required", "Name at least one author; every author needs a name.")
        }
        // co-authors share one royalty.
        let shares = authors.compactMap(\.share)
        if !shares.isEmpty, !Royalty.sharesAreValid(shares) {
            throw APIError.badRequest("invalid_author_shares", "Author shares must be positive and add up to at most 100 (they add up to \(shares.reduce(0, +))).")
        }
        let targetSites = try (self.targetSites ?? []).map { site -> String in
            guard let domain = SiteDomain.targetSite(site) else {
                throw APIError.badRequest("invalid_target_site", "'\(site)' is not the portal or one of its component sites (*.\(SiteDomain.portal)).")
            }
            return domain
        }
        if kind == .legalDocument {
            guard let document = legalDocument,
                  ![document.number, document.issuer, document.summary].contains(where: { Self.clean($0).isEmpty }),
                  LocalDate(iso: document.issueDate) != nil, LocalDate(iso: document.effectiveDate) != nil
            else {
                throw APIError.badRequest(
                    "legal_document_details_required",
                    "A legal document needs legalDocument: number, issuer, issueDate and effectiveDate (YYYY-MM-DD), summary.")
            }
        }
        var wishedDate: LocalDate?
        if let wished = wishedPublicationDate?.trimmingCharacters(in: .whitespaces), !wished.isEmpty {
            guard let date = LocalDate(iso: wished) else {
                throw APIError.badRequest("invalid_wished_publication_date", "wishedPublicationDate must be a date, YYYY-MM-DD.")
            }
            guard date >= LocalDate.today else {
                throw APIError.badRequest("wished_publication_date_past", "The wished publication date \(date.vietnamese) has passed.")
            }
            wishedDate = date
        }
        if kind == .draftForComment {
            guard let draft, let opens = LocalDate(iso: draft.opensOn), let closes = LocalDate(iso: draft.closesOn) else {
                throw APIError.badRequest("draft_dates_required", "A draft for comment needs draft.opensOn and draft.closesOn (YYYY-MM-DD).")
            }
            guard opens < closes else {
                throw APIError.badRequest("draft_dates_invalid", "The comment period must close after it opens.")
            }
        }
        var total = 0
        var flags = [String]()
        // The pixels this request's pictures may have decoded (Thumbnails.decodeBudget).
        var decodeBudget = Thumbnails.decodeBudget
        let attachments = try incoming.enumerated().map { index, attachment -> ValidatedSubmission.Attachment in
            let filename = Self.clean(attachment.filename)
            guard TextSafety.isSafeFileName(filename) else {
                throw APIError.badRequest(
                    "invalid_file_name",
                    "Attachment \(index + 1) needs a file name of at most 255 characters, without '/', '\\', control characters or direction controls (U+202A–U+202E, U+2066–U+2069).")
            }
            let data = attachment.bytes
            guard ContentSniffer.matches(data, declared: attachment.contentType) else {
                throw APIError.badRequest(
                    "content_type_mismatch", "Attachment '\(filename)' is declared as \(attachment.contentType) but its bytes are not.")
            }
            let declaredType = ServedFileType.baseType(of: attachment.contentType)
            if declaredType.hasPrefix("image/") {
                switch Thumbnails.verdict(data, budget: &decodeBudget) {
                case .readable:
                    break
                case .tooLarge(let width, let height):
                    throw APIError.badRequest(
                        "image_too_large",
                        "The image '\(filename)' is \(width) × \(height) pixels; at most \(VietnameseNumber.grouped(Thumbnails.maxPixels)) pixels are accepted.")
                case .unreadable where ServedFileType.recognised.contains(declaredType):
                    // Its first bytes may say PNG or JPEG, but no picture follows: published, it
                    // would be a broken picture on the portal's pages.
                    throw APIError.badRequest(
                        "unreadable_image",
                        "Attachment '\(filename)' is declared as \(attachment.contentType) but is not a picture that can be shown; attach the image file itself.")
                case .unreadable:
                    // A picture of a kind libvips does not read here (HEIC, SVG, …): kept, and
                    // published as a file to download rather than a picture.
                    break
                }
            }
            total += data.count
            guard total <= maxAttachmentBytes else {
                throw APIError(.contentTooLarge, code: "attachments_too_large", message: "Attachments exceed \(maxAttachmentBytes) bytes in all.")
            }
            let altText = attachment.altText.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            if attachment.contentType.lowercased().hasPrefix("image/"), altText == nil {
                flags.append("missing_alt_text:\(filename)")
            }
            return .init(filename: filename, contentType: attachment.contentType.lowercased(), bytes: data, altText: altText)
        }
        try Self.checkPictures(bodyHTML, attachments: attachments)
        // Pictures from other sites are links in the body now: the editors may ask for the files.
        flags += BodyRenderer.picturesFromOtherSites(format: bodyFormat, body: body).prefix(10).map { "picture_from_another_site:\($0)" }
        // Images in the body without alt text: the sanitiser gave them an empty one; the editors
        // describe them. An image of the submission's own files is flagged once, by its file, above.
        flags += HTMLSanitizer.imagesWithoutAltText(bodyHTML).filter { !$0.hasPrefix("/\(PublishedFiles.folder)/") }
            .map { "missing_alt_text:\($0)" }
        return ValidatedSubmission(
            title: title, summary: summary.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }, body: body, bodyFormat: bodyFormat,
            bodyHTML: bodyHTML, kind: kind, language: language, authors: authors, targetSites: targetSites,
            alsoOnOwnSite: alsoOnOwnSite ?? false, attachments: attachments, legalDocument: legalDocument, draft: draft,
            wishedPublicationDate: wishedDate, flags: flags)
    }

    /// A picture in the body shows a file sent with it, named by its file name: one naming no file
    /// sent would be a broken picture on every page. (A picture from another site is a link already.)
    static func checkPictures(_ bodyHTML: String, attachments: [ValidatedSubmission.Attachment]) throws {
        guard HTMLSanitizer.mayHaveImage(bodyHTML) else { return }
        let files = attachments.map {
            BodyPictures.File(name: $0.filename, path: PublishedFiles.path(sha256: SHA256.hash(data: $0.bytes).hexString, filename: $0.filename))
        }
        guard let missing = BodyPictures(files: files).unattached(in: bodyHTML).first else { return }
        throw APIError.badRequest(
            "picture_not_attached",
            "The body shows the picture '\(missing)', which is not among the attachments: attach that file under the same name, or take the picture out of the body.")
    }

    /// NFC, trimmed.
    static func clean(_ text: String) -> String {
        text.composed.trimmed
    }
}

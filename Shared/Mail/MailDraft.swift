import Crypto
import Foundation
import Models

/// What a unit's email says it submits, read the way the Center's editors read it. Pure: the
/// intake service validates the result exactly as it validates an API submission.
public struct MailDraft: Sendable, Equatable {
    public struct Attachment: Sendable, Equatable {
        public var filename: String
        public var contentType: String
        public var bytes: [UInt8]
        public var altText: String?
    }

    public var title: String
    /// One of the content kinds of the API (`news`, `article`, …).
    public var kind: String
    /// `html` when the message has an HTML body (sanitised later), else `text`.
    public var bodyFormat: String
    public var body: String
    public var authorName: String?
    public var attachments: [Attachment]
    /// Quoted reply history folded away from the body (">" lines, "Vào … đã viết:", a Gmail
    /// quote), kept for the editors with the item.
    public var quotedHistory: String?

    /// Subject tags a sender may put first, as in "[Bài] Hội nghị tổng kết": Vietnamese
    /// (with or without diacritics) or the API's own names. Without a tag an item is news.
    static let kindTags: [String: String] = [
        "tin": "news", "tin tức": "news", "tin tuc": "news", "news": "news",
        "bài": "article", "bai": "article", "bài viết": "article", "bai viet": "article", "article": "article",
        "ảnh": "photo", "anh": "photo", "photo": "photo",
        "video": "video",
        "văn bản": "directive_document", "van ban": "directive_document", "chỉ đạo": "directive_document",
        "chi dao": "directive_document", "directive_document": "directive_document",
        "qppl": "legal_document", "legal_document": "legal_document",
        "dự thảo": "draft_for_comment", "du thao": "draft_for_comment", "draft_for_comment": "draft_for_comment",
        "thông báo": "announcement", "thong bao": "announcement", "announcement": "announcement",
    ]

    /// Reply and forward markers of common clients, Vietnamese ones included (TL: trả lời, CT: chuyển tiếp).
    static let replyPrefixes = ["re:", "fw:", "fwd:", "tl:", "ct:", "trả lời:", "chuyển tiếp:"]

    public init(mail: ParsedMail) {
        var subject = mail.subject.trimmingCharacters(in: .whitespaces)
        var stripped = true
        while stripped {
            stripped = false
            for prefix in Self.replyPrefixes where subject.lowercased().hasPrefix(prefix) {
                subject = subject.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
                stripped = true
            }
        }
        var kind = "news"
        if subject.hasPrefix("["), let close = subject.firstIndex(of: "]") {
            let tag = subject[subject.index(after: subject.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                .lowercased().precomposedStringWithCanonicalMapping
            if let known = Self.kindTags[tag] {
                kind = known
                subject = subject[subject.index(after: close)...].trimmingCharacters(in: .whitespaces)
            }
        }
        // The body of the message itself; a bare forward ("see below") carries its content in the forwarded message.
        var source = mail
        var forwarded = mail.forwarded
        if Self.isBlank(mail.text) && Self.isBlank(mail.html), let inner = mail.forwarded.first {
            source = inner
            forwarded = Array(mail.forwarded.dropFirst())
            if subject.isEmpty { subject = inner.subject }
        }
        var folded = [String]()
        let isForward = MailText.isForward(subject: mail.subject)
        if let html = source.html, !Self.isBlank(html) {
            bodyFormat = "html"
            let (kept, history) = MailText.foldingQuotedHTML(html, forwarded: isForward)
            body = kept
            if let history { folded.append(history) }
        } else {
            bodyFormat = "text"
            var text = source.text ?? ""
            if source.textIsFlowed { text = MailText.unflowed(text, deleteSpace: source.textDeletesSpace) }
            let (kept, history) = MailText.foldingQuotedText(text, forwarded: isForward)
            body = kept
            if let history { folded.append(history) }
        }
        // A forward with a note: the forwarded text goes below the note, marked as such, so that
        // the editor reads everything that was sent.
        for inner in forwarded {
            body += bodyFormat == "html" ? MailText.forwardedHTML(inner) : MailText.forwardedText(inner)
        }
        quotedHistory = folded.isEmpty ? nil : folded.joined(separator: "\n\n")
        title = subject
        self.kind = kind
        authorName = mail.from?.name
        var files = [Attachment]()
        let parts = mail.attachments + mail.forwarded.flatMap(\.attachments)
        let altByContentId = bodyFormat == "html" ? MailText.altTextsOfInlineImages(body) : [:]
        for (index, part) in parts.enumerated() {
            // No file system takes a '/' in a name; Outlook users write "1234/QĐ-UBND".
            let filename = (part.filename ?? "tep-dinh-kem-\(index + 1)\(Self.fileExtension(for: part.contentType))")
                .replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "\\", with: "-")
            var altText = part.description.flatMap { Self.looksLikeFileName($0, filename: filename) ? nil : $0 }
            if let id = part.contentId, let alt = altByContentId[id] { altText = alt.isEmpty ? nil : alt }
            files.append(Attachment(filename: filename, contentType: part.contentType, bytes: part.bytes, altText: altText))
            // An image the HTML shows by `cid:` stays where it was: the body points at the file's
            // published address, and the file goes with the item.
            if let id = part.contentId, bodyFormat == "html" {
                let sha256 = SHA256.hash(data: part.bytes).map { String(format: "%02x", $0) }.joined()
                body = MailText.replacingContentId(id, with: PublishedFiles.path(sha256: sha256, filename: filename), in: body)
            }
        }
        attachments = files
        // Photos need no text: their captions, or the subject, say what they show.
        if kind == "photo", Self.isBlank(bodyFormat == "html" ? MailText.plainText(body) : body),
           files.contains(where: { $0.contentType.hasPrefix("image/") }) {
            let captions = files.compactMap(\.altText).filter { !$0.isEmpty }
            bodyFormat = "text"
            body = captions.isEmpty ? title : captions.joined(separator: "\n\n")
        }
    }

    /// A description that is only a file name ("image001.jpg", as Exchange writes it) is no
    /// alternative text: the image then counts as one without, and editors are told.
    static func looksLikeFileName(_ text: String, filename: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == filename.lowercased() { return true }
        let ext = PublishedFiles.fileExtension(trimmed)
        return !ext.isEmpty && !trimmed.contains(" ")
    }

    static func isBlank(_ text: String?) -> Bool {
        text?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true
    }

    static func fileExtension(for contentType: String) -> String {
        switch contentType {
        case "image/png": ".png"
        case "image/jpeg": ".jpg"
        case "image/gif": ".gif"
        case "image/webp": ".webp"
        case "application/pdf": ".pdf"
        case "text/plain": ".txt"
        default: ".bin"
        }
    }
}

/// Reads `Authentication-Results` (RFC 8601) headers, trusting only those that the portal's
/// own MTA added: any other such header came with the message and proves nothing.
public enum AuthenticationCheck {
    /// What the trusted server said of a message.
    public enum Verdict: Sendable, Equatable {
        /// DMARC passed, or, where the server gave no DMARC result, DKIM or SPF passed.
        case passed
        /// These methods failed (`spf`, `dkim`, `dmarc`).
        case failed([String])
        /// The trusted server said nothing that proves the sender (no header of its own, or
        /// only `none`, `neutral` or `temperror` results).
        case unverified
    }

    public static func verdict(of mail: ParsedMail, trustedServer: String) -> Verdict {
        var results = [String: Set<String>]()
        // Passes of SPF and DKIM for a domain that is the From address's own (or its parent's):
        // only those prove the sender where DMARC was not checked (RFC 7489 section 3.1).
        var alignedPass = false
        let fromDomain = mail.from.flatMap { $0.address.split(separator: "@").last.map { $0.lowercased() } }
        for value in mail.headerValues("Authentication-Results") {
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard let server = parts.first?.split(separator: " ").first, server.lowercased() == trustedServer.lowercased() else {
                continue
            }
            for result in parts.dropFirst() {
                let words = result.split(whereSeparator: { $0 == " " || $0 == "\t" })
                let pair = words.first?.split(separator: "=", maxSplits: 1) ?? []
                guard pair.count == 2 else { continue }
                let method = pair[0].lowercased(), outcome = pair[1].lowercased()
                guard ["spf", "dkim", "dmarc"].contains(method) else { continue }
                results[method, default: []].insert(outcome)
                guard outcome == "pass", method != "dmarc", let fromDomain else { continue }
                let property = method == "dkim" ? "header.d" : "smtp.mailfrom"
                for word in words.dropFirst() {
                    let field = word.split(separator: "=", maxSplits: 1)
                    guard field.count == 2, field[0].lowercased() == property else { continue }
                    let domain = field[1].split(separator: "@").last.map { $0.lowercased() } ?? ""
                    if Self.aligned(domain, with: fromDomain) { alignedPass = true }
                }
            }
        }
        let failed = ["spf", "dkim", "dmarc"].filter { !(results[$0] ?? []).isDisjoint(with: ["fail", "permerror"]) }
        // DMARC decides when it was checked: it ties the From address to SPF or DKIM. A
        // failed SPF or DKIM beside a DMARC pass (a forwarded message) does not refuse it; a DMARC
        // fail anywhere in the trusted server's results does, whatever else claims a pass.
        if failed.contains("dmarc") { return .failed(failed) }
        if results["dmarc"]?.contains("pass") == true { return .passed }
        if !failed.isEmpty { return .failed(failed) }
        // No DMARC verdict (the domain publishes no record: `dmarc=none`): anyone can pass SPF or
        // DKIM for a domain of their own, so only a pass for the sender's domain counts.
        if alignedPass { return .passed }
        return .unverified
    }

    /// Relaxed alignment: the same domain, or one a subdomain of the other's organisational part
    /// (here, as for `longan.gov.vn`, a subdomain of the other).
    static func aligned(_ domain: String, with fromDomain: String) -> Bool {
        guard !domain.isEmpty else { return false }
        return domain == fromDomain || fromDomain.hasSuffix("." + domain) || domain.hasSuffix("." + fromDomain)
    }

    /// The failed methods the trusted server reported; empty when none.
    public static func failures(in mail: ParsedMail, trustedServer: String) -> [String] {
        if case .failed(let methods) = verdict(of: mail, trustedServer: trustedServer) { return methods }
        return []
    }
}

import Foundation

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
        if Self.isBlank(mail.text) && Self.isBlank(mail.html), let inner = mail.forwarded.first {
            source = inner
            if subject.isEmpty { subject = inner.subject }
        }
        if let html = source.html, !Self.isBlank(html) {
            bodyFormat = "html"
            body = html
        } else {
            bodyFormat = "text"
            body = source.text ?? ""
        }
        title = subject
        self.kind = kind
        authorName = mail.from?.name
        var files = [Attachment]()
        for (index, part) in (mail.attachments + mail.forwarded.flatMap(\.attachments)).enumerated() {
            files.append(Attachment(
                filename: part.filename ?? "tep-dinh-kem-\(index + 1)\(Self.fileExtension(for: part.contentType))",
                contentType: part.contentType, bytes: part.bytes, altText: part.description))
        }
        attachments = files
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
    /// The failed methods (`spf`, `dkim`, `dmarc`) that the trusted server reported; empty
    /// when it reported none, or when no header of its own is present.
    public static func failures(in mail: ParsedMail, trustedServer: String) -> [String] {
        var failed = [String]()
        for value in mail.headerValues("Authentication-Results") {
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard let server = parts.first?.split(separator: " ").first, server.lowercased() == trustedServer.lowercased() else {
                continue
            }
            for result in parts.dropFirst() {
                let pair = result.split(separator: " ").first?.split(separator: "=", maxSplits: 1) ?? []
                guard pair.count == 2 else { continue }
                let method = pair[0].lowercased(), outcome = pair[1].lowercased()
                if ["spf", "dkim", "dmarc"].contains(method), ["fail", "permerror"].contains(outcome), !failed.contains(method) {
                    failed.append(method)
                }
            }
        }
        return failed
    }
}

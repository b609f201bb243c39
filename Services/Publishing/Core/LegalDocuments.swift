import Foundation
import Models
import Store

/// Legal documents as lists them: searched by number (số ký hiệu), issuer, form, issue date
/// range and the day they are in effect; number and issuer match with or without diacritics.
public enum LegalDocuments {
    public struct Query: Sendable {
        public var number: String?
        public var issuer: String?
        public var form: String?
        public var issuedFrom: LocalDate?
        public var issuedTo: LocalDate?
        public var effectiveOn: LocalDate?

        public init() {}
    }

    static func find(_ query: Query, domain: String, limit: Int, on connection: Connection) throws -> [PageRenderer.LegalListing] {
        func like(_ text: String?) -> String? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            return "%" + escaped + "%"
        }
        return try connection.query(
            """
            SELECT content::text AS content, path FROM publishing.articles
            WHERE state = 'published' AND legal_number IS NOT NULL AND $1 = ANY(domains)
              AND ($2::text IS NULL OR unaccent(lower(legal_number)) LIKE unaccent(lower($2)))
              AND ($3::text IS NULL OR unaccent(lower(legal_issuer)) LIKE unaccent(lower($3)))
              AND ($4::text IS NULL OR unaccent(lower(legal_form)) LIKE unaccent(lower($4)))
              AND ($5::date IS NULL OR legal_issue_date >= $5::date)
              AND ($6::date IS NULL OR legal_issue_date <= $6::date)
              AND ($7::date IS NULL OR legal_effective_date <= $7::date)
            ORDER BY legal_issue_date DESC, legal_number, id LIMIT $8
            """,
            [domain, like(query.number), like(query.issuer), like(query.form), query.issuedFrom?.description, query.issuedTo?.description,
             query.effectiveOn?.description, limit]
        ).rows.compactMap { row in
            let content = try EventCoding.decoder.decode(CanonicalRevision.self, from: Data(try row.decode("content", as: String.self).utf8))
            guard let details = LegalDocumentDetails.from(details: content.details) else { return nil }
            let files = content.attachments.filter { !$0.contentType.hasPrefix("image/") }.map {
                PageRenderer.File(src: PublishedFiles.path(sha256: $0.sha256, filename: $0.filename), filename: $0.filename)
            }
            return PageRenderer.LegalListing(details: details, path: try row.decode("path"), files: files)
        }
    }
}

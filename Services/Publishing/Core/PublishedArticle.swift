import ContentSafety
import Foundation
import Models
import Store

/// An approved item as publishing keeps it in `publishing.articles`: the signed content, where it
/// goes, and whether it is scheduled, published or taken down. Every page of an item is rendered
/// from this row, by the event, by the scheduler and by a rebuild alike, so they write the same bytes.
public struct PublishedArticle: Sendable {
    public enum State: String, Sendable { case scheduled, published, takenDown = "taken_down" }

    public var id: UUID
    public var content: CanonicalRevision
    public var domains: [String]
    public var path: String
    public var state: State
    public var publishedAt: Date
    public var publicExplanation: String?
    public var submissionId: UUID?
    /// Sites a correction took it off: its pages and files there are removed whenever it is written.
    public var formerDomains: [String] = []

    public static func path(_ id: UUID) -> String { "/bai-viet/\(id.uuidString.lowercased()).html" }

    /// The statement that stores an approval that verified: new, a correction of an item already
    /// published (which keeps its first publication date), or an embargoed item (`scheduled` until
    /// `publishAt`). A batch sends several at once; `stored` reads each one's answer.
    static func storing(_ approval: ArticleApproved, domains: [String], searchText: String, now: Date) throws -> (sql: String, parameters: [any SQLParameter]) {
        let content = approval.content
        let embargo = content.classification.publishAt.flatMap { $0 > now ? $0 : nil }
        let legal = LegalDocumentDetails.from(details: content.details)
        let lead = content.attachments.first { $0.contentType.hasPrefix("image/") }
        return (
            """
            INSERT INTO publishing.articles (id, revision, content, content_sha256, signature, key_id, domains, path, state, published_at,
                kind, categories, legal_number, legal_issuer, legal_form, legal_issue_date, legal_effective_date, publish_at, search, submission_id,
                lead_sha256, lead_filename, lead_alt)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7::text[], $8, $9, coalesce($16::timestamptz, now()),
                $10, $11::text[], $12, $13, $14, $15::date, $17::date, $16::timestamptz, to_tsvector('simple', unaccent(lower($18))), $19,
                $20, $21, $22)
            ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, content = EXCLUDED.content,
                content_sha256 = EXCLUDED.content_sha256, signature = EXCLUDED.signature, key_id = EXCLUDED.key_id,
                domains = EXCLUDED.domains, kind = EXCLUDED.kind, categories = EXCLUDED.categories,
                legal_number = EXCLUDED.legal_number, legal_issuer = EXCLUDED.legal_issuer, legal_form = EXCLUDED.legal_form,
                legal_issue_date = EXCLUDED.legal_issue_date, legal_effective_date = EXCLUDED.legal_effective_date,
                search = EXCLUDED.search, public_explanation = NULL, updated_at = now(),
                former_domains = ARRAY(SELECT DISTINCT d FROM unnest(publishing.articles.former_domains || publishing.articles.domains) AS d
                                       WHERE d <> ALL (EXCLUDED.domains) ORDER BY d),
                lead_sha256 = EXCLUDED.lead_sha256, lead_filename = EXCLUDED.lead_filename, lead_alt = EXCLUDED.lead_alt,
                -- A correction of a published page is published at once; an embargo applies to first publication.
                state = CASE WHEN publishing.articles.state = 'scheduled' THEN EXCLUDED.state ELSE 'published' END,
                publish_at = CASE WHEN publishing.articles.state = 'scheduled' THEN EXCLUDED.publish_at ELSE publishing.articles.publish_at END,
                published_at = CASE WHEN publishing.articles.state = 'scheduled' THEN EXCLUDED.published_at ELSE publishing.articles.published_at END
            RETURNING state, published_at, submission_id, array_to_json(former_domains)::text AS former_domains
            """,
            [approval.articleId, content.revision, String(decoding: try EventCoding.encoder.encode(content), as: UTF8.self),
             approval.contentSHA256, approval.signature, approval.keyId, SQLArray.literal(domains), path(approval.articleId),
             embargo == nil ? "published" : "scheduled", content.kind, SQLArray.literal(content.classification.categories),
             legal?.number, legal?.issuer, legal?.formName, legal?.issueDate.description, embargo, legal?.effectiveDate.description,
             searchText, approval.submissionId, lead?.sha256, lead?.filename, lead.map { $0.altText ?? "" }]
        )
    }

    /// The item as `storing` left it: its state and first publication date come from the row.
    static func stored(_ approval: ArticleApproved, domains: [String], row: Row) throws -> PublishedArticle {
        PublishedArticle(
            id: approval.articleId, content: approval.content, domains: domains, path: path(approval.articleId),
            state: State(rawValue: try row.decode("state")) ?? .published, publishedAt: try row.decode("published_at"),
            submissionId: try row.decodeIfPresent("submission_id"),
            formerDomains: try textArray(row, "former_domains"))
    }

    static let columns = """
        id, content::text AS content, array_to_json(domains)::text AS domains, path, state, published_at, public_explanation, submission_id,
        array_to_json(former_domains)::text AS former_domains
        """

    static func decode(_ row: Row) throws -> PublishedArticle {
        PublishedArticle(
            id: try row.decode("id"),
            content: try EventCoding.decoder.decode(CanonicalRevision.self, from: Data(try row.decode("content", as: String.self).utf8)),
            domains: try textArray(row, "domains"),
            path: try row.decode("path"), state: State(rawValue: try row.decode("state")) ?? .published,
            publishedAt: try row.decode("published_at"), publicExplanation: try row.decodeIfPresent("public_explanation"),
            submissionId: try row.decodeIfPresent("submission_id"),
            formerDomains: try textArray(row, "former_domains"))
    }

    /// A `text[]` column read as `array_to_json(…)::text`.
    static func textArray(_ row: Row, _ column: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(try row.decode(column, as: String.self).utf8))
    }

    static func load(_ id: UUID, forUpdate: Bool = false, on connection: Connection) throws -> PublishedArticle? {
        try connection.query(
            "SELECT \(columns) FROM publishing.articles WHERE id = $1\(forUpdate ? " FOR UPDATE" : "")", [id]
        ).rows.first.map(decode)
    }

    /// The words search finds an item by (R-3.1): title, summary, text, unit, categories and, for a
    /// legal document, its number and issuer.
    static func searchText(_ content: CanonicalRevision, unitName: String) -> String {
        var parts = [content.title, content.summary ?? "", HTMLSanitizer.plainText(content.bodyHTML), unitName]
        parts += content.classification.categories
        if let legal = LegalDocumentDetails.from(details: content.details) { parts += [legal.number, legal.issuer, legal.summary] }
        return parts.joined(separator: " ")
    }
}

import Foundation
import Models
import Store

/// Published items of made-up text, written straight into the editorial tables, so that the
/// benchmarks and the pre-screen's scale test run against an archive of a real portal's size.
/// Each text is drawn from some fourteen thousand two-syllable words, so items resemble each other
/// as much as unrelated news does: a shared phrase here and there, never a shared story.
public enum SyntheticArchive {
    /// Marks the rows, so that a run tops up the archive rather than writing it again.
    public static let label = "bench archive"

    static let syllables = """
        an bac ban bao binh cao chau chi chinh cong cu dan dao dat dien dinh do doan dong du duc duong gia giang giao hai hanh \
        hoa hoang hoc hoi hong hung huong khang khanh khoa kien kinh lac lam lan lap le linh loc long luat luc luong mai minh \
        moi my nam nang nghe nghia ngoc nguyen nhan nhat nien ninh phat phong phu phuc phuong quan quang quoc sach sang son tai \
        tam tan tay thanh thao the thi thong thu thuan thuy tien tin tinh toan trach trang tri trinh truong tu tuan tuong uy \
        van viet vinh vu xa xuan yen
        """.split(separator: " ").map(String.init)

    /// A title and a body of `words` words, the same for the same `seed` on every machine.
    public static func text(seed: UInt64, words: Int = 150) -> (title: String, body: String) {
        var state = seed &+ 0x9e37_79b9_7f4a_7c15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: (state >> 33) % UInt64(syllables.count))
        }
        let vocabulary = { syllables[next()] + " " + syllables[next()] }
        let title = (0..<8).map { _ in vocabulary() }.joined(separator: " ")
        let body = "Ủy ban nhân dân tỉnh Long An. " + (0..<words).map { _ in vocabulary() }.joined(separator: " ") + "."
        return (title.prefix(1).uppercased() + title.dropFirst(), body)
    }

    /// Published items on the archive, counted by `label`.
    public static func count(on connection: Connection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM editorial.revisions WHERE created_by_label = $1", [label]).one().decode("n")
    }

    /// Adds published items until the archive holds `total`, in batches of `batch` rows per
    /// statement; `progress` hears the running count.
    public static func fill(
        to total: Int, unit: String, site: String, database: DatabasePool, batch: Int = 1_000,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws {
        var have = try await database.withConnection { try count(on: $0) }
        while have < total {
            let size = min(batch, total - have), first = have
            try await database.withTransaction { connection in try write(from: first, count: size, unit: unit, site: site, on: connection) }
            have += size
            progress(have)
        }
    }

    /// Writes `count` published items numbered from `first`, on `connection`'s transaction.
    public static func write(from first: Int, count: Int, unit: String, site: String, on connection: Connection) throws {
        let ids = (0..<count).map { _ in UUID() }
        let texts = (0..<count).map { text(seed: UInt64(first + $0)) }
        let classification = String(decoding: try JSONEncoder().encode(Classification(
            genre: "news", coefficientHundredths: 800, authors: [AuthorShare(name: "Tác giả")], targetSites: [site])), as: UTF8.self)
        let idList = SQLArray.literal(ids.map { $0.uuidString.lowercased() })
        try connection.query(
            """
            INSERT INTO editorial.articles (id, unit_code, channel, state, current_revision, approved_revision, published_revision,
                bands_revision, received_at)
            SELECT id, $2, 'api', 'published', 1, 1, 1, 1, now() FROM unnest($1::uuid[]) AS id
            """, [idList, unit])
        try connection.query(
            """
            INSERT INTO editorial.revisions (article_id, number, kind, language, title, summary, body_format, body, body_html,
                classification, created_by_label, content_sha256)
            SELECT t.id, 1, 'news', 'vi', t.title, NULL, 'text', t.body, '<p>' || t.body || '</p>', $4::jsonb, $5,
                   encode(sha256(convert_to(t.body, 'UTF8')), 'hex')
            FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, title, body)
            """, [idList, SQLArray.literal(texts.map(\.title)), SQLArray.literal(texts.map(\.body)), classification, label])
        // The bands as the approval service stores them on publication (ArticleRecords.indexPublished).
        let bands = texts.map { SQLArray.literal(PreScreen.bands(PreScreen.shingles($0.title + "\n\n" + $0.body))) }
        try connection.query(
            "INSERT INTO editorial.similarity_bands (article_id, bands) SELECT id, bands::bigint[] FROM unnest($1::uuid[], $2::text[]) AS t(id, bands)",
            [idList, SQLArray.literal(bands)])
    }
}

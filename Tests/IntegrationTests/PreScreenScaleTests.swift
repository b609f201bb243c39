@testable import Approval
import Foundation
import Models
import ServiceKit
import Store
import Testing

/// The near-duplicate pre-screen against an archive that grows: its time per item must follow the
/// few candidates the index of MinHash bands returns, not the number of published items.
@Suite("Pre-screen at the archive's size", .serialized)
struct PreScreenScaleTests {
    struct RolledBack: Error {}

    @Test("The near-duplicate search takes about the same time per item with 4,000 published items as with 250, and still finds the copy")
    func timePerItemDoesNotGrowWithTheArchive() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        // Everything in one transaction that is rolled back: no other test sees this archive.
        // What it finds is carried out and judged after, outside the transaction's closure.
        let seen = Seen()
        do {
            try await pool.withTransaction { connection in
                try SyntheticArchive.write(from: 7_000_000, count: 250, unit: "district-benluc", site: "benluc.longan.gov.vn", on: connection)
                // A published item, and items received later: one a near copy of it, the others new.
                let original = SyntheticArchive.text(seed: 42)
                seen.published = try item(title: original.title, body: original.body, state: "published", on: connection)
                let copy = try item(title: original.title, body: original.body.replacingOccurrences(of: "Ủy ban", with: "Uy ban") + " Thêm một câu.",
                                    state: "received", on: connection)
                let fresh = try (0..<30).map { index in
                    let text = SyntheticArchive.text(seed: 9_000_000 + UInt64(index))
                    return try item(title: text.title, body: text.body, state: "received", on: connection)
                }
                try connection.script(analyze)
                seen.small = try secondsPerItem(fresh, on: connection)

                try SyntheticArchive.write(from: 7_000_250, count: 3_750, unit: "district-benluc", site: "benluc.longan.gov.vn", on: connection)
                try connection.script(analyze)
                seen.large = try secondsPerItem(fresh, on: connection)

                try screen(copy, on: connection)
                seen.copyScreen = try ArticleRecords.article(copy, on: connection)?.prescreen
                seen.freshScreens = try fresh.map { try ArticleRecords.article($0, on: connection)?.prescreen }
                throw RolledBack()
            }
        } catch is RolledBack {}

        // Comparing with every published item, 16 times as many would take about 16 times as long.
        #expect(seen.large / seen.small < 2.5, "per item: \(seen.small * 1000) ms with 251 published, \(seen.large * 1000) ms with 4,001")
        let found = try #require(seen.copyScreen)
        guard case .object(let screens) = found, case .array(let duplicates)? = screens["nearDuplicates"] else {
            Issue.record("no near-duplicate list in \(found)")
            return
        }
        #expect(duplicates.count == 1, "\(duplicates)")
        #expect(duplicates.first.flatMap { if case .object(let match) = $0 { return match["articleId"] } else { return nil } }
                == .string(seen.published.uuidString.lowercased()))
        #expect(seen.freshScreens.count == 30)
        for screened in seen.freshScreens {
            let screened = try #require(screened)
            guard case .object(let screens) = screened else {
                Issue.record("no pre-screen object in \(screened)")
                continue
            }
            #expect(screens["nearDuplicates"] == .array([]), "\(screened)")
        }
    }

    final class Seen: @unchecked Sendable {
        var small = 0.0, large = 0.0
        var published = UUID()
        var copyScreen: JSONValue?
        var freshScreens: [JSONValue?] = []
    }

    /// What autovacuum does as the tables grow: the planner's view of their sizes.
    let analyze = "ANALYZE editorial.articles; ANALYZE editorial.revisions; ANALYZE editorial.similarity_bands"

    /// An item of the district with one revision, as the approval service stores it.
    func item(title: String, body: String, state: String, on connection: Connection) throws -> UUID {
        let id = UUID()
        try ArticleRecords.insertArticle(
            id: id, submissionId: nil, quarantineId: nil, unit: "district-benluc", channel: "api", submittedBy: nil, senderAddress: nil,
            flags: [], receivedAt: Date(), on: connection)
        try ArticleRecords.insertRevision(
            RevisionRecord(
                number: 1, kind: "news", language: "vi", title: title, summary: nil, bodyFormat: "text", body: body,
                bodyHTML: "<p>\(body)</p>", attachments: [], classification: Classification(authors: [AuthorShare(name: "A")]),
                details: .object([:]), changeNote: nil, createdBy: nil, createdByLabel: "test", createdAt: Date(), contentSHA256: ""),
            articleId: id, unit: "district-benluc", on: connection)
        if state == "published" {
            try connection.query(
                "UPDATE editorial.articles SET state = 'published', approved_revision = 1, published_revision = 1 WHERE id = $1", [id])
            try ArticleRecords.indexPublished(id, on: connection)
        }
        return id
    }

    /// The pre-screen of an item's first revision, as the approval service runs it on an edit.
    func screen(_ id: UUID, on connection: Connection) throws {
        let revision = try #require(try ArticleRecords.revision(id, 1, on: connection))
        try ArticleRecords.screen(id, revision, on: connection)
    }

    /// The median over five rounds of the pre-screen's time per item for `ids`.
    func secondsPerItem(_ ids: [UUID], on connection: Connection) throws -> Double {
        var rounds = [Double]()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            for id in ids { try screen(id, on: connection) }
            let elapsed = ContinuousClock.now - started
            rounds.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / Double(ids.count))
        }
        return rounds.sorted()[2]
    }
}

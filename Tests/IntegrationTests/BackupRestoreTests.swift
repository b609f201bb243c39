import Foundation
import Store
import Testing

/// Art. 16.3: a backup at least weekly and a restore when something fails, against the running
/// services: what people sent through the APIs is found again after the database and the data
/// folder are lost.
@Suite("Backup and restore", .serialized)
struct BackupRestoreTests {
    static let financePort = 18_296

    @Test("R-1.7: a submission, its approval, its page, a citizen's question and the ledger entry are all found again after a backup is restored onto an empty database and data folder; a second backup copies no unchanged file; a damaged backup fails verification, naming the file")
    func backUpLoseEverythingRestore() async throws {
        try await FeedbackFlowTests().withServices { f in
            let finance = try ServiceProcess("finance", port: Self.financePort, environment: [:], in: f.s.env)
            do {
                try await finance.waitUntilReady()
                try await run(f)
            } catch {
                _ = try? await finance.terminate()
                throw error
            }
            #expect(try await finance.terminate() == 0)
        }
    }

    func run(_ f: FeedbackFlowTests.Services) async throws {
        let s = f.s, env = f.s.env
        let tag = UUID().uuidString.prefix(6).lowercased()
        // What people send, through the APIs.
        let article = try await PublishingSitesTests(publishingPort: FeedbackFlowTests.publishingPort)
            .approved(s, title: "Tin được sao lưu \(tag)", classification: #""targetSites": ["longan.gov.vn"]"#)
        let page = "sites/longan.gov.vn/bai-viet/\(article).html"
        let data = "\(s.work)/data"
        try await eventually("the page is written") { FileManager.default.fileExists(atPath: "\(data)/\(page)") }
        let articleId = try #require(UUID(uuidString: article))
        try await eventually("finance has its ledger entry") {
            try await f.pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM finance.ledger WHERE article_id = $1", [articleId]).one().decode("n", as: Int.self)
            } > 0
        }
        let asked = FeedbackFlowTests().question(
            f, #"{"name": "Lý Thị Sao Lưu", "email": "saoluu.\#(tag)@example.vn", "title": "Hỏi về sao lưu \#(tag)", "body": "Xin hỏi.", "field": "justice_civil_status", "consent": true}"#)
        let code = try #require(asked.json["trackingCode"] as? String, "\(asked.text)")
        let question = try await FeedbackFlowTests().id(of: code, f)

        // Two backups: the second copies no file that did not change. Publishing draws every site's
        // lists in its first minute on a new data folder: the backups wait until it is done.
        var before = [String: Date]()
        try await eventually("the sites are drawn", within: 120, every: .milliseconds(500)) {
            let stale = try await PublishingSitesTests.staleMarks(f.pool, data: data)
            let now = Self.modificationTimes(under: data)
            defer { before = now }
            return stale == 0 && now == before
        }
        let portalctl = try env.executable("portalctl")
        let repository = "\(s.work)/backups"
        let settings = ["PORTAL_DATABASE_URL": env.databaseURL, "PORTAL_DATA_DIR": data, "PORTAL_BACKUP_DIR": repository]
        let first = try env.run(portalctl, ["backup"], environment: settings)
        #expect(first.status == 0 && first.output.contains("Backup "), "\(first.output)")
        let stored = Self.objectCount(in: repository)
        let second = try env.run(portalctl, ["backup"], environment: settings)
        // The services keep running: a list redrawn meanwhile would be a new file; the rest are not copied again.
        let files = Self.number(in: second.output, before: " files ("), copied = Self.number(in: second.output, before: " new or changed)")
        #expect(second.status == 0 && files > 100 && copied < 5, "\(second.output)")
        #expect(Self.objectCount(in: repository) == stored + copied, "only what changed is stored again")
        let ready = httpRequest("GET", f.publishing.url("/readyz"))
        let backup = (try? JSONSerialization.jsonObject(with: Data(ready.body.utf8)) as? [String: Any])?["backup"] as? [String: Any]
        #expect(backup?["lastGoodAt"] != nil && backup?["warning"] == nil, "/readyz says how old the last good backup is: \(ready.body)")

        // A new machine: an empty database and an empty data folder.
        let database = "portal_restore_\(tag)"
        var components = try #require(URLComponents(string: env.databaseURL))
        components.path = "/" + database
        let restoredURL = try #require(components.string)
        let restoredData = "\(s.work)/restored/data"
        let restoredSettings = ["PORTAL_DATABASE_URL": restoredURL, "PORTAL_DATA_DIR": restoredData, "PORTAL_BACKUP_DIR": repository]
        defer {
            _ = try? env.run("/usr/bin/env", ["psql", env.databaseURL, "-qc", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"])
        }
        let restored = try env.run(portalctl, ["restore", "--from", "latest"], environment: restoredSettings)
        #expect(restored.status == 0 && restored.output.contains("every count as in the backup"), "\(restored.output)")

        let restoredEnv = try TestEnvironment(databaseURL: restoredURL)
        let pool = try await restoredEnv.database()
        let found = try await pool.withConnection { connection -> [String: Int] in
            func count(_ sql: String, _ id: UUID) throws -> Int { try connection.query(sql, [id]).one().decode("n") }
            return [
                "submission": try count("SELECT count(*)::int AS n FROM intake.submissions WHERE id = $1", articleId),
                "approval": try count("SELECT count(*)::int AS n FROM editorial.decisions WHERE article_id = $1 AND action = 'approve'", articleId),
                "page": try count("SELECT count(*)::int AS n FROM publishing.articles WHERE id = $1 AND state = 'published'", articleId),
                "question": try count("SELECT count(*)::int AS n FROM feedback.questions WHERE id = $1", question),
                "ledger": try count("SELECT count(*)::int AS n FROM finance.ledger WHERE article_id = $1", articleId),
            ]
        }
        await pool.close()
        for (what, n) in found.sorted(by: { $0.key < $1.key }) { #expect(n >= 1, "the \(what) is found again after the restore") }
        #expect(FileManager.default.contents(atPath: "\(restoredData)/\(page)") == FileManager.default.contents(atPath: "\(data)/\(page)"),
                "the page, byte for byte")

        // Restoring over a database that has tables needs --force.
        let again = try env.run(portalctl, ["restore", "--from", "latest"], environment: restoredSettings)
        #expect(again.status != 0 && again.output.contains("--force"), "\(again.output)")

        // Verification restores into a scratch database; a damaged file is named.
        let verified = try env.run(portalctl, ["backup", "verify"], environment: settings)
        #expect(verified.status == 0 && verified.output.contains("verified"), "\(verified.output)")
        let bytes = try #require(FileManager.default.contents(atPath: "\(data)/\(page)"))
        let object = try #require(try Self.objectPath(of: bytes, in: repository))
        try Data("altered".utf8).write(to: URL(fileURLWithPath: object))
        let damaged = try env.run(portalctl, ["backup", "verify"], environment: settings)
        #expect(damaged.status != 0 && damaged.output.contains("bai-viet/\(article).html"), "\(damaged.output)")
    }

    /// The number just before `suffix` in `text` ("995 files (12 new…"), thousands separators allowed.
    static func number(in text: String, before suffix: String) -> Int {
        guard let end = text.range(of: suffix)?.lowerBound else { return -1 }
        let digits = text[..<end].reversed().prefix { $0.isNumber || $0 == "," || $0 == "." }
        return Int(String(digits.reversed()).filter(\.isNumber)) ?? -1
    }

    static func modificationTimes(under folder: String) -> [String: Date] {
        var times = [String: Date]()
        let walker = FileManager.default.enumerator(atPath: folder)
        while let path = walker?.nextObject() as? String {
            times[path] = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(path)"))?[.modificationDate] as? Date
        }
        return times
    }

    static func objectCount(in repository: String) -> Int {
        let objects = "\(repository)/objects"
        return ((try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? [])
            .reduce(0) { $0 + ((try? FileManager.default.contentsOfDirectory(atPath: "\(objects)/\($1)").count) ?? 0) }
    }

    /// Where the repository keeps a file of these bytes (`objects/<first two>/<sha256>`).
    static func objectPath(of bytes: Data, in repository: String) throws -> String? {
        let objects = "\(repository)/objects"
        for prefix in try FileManager.default.contentsOfDirectory(atPath: objects) {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(objects)/\(prefix)")
            where FileManager.default.contents(atPath: "\(objects)/\(prefix)/\(name)") == bytes {
                return "\(objects)/\(prefix)/\(name)"
            }
        }
        return nil
    }
}

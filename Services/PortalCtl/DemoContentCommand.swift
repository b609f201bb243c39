import ArgumentParser
import Foundation
import Images
import NIOHTTP1
import ServiceKit

/// `portalctl demo content`: the demonstration portal's first stories, legal documents and photos
/// (`seeds/demo-content.json`, photos drawn now), taken through the real flow: a unit's
/// collaborator submits through intake's API, an editor classifies and sends each for approval,
/// the right Board member approves it, publishing puts it on the sites. A second run adds nothing:
/// every submission carries a fixed Idempotency-Key and a step already done is skipped.
struct DemoContentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content", abstract: "Publish the demonstration portal's stories and documents through the running services.")

    @Option(help: "seeds/demo-content.json")
    var file = "seeds/demo-content.json"

    @Option(help: "The running intake service.")
    var intakeURL = "http://127.0.0.1:8081"

    @Option(help: "The running approval service.")
    var approvalURL = "http://127.0.0.1:8082"

    @Option(help: "The running feedback service.")
    var feedbackURL = "http://127.0.0.1:8084"

    struct Content: Decodable {
        var articles: [Item]
        var legalDocuments: [Item]
        var questions: [Question]?
    }

    /// A citizen's question, sent through feedback's API as a citizen sends it.
    struct Question: Decodable {
        var name: String
        var email: String
        var title: String
        var body: String
        var field: String?
    }

    struct Item: Decodable {
        struct Picture: Decodable {
            var caption: String
            var color: [Int]
            var alt: String
        }

        var key: String
        var submitter: String
        var approver: String
        var kind: String
        var genre: String
        var coefficient: Double
        var categories: [String]
        var alsoOnOwnSite: Bool?
        var title: String
        var summary: String?
        var body: String
        var image: Picture?
        var legalDocument: [String: String]?
    }

    func run() async throws {
        let content = try JSONDecoder().decode(Content.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        let items = content.legalDocuments + content.articles
        try await ToolContext().run { tool in
            var tokens = [String: String](), names = [String: String]()
            for login in Set(items.flatMap { [$0.submitter, $0.approver] } + ["btv.lan"]) {
                tokens[login] = try await ApiTokens(database: tool.database).create(login: login, label: "demo content", lifetimeDays: 1)
                names[login] = try await tool.database.withConnection {
                    try $0.query("SELECT full_name FROM core.users WHERE login = $1", [login]).rows.first?.decode("full_name", as: String.self)
                }
            }
            var published = 0
            for (index, item) in items.enumerated() {
                FileHandle.standardError.write(Data("demo content \(index + 1)/\(items.count): \(item.title)\n".utf8))
                if try await publish(item, tokens: tokens, author: names[item.submitter] ?? item.submitter) { published += 1 }
            }
            print("demo content: \(published) published now, \(items.count - published) already there")
            var asked = 0
            for question in content.questions ?? [] {
                // A question has no idempotency key (a citizen asks again on purpose): one with the same title is there already.
                let there = try await tool.database.withConnection {
                    try $0.query("SELECT 1 FROM feedback.questions WHERE title = $1 LIMIT 1", [question.title]).rows.isEmpty == false
                }
                if there { continue }
                var body: [String: Any] = ["name": question.name, "email": question.email, "title": question.title, "body": question.body, "consent": true]
                if let field = question.field { body["field"] = field }
                let answer = try await call(feedbackURL, .POST, "/api/v1/questions", token: nil, json: body, headers: [("X-Forwarded-For", "192.0.2.\(asked + 1)")])
                guard answer.status == 202 else { throw ValidationError("question \(question.title): feedback answered \(answer.status): \(answer.text)") }
                asked += 1
            }
            print("demo questions: \(asked) asked now")
        }
    }

    /// Takes one item as far as approval; false when an earlier run already did.
    func publish(_ item: Item, tokens: [String: String], author: String) async throws -> Bool {
        var submission: [String: Any] = [
            "title": item.title, "body": item.body, "bodyFormat": "markdown", "kind": item.kind, "targetSites": ["longan.gov.vn"],
            "alsoOnOwnSite": item.alsoOnOwnSite ?? false,
        ]
        if let summary = item.summary { submission["summary"] = summary }
        if let legal = item.legalDocument { submission["legalDocument"] = legal }
        if let picture = item.image, picture.color.count == 3 {
            let jpeg = try DemoPictures.jpeg(width: 1200, height: 800, caption: picture.caption, red: picture.color[0], green: picture.color[1], blue: picture.color[2])
            submission["attachments"] = [["filename": "\(item.key).jpg", "contentType": "image/jpeg", "dataBase64": Data(jpeg).base64EncodedString(), "altText": picture.alt]]
        }
        let created = try await call(intakeURL, .POST, "/api/v1/submissions", token: tokens[item.submitter], json: submission,
                                     headers: [("Idempotency-Key", item.key)])
        guard created.status == 202, let id = created.json["id"] as? String else {
            throw ValidationError("\(item.key): intake answered \(created.status): \(created.text)")
        }
        // The editors' view, once approval has the item.
        var view: [String: Any] = [:]
        for _ in 0..<100 {
            let answer = try await call(approvalURL, .GET, "/api/v1/articles/\(id)", token: tokens["btv.lan"])
            if answer.status == 200 { view = answer.json; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let state = view["state"] as? String else { throw ValidationError("\(item.key): the item did not reach the editors") }
        if ["approved", "published"].contains(state) { return false }
        var revision = (view["revision"] as? [String: Any])?["number"] as? Int ?? 1
        if state == "received" || state == "in_editing" {
            let classification: [String: Any] = [
                "genre": item.genre, "coefficient": item.coefficient, "categories": item.categories, "targetSites": ["longan.gov.vn"],
                "alsoOnOwnSite": item.alsoOnOwnSite ?? false, "authors": [["name": author, "share": 100]],
            ]
            let edited = try await call(approvalURL, .PUT, "/api/v1/articles/\(id)", token: tokens["btv.lan"],
                                        json: ["classification": classification, "changeNote": "Biên tập, phân loại"], headers: [("If-Match", "\"\(revision)\"")])
            guard edited.status == 200 else { throw ValidationError("\(item.key): classification refused: \(edited.text)") }
            revision = (edited.json["revision"] as? [String: Any])?["number"] as? Int ?? revision + 1
            let sent = try await call(approvalURL, .POST, "/api/v1/articles/\(id)/submit-for-approval", token: tokens["btv.lan"], json: [:])
            guard sent.status == 200 else { throw ValidationError("\(item.key): not sent for approval: \(sent.text)") }
        }
        let approved = try await call(approvalURL, .POST, "/api/v1/articles/\(id)/approve", token: tokens[item.approver], json: ["revision": revision])
        guard approved.status == 200 else { throw ValidationError("\(item.key): \(item.approver) could not approve: \(approved.text)") }
        return true
    }

    struct Answer {
        var status: Int
        var text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    }

    func call(
        _ base: String, _ method: HTTPMethod, _ path: String, token: String?, json: [String: Any]? = nil, headers: [(String, String)] = []
    ) async throws -> Answer {
        guard let url = URLComponents(string: base), let host = url.host else { throw ValidationError("not a URL: \(base)") }
        // Sorted keys: the same item is the same request body on every run (its Idempotency-Key holds).
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map { [UInt8]($0) } ?? []
        var all = headers + [("Host", host), ("Authorization", "Bearer \(token ?? "")")]
        if json != nil { all.append(("Content-Type", "application/json")) }
        return try await HTTPBenchClient.withConnection(host: host, port: url.port ?? 80) { session in
            let answer = try await session.exchange(method, path, body: body, headers: all)
            return Answer(status: answer.status, text: String(decoding: answer.body, as: UTF8.self))
        }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demonstration data for a new installation.", subcommands: [DemoContentCommand.self])
}

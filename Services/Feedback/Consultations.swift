import CXlsxWriter
import ContentSafety
import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit
import Store

/// Drafts of legal documents open for public comment (Art. 13.5, R-6.4): an approved
/// `draft_for_comment` is kept with its dates and its articles (Điều); it opens when published;
/// comments are taken between the opening and the closing date, on the whole text or on one
/// article; the lead unit exports them and publishes how they were taken into account.
struct Consultations: Sendable {
    let database: DatabasePool
    let outbox: Outbox

    struct Consultation: Sendable {
        let id: UUID
        let unitCode: String
        let title: String
        let bodyText: String
        let articles: [(number: Int, title: String)]
        let opensOn: LocalDate
        let closesOn: LocalDate
        let state: String
        let url: String?
        let summary: String?
        let comments: Int

        init(_ row: Row) throws {
            id = try row.decode("id")
            unitCode = try row.decode("unit_code")
            title = try row.decode("title")
            bodyText = try row.decode("body_text")
            let list = try JSONDecoder().decode([Article].self, from: Data((try row.decode("articles", as: String.self)).utf8))
            articles = list.map { ($0.number, $0.title) }
            opensOn = LocalDate(iso: try row.decode("opens_on")) ?? .today
            closesOn = LocalDate(iso: try row.decode("closes_on")) ?? .today
            state = try row.decode("state")
            url = try row.decodeIfPresent("url")
            summary = try row.decodeIfPresent("summary")
            comments = try row.decodeIfPresent("comments") ?? 0
        }

        /// Whether a comment sent on `day` is taken: published, not taken down, within the dates.
        func isOpen(on day: LocalDate) -> Bool { state == "open" && opensOn <= day && day <= closesOn }
    }

    struct Article: Codable {
        let number: Int
        let title: String
    }

    static let columns = """
        c.id, c.unit_code, c.title, c.body_text, c.articles::text AS articles, c.opens_on::text AS opens_on, c.closes_on::text AS closes_on,
        c.state, c.url, c.summary, (SELECT count(*) FROM feedback.comments m WHERE m.consultation_id = c.id)::int AS comments
        """

    /// The draft's text, a line per paragraph, from its sanitised HTML; a picture (a diagram, a
    /// table drawn as an image) stays where it stood as its description, so that a reader sees
    /// something is there and what it shows, and finds it in the full text on the portal.
    static func text(ofHTML html: String) -> String {
        var marked = html
        for end in ["</p>", "</h1>", "</h2>", "</h3>", "</h4>", "</li>", "<br>", "<br/>", "<br />", "</div>", "</blockquote>"] {
            marked = marked.replacingOccurrences(of: end, with: end + "\u{1E}", options: .caseInsensitive)
        }
        // A picture's note is a line of its own, so that "Điều 3." after a picture in the same
        // paragraph still starts a line and is found as an article.
        return marked.split(separator: "\u{1E}")
            .flatMap { HTMLSanitizer.plainText(String($0)) { "\u{1E}" + pictureNote($0) + "\u{1E}" }.split(separator: "\u{1E}") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// "[Hình: sơ đồ tổ chức]"; "[Hình]" for a picture nobody described.
    static func pictureNote(_ alt: String) -> String {
        alt.isEmpty ? "[Hình]" : "[Hình: \(alt)]"
    }

    static func keep(_ approval: ArticleApproved, on connection: Connection) throws {
        guard case .object(let details)? = Optional(approval.content.details), case .object(let draft)? = details["draft"],
              case .string(let opens)? = draft["opensOn"], case .string(let closes)? = draft["closesOn"],
              let opensOn = LocalDate(iso: opens), let closesOn = LocalDate(iso: closes), opensOn <= closesOn else {
            throw PermanentFailure("a draft for comment without its opening and closing dates")
        }
        let text = Self.text(ofHTML: approval.content.bodyHTML)
        let articles = DraftArticles.list(text).map { Article(number: $0.number, title: $0.title) }
        let json = String(decoding: try JSONEncoder().encode(articles), as: UTF8.self)
        // A correction re-approves the draft: its text and dates follow; its comments stay.
        try connection.query(
            """
            INSERT INTO feedback.consultations (id, unit_code, title, body_text, articles, opens_on, closes_on, state)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6::date, $7::date, 'approved')
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, body_text = EXCLUDED.body_text, articles = EXCLUDED.articles,
                opens_on = EXCLUDED.opens_on, closes_on = EXCLUDED.closes_on
            """, [approval.articleId, approval.content.unitCode, approval.content.title, text, json, opensOn.description, closesOn.description])
    }

    static func open(_ status: ArticleStatusPayload, correlationId: String, outbox: Outbox, on connection: Connection) throws {
        guard let row = try connection.query(
            """
            UPDATE feedback.consultations SET state = 'open', url = $2 WHERE id = $1 AND state = 'approved'
            RETURNING unit_code, opens_on::text AS opens_on, closes_on::text AS closes_on
            """, [status.articleId, status.url]).rows.first else { return }
        let event = ConsultationEvent(
            consultationId: status.articleId, unitCode: try row.decode("unit_code"),
            opensOn: LocalDate(iso: try row.decode("opens_on")) ?? .today, closesOn: LocalDate(iso: try row.decode("closes_on")) ?? .today)
        try outbox.enqueue(try Self.envelope(EventType.consultationOpened, event, correlationId: correlationId), on: connection)
    }

    static func envelope(_ type: String, _ event: ConsultationEvent, correlationId: String) throws -> EventEnvelope {
        EventEnvelope(type: type, correlationId: correlationId, producer: "feedback",
                      encoding: event)
    }

    func find(_ id: UUID) async throws -> Consultation? {
        try await database.withConnection { connection in
            try connection.query("SELECT \(Self.columns) FROM feedback.consultations c WHERE c.id = $1", [id]).rows.first.map(Consultation.init)
        }
    }

    /// Published consultations, open ones first; a unit's own when `unit` is given.
    func list(unit: String? = nil, limit: Int = 100) async throws -> [Consultation] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT \(Self.columns) FROM feedback.consultations c
                WHERE c.state = 'open' AND ($1::text IS NULL OR c.unit_code = $1)
                ORDER BY (c.closes_on >= $2::date) DESC, c.closes_on DESC LIMIT $3
                """, [unit, LocalDate.today.description, limit]).rows.map(Consultation.init)
        }
    }

    /// A citizen's comment; refused after the closing date with the date it closed.
    func comment(on id: UUID, articleNumber: Int?, body: String, organisation: String?, correlationId: String) async throws -> UUID {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await database.withTransaction { [outbox] connection in
            guard let consultation = try connection.query(
                "SELECT \(Self.columns) FROM feedback.consultations c WHERE c.id = $1 AND c.state <> 'approved'", [id]).rows.first.map(Consultation.init) else {
                throw QuestionStore.Refusal(.notFound, "consultation_not_found", "Không có dự thảo lấy ý kiến này.")
            }
            let today = LocalDate.today
            if consultation.state == "taken_down" || today > consultation.closesOn {
                throw QuestionStore.Refusal(.conflict, "consultation_closed",
                    "Dự thảo đã hết thời gian lấy ý kiến ngày \(consultation.closesOn.vietnamese); ý kiến gửi sau ngày này không được tiếp nhận. / Comments closed on \(consultation.closesOn.description).")
            }
            if today < consultation.opensOn {
                throw QuestionStore.Refusal(.conflict, "consultation_not_open",
                    "Dự thảo bắt đầu lấy ý kiến từ ngày \(consultation.opensOn.vietnamese). / Comments open on \(consultation.opensOn.description).")
            }
            guard !text.isEmpty else { throw QuestionStore.Refusal(.badRequest, "comment_required", "Vui lòng nhập nội dung góp ý.") }
            guard text.count <= NewQuestion.maxBody else {
                throw QuestionStore.Refusal(.badRequest, "comment_too_long", "Góp ý dài quá 10.000 ký tự.")
            }
            if let articleNumber, !consultation.articles.contains(where: { $0.number == articleNumber }) {
                throw QuestionStore.Refusal(.badRequest, "unknown_article", "Dự thảo không có Điều \(articleNumber).")
            }
            let organisationName = organisation?.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
            let commentId = UUID()
            try connection.query(
                "INSERT INTO feedback.comments (id, consultation_id, article_number, body, organisation) VALUES ($1, $2, $3, $4, $5)",
                [commentId, id, articleNumber, text, organisationName.flatMap { $0.isEmpty ? nil : String($0) }])
            try outbox.enqueue(
                try Self.envelope(EventType.commentReceived, ConsultationEvent(
                    consultationId: id, unitCode: consultation.unitCode, opensOn: consultation.opensOn, closesOn: consultation.closesOn,
                    commentId: commentId, articleNumber: articleNumber), correlationId: correlationId), on: connection)
            return commentId
        }
    }

    struct Comment: Sendable {
        let articleNumber: Int?
        let body: String
        let organisation: String?
        let receivedAt: Date
    }

    func comments(of id: UUID) async throws -> [Comment] {
        try await database.withConnection { connection in
            try connection.query(
                "SELECT article_number, body, organisation, received_at FROM feedback.comments WHERE consultation_id = $1 ORDER BY received_at", [id]
            ).rows.map {
                Comment(articleNumber: try $0.decodeIfPresent("article_number"), body: try $0.decode("body"),
                        organisation: try $0.decodeIfPresent("organisation"), receivedAt: try $0.decode("received_at"))
            }
        }
    }

    /// The lead unit's summary of how the comments were taken into account, shown on the draft's page.
    func publishSummary(_ id: UUID, text: String, by user: AuthenticatedUser) async throws {
        let summary = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !summary.isEmpty else { throw QuestionStore.Refusal(.badRequest, "summary_required", "Vui lòng nhập nội dung tổng hợp, giải trình.") }
        try await database.withTransaction { connection in
            let updated = try connection.query(
                "UPDATE feedback.consultations SET summary = $2, summary_published_at = now() WHERE id = $1 AND unit_code = $3",
                [id, summary, user.unitCode ?? ""])
            guard updated.affectedRows == 1 else {
                throw QuestionStore.Refusal(.forbidden, "not_lead_unit", "Chỉ đơn vị chủ trì dự thảo công bố được báo cáo tiếp thu, giải trình.")
            }
            try AuditLog.append(service: "feedback", actor: user.login, action: "consultation.summary_published", subject: id.uuidString.lowercased(),
                                correlationId: nil, on: connection)
        }
    }

    /// `consultation.closed` for each consultation whose closing date has passed, once.
    static func announceClosed(outbox: Outbox, on connection: Connection) throws -> Int {
        let rows = try connection.query(
            """
            UPDATE feedback.consultations SET closed_event_at = now()
            WHERE id IN (SELECT id FROM feedback.consultations WHERE state = 'open' AND closes_on < $1::date AND closed_event_at IS NULL
                         FOR UPDATE SKIP LOCKED)
            RETURNING id, unit_code, opens_on::text AS opens_on, closes_on::text AS closes_on
            """, [LocalDate.today.description]).rows
        for row in rows {
            let event = ConsultationEvent(
                consultationId: try row.decode("id"), unitCode: try row.decode("unit_code"),
                opensOn: LocalDate(iso: try row.decode("opens_on")) ?? .today, closesOn: LocalDate(iso: try row.decode("closes_on")) ?? .today)
            try outbox.enqueue(try envelope(EventType.consultationClosed, event, correlationId: UUID().uuidString.lowercased()), on: connection)
        }
        return rows.count
    }

    // MARK: Exports

    static let exportHeaders = ["STT", "Ngày nhận", "Điều", "Tổ chức", "Nội dung góp ý"]

    static func rows(_ comments: [Comment]) -> [[String]] {
        comments.enumerated().map { index, comment in
            [String(index + 1), PortalCalendar.dateTime(comment.receivedAt), comment.articleNumber.map { "Điều \($0)" } ?? "Toàn văn",
             comment.organisation ?? "", comment.body]
        }
    }

    /// RFC 4180, with a byte-order mark so that spreadsheet programs read Vietnamese right.
    static func csv(_ comments: [Comment]) -> String {
        func field(_ text: String) -> String {
            let safe = TextSafety.spreadsheetText(text)
            return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return "\u{FEFF}" + ([exportHeaders] + rows(comments)).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    struct ExportFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func xlsx(_ comments: [Comment], title: String) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "gop-y-\(UUID().uuidString.prefix(8)).xlsx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let workbook = workbook_new(path), let sheet = workbook_add_worksheet(workbook, "Góp ý") else {
            throw ExportFailure(description: "libxlsxwriter could not create \(path)")
        }
        let bold = workbook_add_format(workbook)
        format_set_bold(bold)
        let wrap = workbook_add_format(workbook)
        format_set_text_wrap(wrap)
        worksheet_write_string(sheet, 0, 0, "Tổng hợp góp ý: \(title)", bold)
        for (column, header) in exportHeaders.enumerated() {
            worksheet_write_string(sheet, 2, lxw_col_t(column), header, bold)
        }
        worksheet_set_column(sheet, 1, 1, 18, nil)
        worksheet_set_column(sheet, 2, 3, 16, nil)
        worksheet_set_column(sheet, 4, 4, 80, wrap)
        for (index, row) in rows(comments).enumerated() {
            for (column, value) in row.enumerated() {
                worksheet_write_string(sheet, lxw_row_t(3 + index), lxw_col_t(column), value, column == 4 ? wrap : nil)
            }
        }
        let result = workbook_close(workbook)
        guard result == LXW_NO_ERROR else { throw ExportFailure(description: "libxlsxwriter: \(String(cString: lxw_strerror(result)))") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ExportFailure(description: "the workbook was not written") }
        return [UInt8](data)
    }
}

import Foundation
import Models
import ServiceKit
import Store

/// The units' activity over a period (Art. 9.2.h; the quarterly report for the Board's meeting,
/// Art. 9.3; the yearly contribution table for emulation and awards, Art. 22.1): items submitted,
/// published, returned, refused by reason, the average time from submission to decision, questions
/// received and answered on time or late. Counted from the events finance receives.
struct ActivityReports: Sendable {
    let database: DatabasePool

    struct Recorded: Codable {
        var eventId: UUID
        var type: String
        var subjectId: UUID
        var unitCode: String?
        var at: Date
        var refusalReason: String?
        var dueOn: String?
    }

    /// What the activity report counts from one event; nil for events it does not count.
    static func recorded(_ envelope: EventEnvelope) throws -> Recorded? {
        var subject: UUID?, unit: String?, reason: String?, due: String?
        switch envelope.type {
        case EventType.submissionReceived:
            let content = try envelope.decode(SubmittedContent.self)
            subject = content.submissionId
            unit = content.unitCode
        case EventType.articleApproved:
            let approval = try envelope.decode(ArticleApproved.self)
            subject = approval.articleId
            unit = approval.content.unitCode
        case EventType.articlePublished, EventType.articleRejected, EventType.articleReturned:
            let status = try envelope.payload(as: ArticleStatusPayload.self)
            subject = status.articleId
            unit = status.unitCode
            reason = status.refusalReason?.rawValue
        case EventType.questionReceived, EventType.questionRouted, EventType.questionAnswered:
            // Questions (feedback): `questionId`, `unitCode` (the Center until routed) and, once
            // routed, `dueOn`: a question counts for the unit it was last routed to.
            guard case .object(let fields) = envelope.payload else { return nil }
            if case .string(let id)? = fields["questionId"] { subject = UUID(uuidString: id) }
            if case .string(let code)? = fields["unitCode"] { unit = code }
            if case .string(let day)? = fields["dueOn"] { due = day }
        default:
            return nil
        }
        guard let subject else { return nil }
        return Recorded(eventId: envelope.id, type: envelope.type, subjectId: subject, unitCode: unit, at: envelope.occurredAt,
                        refusalReason: reason, dueOn: due)
    }

    /// Keeps what the activity report counts from a batch of events, in one statement. An event
    /// that does not name the unit takes the one an earlier event of the same item gave (in this
    /// batch or before); one whose unit nobody gave is not counted.
    static func record(_ envelopes: [EventEnvelope], on connection: Connection) throws {
        let rows = try envelopes.compactMap(recorded)
        guard !rows.isEmpty else { return }
        let json = String(decoding: try EventCoding.encoder.encode(rows), as: UTF8.self)
        try connection.query(
            """
            WITH input AS (
                SELECT (r->>'eventId')::uuid AS event_id, r->>'type' AS type, (r->>'subjectId')::uuid AS subject_id, r->>'unitCode' AS unit_code,
                       (r->>'at')::timestamptz AS at, r->>'refusalReason' AS refusal_reason, (r->>'dueOn')::date AS due_on
                FROM jsonb_array_elements($1::jsonb) AS r
            )
            INSERT INTO finance.activity (event_id, type, subject_id, unit_code, at, refusal_reason, due_on)
            SELECT i.event_id, i.type, i.subject_id,
                   coalesce(i.unit_code,
                            (SELECT o.unit_code FROM input o WHERE o.subject_id = i.subject_id AND o.unit_code IS NOT NULL LIMIT 1),
                            (SELECT a.unit_code FROM finance.activity a WHERE a.subject_id = i.subject_id LIMIT 1)),
                   i.at, i.refusal_reason, i.due_on
            FROM input i
            WHERE coalesce(i.unit_code,
                           (SELECT o.unit_code FROM input o WHERE o.subject_id = i.subject_id AND o.unit_code IS NOT NULL LIMIT 1),
                           (SELECT a.unit_code FROM finance.activity a WHERE a.subject_id = i.subject_id LIMIT 1)) IS NOT NULL
            ON CONFLICT (event_id) DO NOTHING
            """, [json])
    }

    struct UnitActivity: Codable, Sendable {
        var unitCode: String
        var unitName: String
        var submitted: Int
        var published: Int
        var returned: Int
        var rejected: Int
        var rejectedByReason: [String: Int]
        /// Hours from submission to approval or refusal, on average; nil without decisions.
        var averageHoursToDecision: Double?
        var questionsReceived: Int
        var answeredOnTime: Int
        var answeredLate: Int
        var overdue: Int
    }

    struct Report: Codable, Sendable {
        var from: LocalDate
        var to: LocalDate
        var units: [UnitActivity]
    }

    func report(from: LocalDate, to: LocalDate) async throws -> Report {
        let rows = try await database.withConnection { connection in
            try connection.query(
                """
                WITH period AS (
                    SELECT * FROM finance.activity
                    WHERE at >= ($1::date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                      AND at < (($2::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                ), decisions AS (
                    SELECT d.unit_code, extract(epoch FROM d.at - s.at) / 3600 AS hours
                    FROM period d JOIN finance.activity s ON s.subject_id = d.subject_id AND s.type = 'submission.received'
                    WHERE d.type IN ('article.approved', 'article.rejected')
                ), answers AS (
                    -- A question routed in the period, to the unit it was routed to last, with the due
                    -- date that routing set; answered or not.
                    SELECT DISTINCT ON (r.subject_id) r.unit_code, r.due_on, a.at AS answered_at
                    FROM period r LEFT JOIN finance.activity a ON a.subject_id = r.subject_id AND a.type = 'question.answered'
                    WHERE r.type = 'question.routed'
                    ORDER BY r.subject_id, r.at DESC
                )
                SELECT u.code AS unit_code, u.name AS unit_name,
                    (SELECT count(*) FROM period p WHERE p.unit_code = u.code AND p.type = 'submission.received') AS submitted,
                    (SELECT count(DISTINCT subject_id) FROM period p WHERE p.unit_code = u.code AND p.type = 'article.published') AS published,
                    (SELECT count(*) FROM period p WHERE p.unit_code = u.code AND p.type = 'article.returned') AS returned,
                    (SELECT coalesce(json_object_agg(reason, n), '{}')::text FROM (
                        SELECT refusal_reason AS reason, count(*) AS n FROM period p
                        WHERE p.unit_code = u.code AND p.type = 'article.rejected' GROUP BY refusal_reason) r) AS rejected,
                    (SELECT avg(hours) FROM decisions d WHERE d.unit_code = u.code)::float8 AS hours,
                    (SELECT count(*) FROM answers a WHERE a.unit_code = u.code) AS questions,
                    (SELECT count(*) FROM answers a WHERE a.unit_code = u.code AND a.answered_at IS NOT NULL
                        AND (a.due_on IS NULL OR (a.answered_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= a.due_on)) AS on_time,
                    (SELECT count(*) FROM answers a WHERE a.unit_code = u.code AND a.answered_at IS NOT NULL
                        AND (a.answered_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date > a.due_on) AS late,
                    (SELECT count(*) FROM answers a WHERE a.unit_code = u.code AND a.answered_at IS NULL
                        AND a.due_on < (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) AS overdue
                FROM core.units u
                WHERE EXISTS (SELECT 1 FROM period p WHERE p.unit_code = u.code)
                ORDER BY u.code
                """, [from.description, to.description]
            ).rows
        }
        let units = try rows.map { row in
            let rejected = try JSONDecoder().decode([String: Int].self, from: Data(try row.decode("rejected", as: String.self).utf8))
            return UnitActivity(
                unitCode: try row.decode("unit_code"), unitName: try row.decode("unit_name"), submitted: try row.decode("submitted"),
                published: try row.decode("published"), returned: try row.decode("returned"), rejected: rejected.values.reduce(0, +),
                rejectedByReason: rejected, averageHoursToDecision: try row.decodeIfPresent("hours"),
                questionsReceived: try row.decode("questions"), answeredOnTime: try row.decode("on_time"), answeredLate: try row.decode("late"),
                overdue: try row.decode("overdue"))
        }
        return Report(from: from, to: to, units: units)
    }

    static func table(_ report: Report) -> Spreadsheet.Table {
        Spreadsheet.Table(
            sheet: "Hoạt động", headers: ["Mã đơn vị", "Đơn vị", "Tin bài gửi", "Đã đăng", "Trả lại", "Từ chối", "Giờ trung bình đến quyết định",
                                        "Câu hỏi nhận", "Trả lời đúng hạn", "Trả lời trễ hạn", "Quá hạn chưa trả lời"],
            items: report.units,
            cells: { unit in
                [.text(unit.unitCode), .text(unit.unitName), .number(Double(unit.submitted)), .number(Double(unit.published)),
                 .number(Double(unit.returned)), .number(Double(unit.rejected)),
                 unit.averageHoursToDecision.map { .number(($0 * 100).rounded() / 100) } ?? .text(""),
                 .number(Double(unit.questionsReceived)), .number(Double(unit.answeredOnTime)), .number(Double(unit.answeredLate)),
                 .number(Double(unit.overdue))]
            }, totalColumn: nil)
    }

    static func xlsx(_ report: Report) throws -> [UInt8] {
        let sum = { (value: (UnitActivity) -> Int) in Int64(report.units.map(value).reduce(0, +)) }
        let summary = Spreadsheet.Summary(
            title: "Báo cáo hoạt động từ \(report.from.vietnamese) đến \(report.to.vietnamese)", state: "",
            lines: [("Tin bài gửi", sum(\.submitted)), ("Đã đăng", sum(\.published)), ("Trả lại", sum(\.returned)), ("Từ chối", sum(\.rejected))],
            totalLabel: nil, total: 0,
            after: [("Câu hỏi nhận", sum(\.questionsReceived)), ("Quá hạn chưa trả lời", sum(\.overdue))])
        return try Spreadsheet.xlsx(name: "activity", summary: summary, tables: [table(report)], counts: true)
    }
}

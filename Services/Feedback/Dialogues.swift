import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit
import Store

/// Online dialogues (Art. 13.4): leaders answer citizens' questions on a topic within a time
/// window. Questions are sent before and during it, routed to the participant who takes their
/// field, and each answer appears on the dialogue's public page as it is given; the page stays
/// as an archive.
struct Dialogues: Sendable {
    let database: DatabasePool
    let store: QuestionStore

    struct Dialogue: Sendable {
        let id: UUID
        let title: String
        let description: String
        let startsAt: Date
        let endsAt: Date
        let participants: [(userId: UUID, name: String, fields: [String])]

        /// Questions are taken until the dialogue ends.
        func acceptsQuestions(at now: Date = Date()) -> Bool { now < endsAt }
        func isLive(at now: Date = Date()) -> Bool { startsAt <= now && now < endsAt }
    }

    struct NewDialogue: Sendable {
        var title: String
        var description: String
        var startsAt: Date
        var endsAt: Date
        /// Login and the fields each participant takes.
        var participants: [(login: String, fields: [String])]
    }

    func create(_ new: NewDialogue, by user: AuthenticatedUser) async throws -> UUID {
        let title = new.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 250 else { throw QuestionStore.Refusal(.badRequest, "title_required", "Vui lòng nhập chủ đề (tối đa 250 ký tự).") }
        guard new.endsAt > new.startsAt else { throw QuestionStore.Refusal(.badRequest, "invalid_window", "Thời gian kết thúc phải sau thời gian bắt đầu.") }
        guard !new.participants.isEmpty else { throw QuestionStore.Refusal(.badRequest, "participants_required", "Chọn ít nhất một lãnh đạo tham gia.") }
        let id = UUID()
        try await database.withTransaction { connection in
            try connection.query(
                "INSERT INTO feedback.dialogues (id, title, description, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                [id, title, new.description, new.startsAt, new.endsAt, user.id])
            for participant in new.participants {
                let added = try connection.query(
                    """
                    INSERT INTO feedback.dialogue_participants (dialogue_id, user_id, field_codes)
                    SELECT $1, u.id, $3::text[] FROM core.users u WHERE u.login = $2 AND u.active
                    """, [id, participant.login, SQLArray.literal(participant.fields)])
                guard added.affectedRows == 1 else {
                    throw QuestionStore.Refusal(.badRequest, "unknown_participant", "Không có tài khoản “\(participant.login)”.")
                }
            }
            try AuditLog.append(service: "feedback", actor: user.login, action: "dialogue.created", subject: id.uuidString.lowercased(),
                                correlationId: nil, detail: ["title": title], on: connection)
        }
        return id
    }

    func find(_ id: UUID) async throws -> Dialogue? {
        try await database.withConnection { try Self.find(id, on: $0) }
    }

    static func find(_ id: UUID, on connection: Connection) throws -> Dialogue? {
        guard let row = try connection.query(
            "SELECT id, title, description, starts_at, ends_at FROM feedback.dialogues WHERE id = $1", [id]).rows.first else { return nil }
        let participants = try connection.query(
            """
            SELECT p.user_id, u.full_name, to_json(p.field_codes)::text AS fields FROM feedback.dialogue_participants p JOIN core.users u ON u.id = p.user_id
            WHERE p.dialogue_id = $1 ORDER BY u.full_name
            """, [id]).rows.map { row -> (UUID, String, [String]) in
            (try row.decode("user_id"), try row.decode("full_name"), try JSONDecoder().decode([String].self, from: Data(try row.decode("fields", as: String.self).utf8)))
        }
        return Dialogue(id: try row.decode("id"), title: try row.decode("title"), description: try row.decode("description"),
                        startsAt: try row.decode("starts_at"), endsAt: try row.decode("ends_at"),
                        participants: participants.map { ($0.0, $0.1, $0.2) })
    }

    func list(limit: Int = 50) async throws -> [Dialogue] {
        try await database.withConnection { connection in
            try connection.query("SELECT id FROM feedback.dialogues ORDER BY starts_at DESC LIMIT $1", [limit]).rows
                .compactMap { try Self.find(try $0.decode("id"), on: connection) }
        }
    }

    struct Answered: Sendable {
        let title: String
        let question: String
        let answer: String
        let answeredBy: String
        let answeredAt: Date
    }

    /// The answers given so far, newest first, for the public page (no personal data).
    func answers(of id: UUID) async throws -> [Answered] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT coalesce(q.public_title, $2) AS title, coalesce(q.public_question, $3) AS body, q.answer, u.full_name, q.answered_at
                FROM feedback.questions q JOIN core.users u ON u.id = q.answer_by
                WHERE q.dialogue_id = $1 AND q.state = 'published' ORDER BY q.answered_at DESC
                """, [id, Self.privateQuestionTitle, Self.privateQuestionText]).rows.map {
                Answered(title: try $0.decode("title"), question: try $0.decode("body"), answer: try $0.decode("answer"),
                         answeredBy: try $0.decode("full_name"), answeredAt: try $0.decode("answered_at"))
            }
        }
    }

    /// Shown in place of a dialogue question that holds the asker's personal data.
    static let privateQuestionTitle = "Câu hỏi của người dân"
    static let privateQuestionText = "Nội dung câu hỏi không được công khai vì có thông tin cá nhân của người hỏi."

    /// Questions waiting for a participant.
    func waiting(for user: AuthenticatedUser) async throws -> [QuestionStore.Case] {
        try await database.withConnection { connection in
            try connection.query(
                "SELECT \(QuestionStore.columns) FROM feedback.questions WHERE assigned_user_id = $1 AND state = 'routed' ORDER BY received_at LIMIT 200",
                [user.id]).rows.map(QuestionStore.Case.init)
        }
    }

    /// A participant answers on the dialogue: the answer is public at once, the citizen emailed.
    func answer(_ questionId: UUID, text: String, by user: AuthenticatedUser, correlationId: String) async throws {
        let answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !answer.isEmpty, answer.count <= 20_000 else { throw QuestionStore.Refusal(.badRequest, "answer_required", "Vui lòng nhập nội dung trả lời.") }
        let snapshot = try await store.reference.current()
        try await database.withTransaction { [store] connection in
            guard let current = try QuestionStore.find(questionId, on: connection, lock: true), current.assignedUserId == user.id,
                  current.dialogueId != nil else {
                throw QuestionStore.Refusal(.notFound, "question_not_found", "Câu hỏi không được chuyển cho đồng chí.")
            }
            guard current.state == .routed else { throw QuestionStore.Refusal(.conflict, "already_answered", "Câu hỏi đã được trả lời.") }
            // The answer goes public at once, with no review by the Center: it must hold none of the
            // asker's personal data, and the question is shown only if it holds none either.
            let person = try store.vault.read(question: questionId, reader: user.login, purpose: "answer email", correlationId: correlationId, on: connection)
            let screen = PersonalDataScreen(person: person)
            let inAnswer = screen.findings(in: [answer])
            guard inAnswer.isEmpty else { throw PersonalDataScreen.refusal(inAnswer, in: "Trả lời") }
            let questionIsPrivate = !screen.findings(in: [current.title, current.body]).isEmpty
            let today = LocalDate.today
            try connection.query(
                """
                UPDATE feedback.questions SET state = 'published', answer = $2, answer_by = $3, answered_at = now(), updated_at = now(),
                    public_title = CASE WHEN $4 THEN $5 ELSE title END, public_question = CASE WHEN $4 THEN $6 ELSE body END
                WHERE id = $1
                """, [questionId, answer, user.id, questionIsPrivate, Self.privateQuestionTitle, Self.privateQuestionText])
            try store.history(questionId, actor: user.login, action: "answered_in_dialogue", on: connection)
            try store.outbox.enqueue(
                try EventEnvelope(QuestionAnswered(questionId: questionId, unitCode: current.unitCode, dueOn: nil, answeredOn: today, published: true),
                                  correlationId: correlationId, producer: "feedback"), on: connection)
            try connection.query(
                "UPDATE feedback.personal_data SET delete_after = $2::date WHERE question_id = $1",
                [questionId, today.adding(days: store.retentionDays).description])
            if let person, let email = person.email {
                try store.mail.enqueue(
                    CitizenMail.answered(to: email, name: person.name, title: current.title, answer: answer, unit: snapshot.unitName(current.unitCode),
                                         published: false, site: current.siteDomain, questionId: questionId), on: connection)
            }
        }
    }
}

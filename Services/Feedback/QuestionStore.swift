import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mail
import Models
import ServiceKit
import Store

/// Questions as the Center, the units and the citizens change them. Each change, its history
/// line, its events (outbox) and its emails (mail outbox) commit in one transaction.
struct QuestionStore: Sendable {
    let database: DatabasePool
    let outbox: Outbox
    let mail: MailOutbox
    let vault: PersonalDataVault
    let reference: ReferenceData
    /// Days personal data is kept after a case ends (R-5.3), `FEEDBACK_RETENTION_DAYS`.
    let retentionDays: Int
    /// Where new questions are written: concurrent ones commit together.
    let writes: GroupCommit

    static func sha256(_ code: String) -> ByteA { ByteA(Array(SHA256.hash(data: Data(code.utf8)))) }

    struct Refusal: Error {
        let error: APIError
        init(_ status: HTTPResponse.Status, _ code: String, _ message: String) { error = APIError(status, code: code, message: message) }
    }

    // MARK: Receiving

    struct Received: Sendable {
        let id: UUID
        let trackingCode: String
    }

    /// Stores a checked question with its sealed personal data. A question whose citizen named its
    /// field goes to the unit in charge in the same transaction (`question.received` and
    /// `question.routed` together); one without waits in the Center's inbox. The citizen is told
    /// by one email when they gave one: the code, and the unit and due date once routed.
    ///
    /// Concurrent questions commit together (`GroupCommit`: one transaction, one flush), and none
    /// of a question's statements waits for an answer, except a dialogue's choice of participant:
    /// they go to the server with the COMMIT, in one round trip.
    func receive(_ question: NewQuestion, site: String, dialogueId: UUID? = nil, correlationId: String) async throws -> Received {
        let snapshot = try await reference.current()
        let id = UUID()
        let code = TrackingCode.make()
        let today = LocalDate.today
        // Content-addressed: a blob left by a transaction that then fails is harmless and reused.
        let attachment: BlobReference? = if let file = question.attachment {
            try await PostgresBlobStore(database: database).put(file.bytes, contentType: file.contentType)
        } else { nil }
        let received = try EventEnvelope(
            QuestionReceived(questionId: id, unitCode: snapshot.centerCode, fieldCode: question.fieldCode, dialogueId: dialogueId, receivedOn: today),
            correlationId: correlationId, producer: "feedback")
        let personal = question.personalData
        let sealed = try vault.seal(personal, question: id)
        try await writes.write { [outbox, mail, self] connection in
            // The question is new: routing it needs no read of it, only (in a dialogue) the participant.
            let routing = try question.fieldCode.map { field in
                try self.routing(fieldCode: field, receivedOn: today, dueOn: nil, dialogueId: dialogueId, snapshot: snapshot, on: connection)
            }
            try connection.send(
                """
                INSERT INTO feedback.questions (id, tracking_sha256, site_domain, title, body, asked_field_code, unit_code, state, received_on,
                    dialogue_id, attachment_sha256, attachment_type, attachment_name)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', $8::date, $9, $10, $11, $12)
                """,
                [id, Self.sha256(code), site, question.title, question.body, question.fieldCode, snapshot.centerCode, today.description,
                 dialogueId, attachment?.sha256, question.attachment?.contentType, question.attachment?.filename])
            try vault.send(sealed, question: id, on: connection)
            try history(id, actor: "citizen", action: "received", to: snapshot.centerCode, on: connection)
            try outbox.enqueue(received, on: connection)
            if let routing {
                try record(routing, of: id, from: snapshot.centerCode, actor: "system", correlationId: correlationId, on: connection)
            }
            if let email = personal.email {
                try mail.enqueue(
                    CitizenMail.received(
                        to: email, name: personal.name, title: question.title, code: code, site: site,
                        routed: dialogueId == nil ? routing.map { (snapshot.unitName($0.unitCode), $0.dueOn) } : nil),
                    on: connection)
            }
        }
        return Received(id: id, trackingCode: code)
    }

    func history(_ id: UUID, actor: String, action: String, from: String? = nil, to: String? = nil, note: String = "", on connection: Connection) throws {
        try connection.send(
            "INSERT INTO feedback.history (question_id, actor, action, from_unit, to_unit, note) VALUES ($1, $2, $3, $4, $5, $6)",
            [id, actor, action, from, to, note])
    }

    // MARK: Reading

    /// One question as staff see it (no personal data: that is read apart, and logged).
    struct Case: Sendable {
        let id: UUID
        let siteDomain: String
        let title: String
        let body: String
        let askedFieldCode: String?
        let fieldCode: String?
        let unitCode: String
        let state: QuestionState
        let receivedAt: Date
        let receivedOn: LocalDate
        let routedOn: LocalDate?
        let dueOn: LocalDate?
        let pausedOn: LocalDate?
        let clarificationRequest: String?
        let attachmentSHA256: String?
        let attachmentType: String?
        let attachmentName: String?
        let answer: String?
        let answerBy: UUID?
        let reviewNote: String?
        let publicTitle: String?
        let publicQuestion: String?
        let answeredAt: Date?
        let dialogueId: UUID?
        let assignedUserId: UUID?

        init(_ row: Row) throws {
            id = try row.decode("id")
            siteDomain = try row.decode("site_domain")
            title = try row.decode("title")
            body = try row.decode("body")
            askedFieldCode = try row.decodeIfPresent("asked_field_code")
            fieldCode = try row.decodeIfPresent("field_code")
            unitCode = try row.decode("unit_code")
            state = QuestionState(rawValue: try row.decode("state")) ?? .received
            receivedAt = try row.decode("received_at")
            receivedOn = LocalDate(iso: try row.decode("received_on")) ?? .today
            routedOn = try row.decodeIfPresent("routed_on", as: String.self).flatMap { LocalDate(iso: $0) }
            dueOn = try row.decodeIfPresent("due_on", as: String.self).flatMap { LocalDate(iso: $0) }
            pausedOn = try row.decodeIfPresent("paused_on", as: String.self).flatMap { LocalDate(iso: $0) }
            clarificationRequest = try row.decodeIfPresent("clarification_request")
            attachmentSHA256 = try row.decodeIfPresent("attachment_sha256")
            attachmentType = try row.decodeIfPresent("attachment_type")
            attachmentName = try row.decodeIfPresent("attachment_name")
            answer = try row.decodeIfPresent("answer")
            answerBy = try row.decodeIfPresent("answer_by")
            reviewNote = try row.decodeIfPresent("review_note")
            publicTitle = try row.decodeIfPresent("public_title")
            publicQuestion = try row.decodeIfPresent("public_question")
            answeredAt = try row.decodeIfPresent("answered_at")
            dialogueId = try row.decodeIfPresent("dialogue_id")
            assignedUserId = try row.decodeIfPresent("assigned_user_id")
        }
    }

    static let columns = """
        id, site_domain, title, body, asked_field_code, field_code, unit_code, state, received_at, received_on::text AS received_on,
        routed_on::text AS routed_on, due_on::text AS due_on, paused_on::text AS paused_on, clarification_request, attachment_sha256,
        attachment_type, attachment_name, answer, answer_by, review_note, public_title, public_question, answered_at, dialogue_id, assigned_user_id
        """

    func find(_ id: UUID) async throws -> Case? {
        try await database.withConnection { try Self.find(id, on: $0) }
    }

    static func find(_ id: UUID, on connection: Connection, lock: Bool = false) throws -> Case? {
        try connection.query("SELECT \(columns) FROM feedback.questions WHERE id = $1\(lock ? " FOR UPDATE" : "")", [id]).rows.first.map(Case.init)
    }

    func find(trackingCode code: String) async throws -> Case? {
        try await database.withConnection { connection in
            try connection.query("SELECT \(Self.columns) FROM feedback.questions WHERE tracking_sha256 = $1", [Self.sha256(code)]).rows.first.map(Case.init)
        }
    }

    struct HistoryLine: Sendable {
        let at: Date
        let actor: String
        let action: String
        let fromUnit: String?
        let toUnit: String?
        let note: String
    }

    func history(of id: UUID) async throws -> [HistoryLine] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT h.at, coalesce(u.full_name, h.actor) AS actor, h.action, h.from_unit, h.to_unit, h.note
                FROM feedback.history h LEFT JOIN core.users u ON u.login = h.actor
                WHERE h.question_id = $1 ORDER BY h.id
                """, [id]
            ).rows.map {
                HistoryLine(at: try $0.decode("at"), actor: try $0.decode("actor"), action: try $0.decode("action"),
                            fromUnit: try $0.decodeIfPresent("from_unit"), toUnit: try $0.decodeIfPresent("to_unit"), note: try $0.decode("note"))
            }
        }
    }

    /// Lists for the staff pages, each read through an index: a unit's open cases, the Center's
    /// answers to review, the overdue cases of a unit (or all units).
    enum Listing: Sendable {
        case unit(String, states: [QuestionState])
        case review
        case overdue(unit: String?)
    }

    func list(_ listing: Listing, limit: Int = 200) async throws -> [Case] {
        try await database.withConnection { connection in
            switch listing {
            case .unit(let unit, let states):
                return try connection.query(
                    "SELECT \(Self.columns) FROM feedback.questions WHERE unit_code = $1 AND state = ANY($2::text[]) ORDER BY received_at LIMIT $3",
                    [unit, SQLArray.literal(states.map(\.rawValue)), limit]).rows.map(Case.init)
            case .review:
                return try connection.query(
                    "SELECT \(Self.columns) FROM feedback.questions WHERE state = 'answer_drafted' ORDER BY received_at LIMIT $1", [limit]
                ).rows.map(Case.init)
            case .overdue(let unit):
                return try connection.query(
                    """
                    SELECT \(Self.columns) FROM feedback.questions
                    WHERE state IN ('routed', 'answer_drafted') AND due_on IS NOT NULL AND due_on < $1::date AND ($2::text IS NULL OR unit_code = $2)
                    ORDER BY due_on LIMIT $3
                    """, [LocalDate.today.description, unit, limit]).rows.map(Case.init)
            }
        }
    }

    // MARK: Routing

    /// Sends a question to the unit in charge of `fieldCode` (R-6.1): due the field's working days
    /// after receipt, counted on the calendar of holidays and make-up days (R-6.3). A question
    /// forwarded back keeps the due date its receipt set. In a dialogue, the participant who
    /// takes that field holds it. The citizen is emailed the unit and the due date.
    @discardableResult
    func route(
        _ id: UUID, fieldCode: String, actor: String, correlationId: String, snapshot: ReferenceData.Snapshot, on connection: Connection,
        onlyIfWaiting: Bool = false
    ) throws -> (unitCode: String, dueOn: LocalDate)? {
        guard let current = try Self.find(id, on: connection, lock: true) else {
            throw Refusal(.notFound, "question_not_found", "Không có câu hỏi này.")
        }
        // Routing from the question's own event: a question the Center already routed stays where it is.
        if onlyIfWaiting && current.state != .received { return nil }
        guard current.state == .received else {
            throw Refusal(.conflict, "not_with_the_center", "Câu hỏi đã được chuyển đến \(snapshot.unitName(current.unitCode)); không chuyển lại được.")
        }
        let routing = try routing(
            fieldCode: fieldCode, receivedOn: current.receivedOn, dueOn: current.dueOn, dialogueId: current.dialogueId, snapshot: snapshot,
            on: connection)
        try record(routing, of: id, from: current.unitCode, actor: actor, correlationId: correlationId, on: connection)
        let unit = routing.unitCode, due = routing.dueOn
        if current.dialogueId == nil,
           let person = try vault.read(question: id, reader: "system", purpose: "routed email", correlationId: correlationId, on: connection),
           let email = person.email {
            try mail.enqueue(
                CitizenMail.routed(to: email, name: person.name, title: current.title, unit: snapshot.unitName(unit), dueOn: due,
                                   site: current.siteDomain), on: connection)
        }
        return (unit, due)
    }

    /// Where a question of a field goes, and by when.
    struct Routing {
        let fieldCode: String
        let fieldName: String
        let unitCode: String
        let dueOn: LocalDate
        /// In a dialogue, the participant who holds the question.
        let assignee: UUID?
    }

    /// The unit in charge of `fieldCode`, due the field's working days after receipt (R-6.1, R-6.3)
    /// unless `dueOn` was set already; in a dialogue, the participant who takes that field, due the
    /// day of receipt.
    func routing(
        fieldCode: String, receivedOn: LocalDate, dueOn: LocalDate?, dialogueId: UUID?, snapshot: ReferenceData.Snapshot, on connection: Connection
    ) throws -> Routing {
        guard let field = snapshot.field(fieldCode) else {
            throw Refusal(.badRequest, "unknown_field", "Lĩnh vực không có trong danh mục.")
        }
        var unit = field.unitCode
        var assignee: UUID?
        var due = dueOn ?? snapshot.clock.dueDate(receivedOn: receivedOn, workingDays: field.workingDays)
        if let dialogueId {
            let participant = try connection.query(
                """
                SELECT p.user_id, u.unit_code FROM feedback.dialogue_participants p JOIN core.users u ON u.id = p.user_id
                WHERE p.dialogue_id = $1 ORDER BY ($2 = ANY(p.field_codes)) DESC, u.login LIMIT 1
                """, [dialogueId, fieldCode]).rows.first
            if let participant {
                assignee = try participant.decode("user_id")
                unit = try participant.decodeIfPresent("unit_code") ?? unit
                due = receivedOn
            }
        }
        return Routing(fieldCode: fieldCode, fieldName: field.nameVi, unitCode: unit, dueOn: due, assignee: assignee)
    }

    /// Writes a routing: the question's row, its history line and `question.routed`, none waiting
    /// for an answer.
    func record(_ routing: Routing, of id: UUID, from unitCode: String, actor: String, correlationId: String, on connection: Connection) throws {
        try connection.send(
            """
            UPDATE feedback.questions SET state = 'routed', field_code = $2, unit_code = $3, routed_on = $4::date, due_on = $5::date,
                assigned_user_id = $6, updated_at = now()
            WHERE id = $1
            """, [id, routing.fieldCode, routing.unitCode, LocalDate.today.description, routing.dueOn.description, routing.assignee])
        try history(id, actor: actor, action: "routed", from: unitCode, to: routing.unitCode,
                    note: "Lĩnh vực: \(routing.fieldName); hạn trả lời \(routing.dueOn.vietnamese)", on: connection)
        try outbox.enqueue(
            try EventEnvelope(
                QuestionRouted(questionId: id, unitCode: routing.unitCode, fieldCode: routing.fieldCode, dueOn: routing.dueOn, fromUnitCode: unitCode),
                correlationId: correlationId, producer: "feedback"), on: connection)
    }

    /// Routes a question whose citizen named its field from its `question.received`: how questions
    /// received before routing at receipt (`receive`) are still routed if their event comes now.
    func routeOnReceipt(_ event: QuestionReceived, correlationId: String, snapshot: ReferenceData.Snapshot, on connection: Connection) throws {
        guard let field = event.fieldCode else { return }
        try route(event.questionId, fieldCode: field, actor: "system", correlationId: correlationId, snapshot: snapshot, on: connection,
                  onlyIfWaiting: true)
    }

    /// The Center picks the field (and so the unit) of a question in its inbox.
    func classify(_ id: UUID, fieldCode: String, by user: AuthenticatedUser, correlationId: String) async throws {
        let snapshot = try await reference.current()
        try await database.withTransaction { [self] connection in
            guard let field = snapshot.field(fieldCode) else { throw Refusal(.badRequest, "unknown_field", "Chọn một lĩnh vực trong danh mục.") }
            try outbox.enqueue(
                EventEnvelope(type: EventType.questionClassified, correlationId: correlationId, producer: "feedback",
                              payload: .object(["questionId": .string(id.uuidString.lowercased()), "fieldCode": .string(field.code)])),
                on: connection)
            try route(id, fieldCode: fieldCode, actor: user.login, correlationId: correlationId, snapshot: snapshot, on: connection)
        }
    }

    /// A unit says a question is not in its remit: back to the Center, allowed only within 5
    /// working days of receiving it (R-6.2).
    func forward(_ id: UUID, note: String, by user: AuthenticatedUser) async throws {
        let snapshot = try await reference.current()
        try await database.withTransaction { [self] connection in
            guard let current = try Self.find(id, on: connection, lock: true), current.unitCode == user.unitCode else {
                throw Refusal(.notFound, "question_not_found", "Câu hỏi không thuộc danh sách của đơn vị.")
            }
            guard current.state == .routed, let routedOn = current.routedOn else {
                throw Refusal(.conflict, "not_routed", "Chỉ chuyển lại được câu hỏi đang chờ đơn vị trả lời.")
            }
            guard snapshot.clock.mayForward(routedOn: routedOn, today: .today) else {
                throw Refusal(.conflict, "forwarding_window_closed",
                              "Đã quá 5 ngày làm việc kể từ ngày nhận (\(routedOn.vietnamese)); đơn vị phải trả lời hoặc báo cáo tiến độ (NĐ 20/2008, Điều 9).")
            }
            guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw Refusal(.badRequest, "note_required", "Ghi rõ vì sao câu hỏi không thuộc thẩm quyền của đơn vị.")
            }
            try connection.query(
                "UPDATE feedback.questions SET state = 'received', unit_code = $2, assigned_user_id = NULL, updated_at = now() WHERE id = $1",
                [id, snapshot.centerCode])
            try history(id, actor: user.login, action: "forwarded", from: current.unitCode, to: snapshot.centerCode, note: note, on: connection)
        }
    }

    // MARK: Clarification

    /// The unit asks the citizen for more; the clock stops until they reply (R-6.1).
    func askClarification(_ id: UUID, request: String, by user: AuthenticatedUser, correlationId: String) async throws {
        try await database.withTransaction { [self] connection in
            guard let current = try Self.find(id, on: connection, lock: true), current.unitCode == user.unitCode, current.state == .routed else {
                throw Refusal(.conflict, "not_routed", "Chỉ đề nghị bổ sung được với câu hỏi đang chờ đơn vị trả lời.")
            }
            let text = request.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw Refusal(.badRequest, "request_required", "Ghi rõ thông tin cần người hỏi bổ sung.") }
            try connection.query(
                "UPDATE feedback.questions SET state = 'awaiting_citizen', paused_on = $2::date, clarification_request = $3, updated_at = now() WHERE id = $1",
                [id, LocalDate.today.description, text])
            try history(id, actor: user.login, action: "clarification_requested", note: text, on: connection)
            if let person = try vault.read(question: id, reader: user.login, purpose: "clarification email", correlationId: correlationId, on: connection),
               let email = person.email {
                try mail.enqueue(CitizenMail.clarification(to: email, name: person.name, title: current.title, request: text, site: current.siteDomain), on: connection)
            }
        }
    }

    /// The citizen's reply: added to the question, and the due date moves by the working days paused.
    func clarify(trackingCode: String, text: String) async throws {
        let snapshot = try await reference.current()
        let reply = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reply.isEmpty, reply.count <= NewQuestion.maxBody else {
            throw Refusal(.badRequest, "clarification_required", "Vui lòng nhập nội dung bổ sung (tối đa 10.000 ký tự).")
        }
        try await database.withTransaction { [self] connection in
            guard let row = try connection.query(
                "SELECT id FROM feedback.questions WHERE tracking_sha256 = $1 FOR UPDATE", [Self.sha256(trackingCode)]).rows.first,
                  let current = try Self.find(try row.decode("id"), on: connection) else {
                throw Refusal(.notFound, "tracking_code_not_found", "Không tìm thấy câu hỏi với mã này.")
            }
            guard current.state == .awaitingCitizen, let paused = current.pausedOn, let due = current.dueOn else {
                throw Refusal(.conflict, "no_clarification_requested", "Câu hỏi này không chờ bổ sung thông tin.")
            }
            let today = LocalDate.today
            let moved = snapshot.clock.resumed(dueOn: due, pausedOn: paused, resumedOn: today)
            try connection.query(
                """
                UPDATE feedback.questions SET state = 'routed', paused_on = NULL, due_on = $2::date,
                    body = body || E'\\n\\n' || $3, updated_at = now()
                WHERE id = $1
                """, [current.id, moved.description, "[Bổ sung ngày \(today.vietnamese)] \(reply)"])
            try history(current.id, actor: "citizen", action: "clarified", note: "Hạn trả lời mới: \(moved.vietnamese)", on: connection)
        }
    }

    // MARK: Answering

    /// The unit's officer writes the answer; the Center reviews it.
    func draftAnswer(_ id: UUID, text: String, by user: AuthenticatedUser) async throws {
        let answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !answer.isEmpty else { throw Refusal(.badRequest, "answer_required", "Vui lòng nhập nội dung trả lời.") }
        guard answer.count <= 20_000 else { throw Refusal(.badRequest, "answer_too_long", "Trả lời dài quá 20.000 ký tự.") }
        try await database.withTransaction { [self] connection in
            guard let current = try Self.find(id, on: connection, lock: true), current.unitCode == user.unitCode else {
                throw Refusal(.notFound, "question_not_found", "Câu hỏi không thuộc danh sách của đơn vị.")
            }
            guard current.state == .routed, current.dialogueId == nil else {
                throw Refusal(.conflict, "not_routed", "Câu hỏi không ở bước đơn vị trả lời (\(current.state.vietnamese)).")
            }
            try connection.query(
                "UPDATE feedback.questions SET state = 'answer_drafted', answer = $2, answer_by = $3, updated_at = now() WHERE id = $1",
                [id, answer, user.id])
            try history(id, actor: user.login, action: "answer_drafted", on: connection)
        }
    }

    /// The Center sends the answer back to the unit with what to change.
    func returnAnswer(_ id: UUID, note: String, by user: AuthenticatedUser) async throws {
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw Refusal(.badRequest, "note_required", "Ghi rõ điều đơn vị cần sửa.") }
        try await database.withTransaction { [self] connection in
            guard let current = try Self.find(id, on: connection, lock: true), current.state == .answerDrafted else {
                throw Refusal(.conflict, "no_answer_to_review", "Câu hỏi không có trả lời chờ duyệt.")
            }
            try connection.query("UPDATE feedback.questions SET state = 'routed', review_note = $2, updated_at = now() WHERE id = $1", [id, text])
            try history(id, actor: user.login, action: "answer_returned", to: current.unitCode, note: text, on: connection)
        }
    }

    /// The Center approves the unit's answer: the citizen is answered, and with `publish` the
    /// question and answer go on the portal in the texts the Center approved, without personal data.
    func approveAnswer(
        _ id: UUID, publish: Bool, publicTitle: String?, publicQuestion: String?, by user: AuthenticatedUser, correlationId: String
    ) async throws {
        let snapshot = try await reference.current()
        try await database.withTransaction { [self] connection in
            guard let current = try Self.find(id, on: connection, lock: true), current.state == .answerDrafted, let answer = current.answer else {
                throw Refusal(.conflict, "no_answer_to_review", "Câu hỏi không có trả lời chờ duyệt.")
            }
            guard current.answerBy != user.id else {
                throw Refusal(.forbidden, "own_answer", "Người viết trả lời không tự duyệt trả lời của mình.")
            }
            let title = (publicTitle?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 } ?? current.title
            let question = (publicQuestion?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : $0 } ?? current.body
            let person = try vault.read(question: id, reader: user.login, purpose: "answer email", correlationId: correlationId, on: connection)
            // R-5.4: what goes public holds none of the asker's personal data, nor any number or
            // address shaped like someone's; the Center removes it and approves again.
            if publish {
                let findings = PersonalDataScreen(person: person).findings(in: [title, question, answer])
                guard findings.isEmpty else { throw PersonalDataScreen.refusal(findings, in: "Tiêu đề, câu hỏi hoặc trả lời công khai") }
            }
            let today = LocalDate.today
            try connection.query(
                """
                UPDATE feedback.questions SET state = $2, public_title = $3, public_question = $4, answered_at = now(), updated_at = now()
                WHERE id = $1
                """, [id, publish ? QuestionState.published.rawValue : QuestionState.answered.rawValue, publish ? title : nil, publish ? question : nil])
            try history(id, actor: user.login, action: publish ? "answer_published" : "answered", note: publish ? "Công khai trên Cổng" : "Trả lời riêng", on: connection)
            try outbox.enqueue(
                try EventEnvelope(QuestionAnswered(questionId: id, unitCode: current.unitCode, dueOn: current.dueOn, answeredOn: today, published: publish),
                                  correlationId: correlationId, producer: "feedback"), on: connection)
            if publish {
                let field = snapshot.field(current.fieldCode)
                try outbox.enqueue(
                    try EventEnvelope(
                        AnswerPublished(
                            questionId: id, fieldCode: field?.code ?? "", fieldName: field?.nameVi ?? "", unitCode: current.unitCode,
                            unitName: snapshot.unitName(current.unitCode), title: title, question: question, answer: answer,
                            askedOn: current.receivedOn, answeredOn: today),
                        correlationId: correlationId, producer: "feedback"), on: connection)
            }
            try connection.query(
                "UPDATE feedback.personal_data SET delete_after = $2::date WHERE question_id = $1",
                [id, today.adding(days: retentionDays).description])
            if let person, let email = person.email {
                try mail.enqueue(
                    CitizenMail.answered(to: email, name: person.name, title: current.title, answer: answer, unit: snapshot.unitName(current.unitCode),
                                         published: publish, site: current.siteDomain, questionId: id), on: connection)
            }
        }
    }

    /// Reads the personal data of a case for a person handling it, logged in the audit log.
    func personalData(_ id: UUID, reader: AuthenticatedUser, correlationId: String) async throws -> PersonalData? {
        try await database.withTransaction { [vault] connection in
            try vault.read(question: id, reader: reader.login, purpose: "handling the case", correlationId: correlationId, on: connection)
        }
    }
}

import Foundation
import Logging
import Mail
import Models
import ServiceKit
import ServiceLifecycle
import Store

/// Watches the deadlines, on one instance at a time (advisory lock), every `interval`:
/// - two working days before a case is due, the unit's officers are reminded;
/// - once overdue, the Board member who leads the unit is told (the Head when no member leads it);
/// - five working days after that, the Head of the Board;
/// each an email and an event (`question.reminded`, `question.escalated`), each once per case.
/// It also erases personal data whose retention has ended (R-5.3) and announces consultations
/// that have closed (`consultation.closed`), and seals again under the current key the personal
/// data sealed under an older one (`FEEDBACK_DATA_KEYS` rotated).
struct DeadlineWatch: Service {
    let database: DatabasePool
    let outbox: Outbox
    let mail: MailOutbox
    let reference: ReferenceData
    let vault: PersonalDataVault
    let readiness: Readiness
    let logger: Logger
    let interval: Duration
    let staffURL: String

    static let lockKey: Int64 = 0x4C41_4645_4544_4201
    static let reminderWorkingDays = 2
    static let headAfterWorkingDays = 5

    func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let done = try await sweep()
                    if done.notices + done.erased + done.closed + done.resealed > 0 {
                        logger.info("deadlines watched", metadata: [
                            "notices": .stringConvertible(done.notices), "erased": .stringConvertible(done.erased), "closed": .stringConvertible(done.closed),
                            "resealed": .stringConvertible(done.resealed)])
                    }
                } catch {
                    logger.warning("deadline watch failed; will retry", metadata: ["error": .string("\(error)")])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    struct Sweep: Sendable {
        var notices = 0
        var erased = 0
        var closed = 0
        var resealed = 0
    }

    func sweep(today: LocalDate = .today) async throws -> Sweep {
        let snapshot = try await reference.current()
        let clock = snapshot.clock
        return try await database.withTransaction { [outbox, mail, staffURL] connection -> Sweep in
            var done = Sweep()
            guard try connection.query("SELECT pg_try_advisory_xact_lock($1) AS locked", [Self.lockKey]).one().decode("locked", as: Bool.self) else {
                return done
            }
            let remindFrom = snapshot.calendar.adding(workingDays: Self.reminderWorkingDays, to: today)
            // Only open cases with a due date, through the partial index on due_on.
            let cases = try connection.query(
                """
                SELECT id, title, unit_code, due_on::text AS due_on, deadline_level FROM feedback.questions
                WHERE state IN ('routed', 'answer_drafted') AND due_on IS NOT NULL AND due_on <= $1::date AND deadline_level < 3
                  AND dialogue_id IS NULL
                ORDER BY due_on LIMIT 500 FOR UPDATE SKIP LOCKED
                """, [remindFrom.description]).rows
            for row in cases {
                let id: UUID = try row.decode("id")
                let unit: String = try row.decode("unit_code")
                guard let due = LocalDate(iso: try row.decode("due_on")) else { continue }
                let level: Int = try row.decode("deadline_level")
                let late = clock.workingDaysLeft(dueOn: due, today: today)
                let next: (level: Int, name: String)?
                if today > due {
                    // The Board member first, even after downtime; the Head once five more working days pass.
                    next = level < 2 ? (2, "board_member") : (late < -Self.headAfterWorkingDays ? (3, "head") : nil)
                } else {
                    next = level < 1 ? (1, "reminder") : nil
                }
                guard let next else { continue }
                var recipients = try Self.recipients(level: next.name, unit: unit, on: connection)
                var note = ""
                if recipients.isEmpty {
                    // No one at the unit (a unit without an officer yet, one merged or renamed): the
                    // Center's officers, who route questions, are told instead; a reminder to nobody
                    // would be recorded as sent and the citizen's deadline pass unseen.
                    recipients = try Self.recipients(level: "reminder", unit: snapshot.centerCode, on: connection)
                    note = " (đơn vị chưa có người nhận; gửi Trung tâm)"
                }
                guard !recipients.isEmpty else {
                    logger.error("a question's deadline notice has no one to go to, not even the Center",
                                 metadata: ["question.id": .string(id.uuidString.lowercased()), "unit": .string(unit), "level": .string(next.name)])
                    continue
                }
                let title: String = try row.decode("title")
                for address in recipients {
                    try mail.enqueue(CitizenMail.deadline(
                        to: address, level: next.name, title: title, unit: snapshot.unitName(unit), dueOn: due,
                        link: "\(staffURL)/feedback/questions/\(id.uuidString.lowercased())"), on: connection)
                }
                try connection.query("UPDATE feedback.questions SET deadline_level = $2 WHERE id = $1", [id, next.level])
                try connection.query(
                    "INSERT INTO feedback.history (question_id, actor, action, note) VALUES ($1, 'system', $2, $3)",
                    [id, next.name == "reminder" ? "reminded" : "escalated", "\(next.name): \(recipients.joined(separator: ", "))\(note)"])
                let notice = QuestionDeadlineNotice(questionId: id, unitCode: unit, dueOn: due, level: next.name, recipients: recipients)
                try outbox.enqueue(
                    EventEnvelope(
                        type: next.name == "reminder" ? EventType.questionReminded : EventType.questionEscalated,
                        correlationId: UUID().uuidString.lowercased(), producer: "feedback",
                        encoding: notice),
                    on: connection)
                done.notices += 1
            }
            done.erased = try connection.query(
                """
                UPDATE feedback.personal_data SET sealed = NULL, key_id = NULL, deleted_at = now(), deleted_why = 'retention period ended'
                WHERE question_id IN (SELECT question_id FROM feedback.personal_data WHERE sealed IS NOT NULL AND delete_after < $1::date LIMIT 1000)
                """, [today.description]).affectedRows
            done.closed = try Consultations.announceClosed(outbox: outbox, on: connection)
            // A key rotated out of first place: its rows are sealed again under the new key, a few at a time.
            done.resealed = try vault.reseal(limit: 200, on: connection)
            return done
        }
    }

    /// Who hears of a case at each level: the unit's feedback officers; the Board member who leads
    /// the unit (the Head when none does); the Head.
    static func recipients(level: String, unit: String, on connection: Connection) throws -> [String] {
        let sql: String
        switch level {
        case "reminder":
            sql = """
                SELECT u.email FROM core.users u JOIN core.user_roles r ON r.user_id = u.id AND r.role = 'feedback_officer'
                WHERE u.unit_code = $1 AND u.active ORDER BY u.login
                """
        case "board_member":
            sql = """
                SELECT u.email FROM core.board_members b JOIN core.users u ON u.id = b.user_id
                WHERE b.leads_unit_code = $1 AND b.position = 'member' AND b.valid_from <= current_date AND (b.valid_to IS NULL OR b.valid_to >= current_date)
                UNION ALL
                SELECT u.email FROM core.board_members b JOIN core.users u ON u.id = b.user_id
                WHERE b.position = 'head' AND b.valid_from <= current_date AND (b.valid_to IS NULL OR b.valid_to >= current_date)
                  AND NOT EXISTS (SELECT 1 FROM core.board_members m WHERE m.leads_unit_code = $1 AND m.position = 'member'
                                  AND m.valid_from <= current_date AND (m.valid_to IS NULL OR m.valid_to >= current_date))
                """
        default:
            sql = """
                SELECT u.email FROM core.board_members b JOIN core.users u ON u.id = b.user_id
                WHERE b.position = 'head' AND b.valid_from <= current_date AND (b.valid_to IS NULL OR b.valid_to >= current_date) AND $1::text IS NOT NULL
                """
        }
        return try connection.query(sql, [unit]).rows.map { try $0.decode("email") }
    }
}

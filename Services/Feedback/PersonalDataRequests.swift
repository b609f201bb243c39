import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mail
import Models
import ServiceKit
import Store

/// R-5.3: the person sees, corrects or has deleted what is held about them. They ask with their
/// tracking code; a link valid for an hour goes to the email they gave, so that holding a code
/// alone never shows the data.
struct PersonalDataRequests: Sendable {
    let database: DatabasePool
    let vault: PersonalDataVault
    let mail: MailOutbox
    static let linkLifetimeSeconds = 3_600

    static func sha256(_ token: String) -> ByteA { ByteA(Array(SHA256.hash(data: Data(token.utf8)))) }

    func sendLink(trackingCode: String, correlationId: String) async throws {
        try await database.withTransaction { [vault, mail] connection in
            guard let row = try connection.query(
                "SELECT id, site_domain FROM feedback.questions WHERE tracking_sha256 = $1", [QuestionStore.sha256(trackingCode)]).rows.first else {
                throw QuestionStore.Refusal(.notFound, "tracking_code_not_found", "Không tìm thấy câu hỏi với mã này.")
            }
            let id: UUID = try row.decode("id")
            guard let person = try vault.read(question: id, reader: "citizen", purpose: "link to own data", correlationId: correlationId, on: connection) else {
                throw QuestionStore.Refusal(.gone, "personal_data_deleted", "Thông tin cá nhân của câu hỏi này đã được xóa.")
            }
            guard let email = person.email else {
                throw QuestionStore.Refusal(.conflict, "no_email_on_file",
                    "Câu hỏi chỉ có số điện thoại: vui lòng gọi Trung tâm Phục vụ hành chính công để xem, sửa hoặc xóa thông tin.")
            }
            let token = WebSession.randomToken()
            try connection.query(
                "INSERT INTO feedback.data_links (token_sha256, question_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
                [Self.sha256(token), id, Self.linkLifetimeSeconds])
            let link = "\(CitizenMail.base(site: try row.decode("site_domain")))/hoi-dap/du-lieu-ca-nhan?t=\(token)"
            try mail.enqueue(CitizenMail.dataLink(to: email, name: person.name, link: link), on: connection)
        }
    }

    /// The question a valid link opens, or a refusal that says the link has expired.
    static func question(token: String, on connection: Connection) throws -> UUID {
        guard let row = try connection.query(
            "SELECT question_id FROM feedback.data_links WHERE token_sha256 = $1 AND expires_at > now()", [sha256(token)]).rows.first else {
            throw QuestionStore.Refusal(.notFound, "link_expired", "Đường dẫn không đúng hoặc đã hết hạn (1 giờ); vui lòng yêu cầu đường dẫn mới tại trang tra cứu.")
        }
        return try row.decode("question_id")
    }

    func open(token: String, correlationId: String) async throws -> PersonalData? {
        try await database.withTransaction { [vault] connection in
            let id = try Self.question(token: token, on: connection)
            return try vault.read(question: id, reader: "citizen", purpose: "seen by the person", correlationId: correlationId, on: connection)
        }
    }

    func correct(token: String, data: PersonalData) async throws {
        try await database.withTransaction { [vault] connection in
            let id = try Self.question(token: token, on: connection)
            try vault.correct(data, question: id, on: connection)
            try connection.query(
                "INSERT INTO feedback.history (question_id, actor, action, note) VALUES ($1, 'citizen', 'personal_data_corrected', '')", [id])
        }
    }

    func erase(token: String) async throws {
        try await database.withTransaction { [vault] connection in
            let id = try Self.question(token: token, on: connection)
            try vault.erase(question: id, why: "asked by the person (R-5.3)", on: connection)
            try connection.query("DELETE FROM feedback.data_links WHERE question_id = $1", [id])
            try connection.query(
                "INSERT INTO feedback.history (question_id, actor, action, note) VALUES ($1, 'citizen', 'personal_data_deleted', '')", [id])
        }
    }
}

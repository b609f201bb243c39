import ContentSafety
import Foundation
import HTTPTypes
import Hummingbird
import Mail
import Models
import ServiceKit
import Store

/// What was sent, as it was sent, for the editors: an item's attachments, and held mail with
/// its headers, its text and the message as received (`.eml`). Editors and Board members who
/// can see the item open its files; only editors open held mail.
struct Originals: Sendable {
    let database: DatabasePool

    /// An attachment of any revision of the item, by its SHA-256.
    func attachment(of article: UUID, sha256: String, for user: AuthenticatedUser) async throws -> (ref: AttachmentRef, bytes: [UInt8]) {
        guard Access.isEditor(user) || Access.isBoard(user) else {
            throw APIError.forbidden(
                "editors_only", "Chỉ biên tập viên và Ban Biên tập mở tệp của tin, bài. / Only the Center's editors and the Editorial Board open the files of an item.")
        }
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else {
            throw APIError.badRequest("invalid_sha256", "The file is named by the 64 hexadecimal digits of its SHA-256.")
        }
        return try await database.withConnection { connection in
            guard let record = try ArticleRecords.article(article, on: connection) else { throw Access.notFound(article) }
            try Access.ensureCanSee(record, user)
            let files = try connection.query(
                "SELECT attachments::text AS attachments FROM editorial.revisions WHERE article_id = $1 ORDER BY number DESC", [article]
            ).rows.flatMap { try ArticleRecords.decodeJSON([AttachmentRef].self, try $0.decode("attachments", as: String.self)) }
            guard let ref = files.first(where: { $0.sha256 == sha256.lowercased() }),
                  let bytes = try connection.query("SELECT data FROM core.blobs WHERE sha256 = $1", [ref.sha256]).rows.first?
                    .decode("data", as: ByteA.self).bytes
            else {
                throw APIError.notFound("attachment_not_found", "The item has no file with this SHA-256.")
            }
            return (ref, bytes)
        }
    }

    struct HeldMail: ResponseEncodable {
        struct Header: Encodable {
            var name: String
            var value: String
        }
        struct File: Encodable {
            var filename: String
            var contentType: String
            var size: Int
        }
        var id: String
        var subject: String
        var from: String?
        var reason: String
        /// The reason in Vietnamese, as the console shows it.
        var reasonLabel: String
        var receivedAt: Date
        var status: String
        var headers: [Header]
        var text: String?
        /// The HTML body after the allowlist: safe to show.
        var html: String?
        var attachments: [File]
        var rawUrl: String
    }

    /// A held message, read from the bytes kept when it arrived.
    func heldMail(_ id: UUID, for user: AuthenticatedUser) async throws -> HeldMail {
        let (row, raw) = try await held(id, for: user)
        let parsed = try? MailParser.parse(raw)
        let reason: String = try row.decode("reason")
        return HeldMail(
            id: id.uuidString.lowercased(), subject: try row.decode("subject"), from: try row.decodeIfPresent("from_address"),
            reason: reason, reasonLabel: HoldReason.vietnamese(reason), receivedAt: try row.decode("received_at"),
            status: try row.decode("status"),
            headers: parsed?.headers.map { HeldMail.Header(name: $0.name, value: $0.value) } ?? [],
            text: parsed?.text, html: parsed?.html.map(HTMLSanitizer.sanitize),
            attachments: (parsed?.attachments ?? []).map {
                HeldMail.File(filename: $0.filename ?? "(không tên)", contentType: $0.contentType, size: $0.bytes.count)
            },
            rawUrl: "/api/v1/quarantine/\(id.uuidString.lowercased())/raw")
    }

    /// The message exactly as received.
    func raw(_ id: UUID, for user: AuthenticatedUser) async throws -> [UInt8] {
        try await held(id, for: user).1
    }

    private func held(_ id: UUID, for user: AuthenticatedUser) async throws -> (Row, [UInt8]) {
        guard Access.isEditor(user) else {
            throw APIError.forbidden(
                "editors_only", "Chỉ biên tập viên của Trung tâm mở thư bị giữ lại. / Only the Center's editors open held mail.")
        }
        return try await database.withConnection { connection in
            guard let row = try connection.query(
                """
                SELECT q.subject, q.from_address, q.reason, q.received_at, q.status, b.data
                FROM editorial.quarantine q JOIN core.blobs b ON b.sha256 = q.raw_sha256 WHERE q.id = $1
                """, [id]
            ).rows.first else {
                throw APIError.notFound("held_mail_not_found", "No held message has this id.")
            }
            return (row, try row.decode("data", as: ByteA.self).bytes)
        }
    }

    /// A file as a response that can never run as a page: shown inline only when its bytes are
    /// a picture or a PDF, downloaded otherwise, under its own name.
    static func fileResponse(_ bytes: [UInt8], filename: String, forceDownload: Bool = false, contentType: String? = nil) -> Response {
        let kind = ServedFileType.of(Array(bytes.prefix(12)))
        let inline = kind.inline && !forceDownload
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? "tep"
        return Response(
            status: .ok,
            headers: [
                .contentType: contentType ?? kind.contentType,
                .contentDisposition: "\(inline ? "inline" : "attachment"); filename*=UTF-8''\(encoded)",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; img-src 'self'; sandbox",
                .cacheControl: "private, no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

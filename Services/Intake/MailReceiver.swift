import Crypto
import Foundation
import Logging
import Mail
import Models
import NIOPosix
import ServiceKit
import Store

/// Turns one message that reached `webmaster@` into a submission, or into quarantine with the
/// reason. Whatever the message holds, it is stored: the only way to lose it is a failure to
/// commit, which the MTA sees as a temporary error (451) and retries.
struct MailReceiver: Sendable {
    let database: DatabasePool
    let submissions: SubmissionStore
    let quarantine: QuarantineStore
    let maxAttachmentBytes: Int
    /// `INTAKE_AUTHSERV_ID`: the authserv-id of the portal's own MTA in `Authentication-Results`.
    let trustedServer: String
    /// Set when `INTAKE_AUTHSERV_ID` is: a message the MTA did not authenticate is held. Without
    /// it (development, `deploy/run`) local mail is trusted and only reported failures hold one.
    let requireAuthentication: Bool
    let logger: Logger

    enum Outcome: Sendable, Equatable {
        case submitted(UUID, replayed: Bool)
        case quarantined(UUID, reason: String, replayed: Bool)
    }

    /// A registered sender: a user who submits for a unit, or a unit's own mailbox.
    struct Sender: Sendable {
        var unit: String
        var userId: UUID?
        var name: String
        var address: String
    }

    func receive(_ raw: [UInt8], envelopeSender: String, channel: String, correlationId: String) async throws -> Outcome {
        let parsed = try? await NIOThreadPool.singleton.runIfActive { try MailParser.parse(raw) }
        let messageKey = MailKey(raw: raw, sender: parsed?.from?.address ?? envelopeSender, messageId: parsed?.messageId)
        func hold(_ reason: String, _ detail: String, sender: Sender? = nil, notify: Bool = false) async throws -> Outcome {
            let held = Held(
                channel: channel, envelopeSender: envelopeSender, fromAddress: parsed?.from?.address, subject: parsed?.subject ?? "",
                messageId: parsed?.messageId, reason: reason, detail: detail, unit: sender?.unit)
            // Only a registered sender hears back: answering forged or unknown senders would send mail to strangers.
            var notice: (@Sendable (UUID) -> OutgoingMail)?
            if notify, let address = sender?.address {
                let subject = held.subject, inReplyTo = parsed?.messageId
                notice = { @Sendable id in
                    Acknowledgement.refused(to: address, subject: subject, reason: reason, detail: detail, trackingId: id, inReplyTo: inReplyTo)
                }
            }
            let created = try await quarantine.hold(held, raw: raw, messageKey: messageKey, correlationId: correlationId, notice: notice)
            logger.notice(
                created.replayed ? "mail already received" : "mail quarantined",
                metadata: ["quarantine.id": .string(created.id.uuidString.lowercased()), "reason": .string(reason)])
            return .quarantined(created.id, reason: reason, replayed: created.replayed)
        }
        guard let mail = parsed else {
            return try await hold("malformed_mime", "The message could not be read as an RFC 5322 message.")
        }
        if !mail.defects.isEmpty {
            return try await hold("malformed_mime", "The MIME structure is broken: \(mail.defects.joined(separator: "; ")).")
        }
        switch AuthenticationCheck.verdict(of: mail, trustedServer: trustedServer) {
        case .failed(let methods):
            return try await hold(
                "authentication_failed",
                "\(trustedServer) báo kiểm tra \(methods.map { $0.uppercased() }.joined(separator: ", ")) không đạt "
                    + "(\(trustedServer) reported \(methods.map { "\($0)=fail" }.joined(separator: ", "))).")
        case .unverified where requireAuthentication:
            return try await hold(
                "not_authenticated",
                "Thư không được \(trustedServer) xác thực SPF, DKIM hoặc DMARC "
                    + "(no SPF, DKIM or DMARC pass from \(trustedServer)).")
        case .passed, .unverified:
            break
        }
        guard let address = mail.from?.address, let sender = try await registeredSender(address) else {
            return try await hold(
                "unknown_sender", "\(mail.from?.address ?? "(no From address)") is not the registered address of a unit or of one of its users.")
        }
        let draft = MailDraft(mail: mail)
        let request = SubmissionRequest(
            title: draft.title, summary: nil, body: draft.body, bodyFormat: draft.bodyFormat, kind: draft.kind, language: "vi",
            authors: [.init(name: draft.authorName ?? sender.name, userId: sender.userId, share: nil)], targetSites: nil,
            alsoOnOwnSite: false, attachments: nil, legalDocument: nil, draft: nil)
        var submission: ValidatedSubmission
        do {
            submission = try request.validated(
                attachments: draft.attachments.map { .init(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes, altText: $0.altText) },
                maxAttachmentBytes: maxAttachmentBytes)
        } catch let error as APIError {
            return try await hold(error.code, error.message, sender: sender, notify: true)
        }
        submission.quotedHistory = draft.quotedHistory
        let origin = SubmissionOrigin(
            channel: "email", unit: sender.unit, userId: sender.userId, actor: sender.address, senderAddress: sender.address)
        let created = try await submissions.create(
            submission, raw: raw, rawType: "message/rfc822", origin: origin, repeatKey: .message(messageKey), correlationId: correlationId,
            acknowledgement: { [title = submission.title, inReplyTo = mail.messageId] id in
                Acknowledgement.received(to: sender.address, title: title, trackingId: id, inReplyTo: inReplyTo)
            })
        logger.info(
            created.replayed ? "mail already received" : "submission received by mail",
            metadata: ["submission.id": .string(created.id.uuidString.lowercased()), "unit": .string(sender.unit)])
        return .submitted(created.id, replayed: created.replayed)
    }

    /// The user (collaborator or liaison of a unit) or unit mailbox that owns `address`.
    func registeredSender(_ address: String) async throws -> Sender? {
        try await database.withConnection { connection in
            if let row = try connection.query(
                """
                SELECT u.id, u.full_name, u.unit_code FROM core.users u
                WHERE lower(u.email) = $1 AND u.active AND u.unit_code IS NOT NULL
                  AND EXISTS (SELECT 1 FROM core.user_roles r WHERE r.user_id = u.id AND r.role IN ('collaborator', 'unit_liaison'))
                """, [address]
            ).rows.first {
                return Sender(unit: try row.decode("unit_code"), userId: try row.decode("id"), name: try row.decode("full_name"), address: address)
            }
            if let row = try connection.query(
                "SELECT m.unit_code, u.name FROM core.unit_mailboxes m JOIN core.units u ON u.code = m.unit_code WHERE m.email = $1",
                [address]
            ).rows.first {
                return Sender(unit: try row.decode("unit_code"), userId: nil, name: try row.decode("name"), address: address)
            }
            return nil
        }
    }
}

/// The replies a sender gets, Vietnamese first, then English.
enum Acknowledgement {
    static let portalAddress = "webmaster@\(SiteDomain.portal)"

    /// The page where a sender follows the item (`INTAKE_PUBLIC_URL`, the staff host behind
    /// `deploy/nginx`, by default); the id is unguessable, so the link is the key.
    static func trackingURL(_ id: String) -> String {
        "\(trackingBase)/theo-doi/\(id)"
    }

    /// `INTAKE_PUBLIC_URL`, read once.
    private static let trackingBase =
        ProcessInfo.processInfo.environment["INTAKE_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://quantri.\(SiteDomain.portal)"

    static func received(to address: String, title: String, trackingId: UUID, inReplyTo: String?) -> OutgoingMail {
        let id = trackingId.uuidString.lowercased()
        return OutgoingMail(
            from: portalAddress, fromName: "Cổng Thông tin điện tử tỉnh Long An", to: address,
            subject: "Đã tiếp nhận: \(title)",
            text: """
                Cổng Thông tin điện tử tỉnh Long An đã tiếp nhận tin, bài của quý đơn vị.

                Tiêu đề: \(title)
                Mã theo dõi: \(id)
                Thời điểm tiếp nhận: \(PortalCalendar.dateTime(Date())) (giờ Việt Nam)
                Tình trạng: Đã tiếp nhận. Ban Biên tập sẽ biên tập và xét duyệt theo Quy chế
                (Quyết định 5422/QĐ-UBND); quý đơn vị sẽ được báo khi có kết quả.
                Tra cứu tình trạng: \(Acknowledgement.trackingURL(id))

                ---
                The Long An provincial portal has received your submission "\(title)".
                Tracking id: \(id)
                """,
            inReplyTo: inReplyTo)
    }

    static func refused(to address: String, subject: String, reason: String, detail: String, trackingId: UUID, inReplyTo: String?) -> OutgoingMail {
        let id = trackingId.uuidString.lowercased()
        return OutgoingMail(
            from: portalAddress, fromName: "Cổng Thông tin điện tử tỉnh Long An", to: address,
            subject: "Chưa tiếp nhận được: \(subject.isEmpty ? "(không có tiêu đề)" : subject)",
            text: """
                Thư của quý đơn vị chưa thể tiếp nhận thành tin, bài. Thư được lưu nguyên vẹn để
                Ban Biên tập xem xét; quý đơn vị vui lòng sửa và gửi lại.

                Lý do: \(HoldReason.vietnamese(reason)).
                Chi tiết: \(detail)
                Mã lưu thư: \(id)

                ---
                Your message could not be accepted as a submission; it is kept for the editors.
                Reason: \(HoldReason.english(reason)) (\(reason)).
                Reference: \(id)
                """,
            inReplyTo: inReplyTo)
    }
}

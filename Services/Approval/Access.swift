import Foundation
import Mail
import Models
import ServiceKit

/// Who may see and touch an item. Restricted items (a secrecy stamp was found) are the Board's
/// alone; other units' items are not theirs to see.
enum Access {
    static func isEditor(_ user: AuthenticatedUser) -> Bool { user.has(.editor) }

    static func isBoard(_ user: AuthenticatedUser) -> Bool {
        user.has(.boardHead) || user.has(.boardDeputy) || user.has(.boardMember)
    }

    static func isSubmitter(_ user: AuthenticatedUser) -> Bool { user.has(.collaborator) || user.has(.unitLiaison) }

    static func notFound(_ id: UUID) -> APIError {
        APIError.notFound("article_not_found", "No item \(id.uuidString.lowercased()) that you may see.")
    }

    /// Editors and the Board see every item but restricted ones, which the Board alone sees; a
    /// unit's users see their unit's items. Anyone else learns nothing (404).
    static func ensureCanSee(_ article: ArticleRecord, _ user: AuthenticatedUser) throws {
        if isBoard(user) { return }
        if article.restricted { throw notFound(article.id) }
        if isEditor(user) { return }
        if isSubmitter(user), user.unitCode == article.unitCode { return }
        throw notFound(article.id)
    }

    static func requireEditor(_ user: AuthenticatedUser) throws {
        guard isEditor(user) else {
            throw APIError.forbidden("editors_only", "Only editors of the Center edit, classify and send items for approval.")
        }
    }

    static func requireConsole(_ user: AuthenticatedUser?) throws -> AuthenticatedUser {
        guard let user else { throw APIError.unauthorized }
        guard isEditor(user) || isBoard(user) else {
            throw APIError.forbidden("editorial_staff_only", "The editorial queue is for editors and members of the Board.")
        }
        return user
    }

    static func requireSubmittingUnit(_ article: ArticleRecord, _ user: AuthenticatedUser) throws {
        guard isSubmitter(user), user.unitCode == article.unitCode else {
            throw APIError.forbidden("submitting_unit_only", "Only the unit that submitted the item may withdraw or resubmit it.")
        }
    }
}

/// Mail the editorial side sends to submitters, Vietnamese first.
enum Notices {
    static func rejected(to address: String, title: String, reason: RefusalReason, note: String, articleId: UUID) -> OutgoingMail {
        OutgoingMail(
            from: "webmaster@\(SiteDomain.portal)", fromName: "Ban Biên tập Cổng TTĐT tỉnh Long An", to: address,
            subject: "Từ chối đăng tải: \(title)",
            text: """
                Ban Biên tập Cổng Thông tin điện tử tỉnh Long An không đăng tải tin, bài sau:

                Tiêu đề: \(title)
                Mã theo dõi: \(articleId.uuidString.lowercased())
                Lý do (Điều 9.5 Quy chế): \(reason.vietnamese)
                Ghi chú: \(note)

                ---
                The Editorial Board of the Long An provincial portal declined to publish "\(title)".
                Reason (Art. 9.5): \(reason.english)
                Note: \(note)
                """)
    }
}

import ContentSafety
import Foundation
import Images
import HTTPTypes
import Hummingbird
import Models
import ServiceKit

/// A question as a citizen sends it, by the API (JSON or form) or the public form, checked
/// before anything is stored. Every refusal names the field and says, in Vietnamese, what to fix.
struct NewQuestion: Sendable {
    var name: String
    var email: String?
    var phone: String?
    var address: String?
    var title: String
    var body: String
    var fieldCode: String?
    var consent: Bool
    var attachment: Attachment?

    struct Attachment: Sendable {
        var filename: String
        var contentType: String
        var bytes: [UInt8]
    }

    static let maxTitle = 250
    static let maxBody = 10_000
    static let maxName = 120
    static let maxAddress = 300
    static let maxAttachmentBytes = 5 * 1024 * 1024
    static let attachmentTypes: Set<String> = ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"]

    /// A refusal tied to the form field it is about.
    struct Problem: Error, Sendable, Equatable {
        let field: String
        let code: String
        let message: String

        var apiError: APIError { APIError(code == "consent_required" ? .unprocessableContent : .badRequest, code: code, message: message) }
    }

    /// Reads the fields the API and the form share (`name`, `email`, `phone`, `address`, `title`,
    /// `body`, `field`, `consent`).
    init(fields: [String: String], attachment: Attachment?) {
        func text(_ key: String) -> String? {
            fields[key].map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 }
        }
        name = text("name") ?? ""
        email = text("email")
        phone = text("phone")
        address = text("address")
        title = text("title") ?? ""
        body = fields["body"].map { $0.trimmed } ?? ""
        fieldCode = text("field")
        consent = ["true", "1", "on", "yes", "dong-y"].contains((fields["consent"] ?? "").lowercased())
        self.attachment = attachment
    }

    /// Every problem of the question, in the order of the form; empty when it may be stored.
    func problems(fields known: [ReferenceData.Field]) -> [Problem] {
        var found = [Problem]()
        func refuse(_ field: String, _ code: String, _ message: String) { found.append(Problem(field: field, code: code, message: message)) }
        if VisibleText.isBlank(name) { refuse("name", "name_required", "Vui lòng nhập họ và tên.") }
        if name.count > Self.maxName { refuse("name", "name_too_long", "Họ và tên dài quá \(Self.maxName) ký tự.") }
        if email == nil && phone == nil {
            refuse("email", "contact_required", "Vui lòng nhập thư điện tử hoặc số điện thoại để nhận trả lời.")
        }
        if let email, !Self.isEmail(email) { refuse("email", "invalid_email", "Địa chỉ thư điện tử “\(email.prefix(80))” không hợp lệ (ví dụ: ten@example.vn).") }
        if let phone, Self.normalizedPhone(phone) == nil {
            refuse("phone", "invalid_phone", "Số điện thoại không hợp lệ: nhập 10 chữ số bắt đầu bằng 0 (ví dụ 0912345678) hoặc +84.")
        }
        if let address, address.count > Self.maxAddress { refuse("address", "address_too_long", "Địa chỉ dài quá \(Self.maxAddress) ký tự.") }
        if VisibleText.isBlank(title) { refuse("title", "title_required", "Vui lòng nhập tiêu đề câu hỏi.") }
        if title.count > Self.maxTitle { refuse("title", "title_too_long", "Tiêu đề dài quá \(Self.maxTitle) ký tự (hiện có \(title.count)).") }
        if VisibleText.isBlank(body) { refuse("body", "body_required", "Vui lòng nhập nội dung câu hỏi.") }
        if body.count > Self.maxBody {
            refuse("body", "body_too_long", "Nội dung dài quá \(VietnameseNumber.grouped(Self.maxBody)) ký tự (hiện có \(VietnameseNumber.grouped(body.count))).")
        }
        if let fieldCode, !known.contains(where: { $0.code == fieldCode }) {
            refuse("field", "unknown_field", "Lĩnh vực “\(fieldCode.prefix(60))” không có trong danh mục; chọn trong danh sách hoặc để trống.")
        }
        if let attachment {
            let declared = ServedFileType.baseType(of: attachment.contentType)
            let picture = declared.hasPrefix("image/") ? Thumbnails.verdict(attachment.bytes) : nil
            if attachment.bytes.count > Self.maxAttachmentBytes {
                refuse("attachment", "attachment_too_large", "Tệp đính kèm lớn hơn 5 MB; vui lòng gửi tệp nhỏ hơn.")
            } else if !Self.attachmentTypes.contains(declared) || !ContentSniffer.matches(attachment.bytes, declared: declared) {
                refuse("attachment", "invalid_attachment", "Tệp đính kèm phải là ảnh (JPEG, PNG, GIF, WebP) hoặc PDF, và đúng với loại đã khai.")
            } else if picture?.isTooLarge == true {
                refuse("attachment", "image_too_large", "Ảnh đính kèm có kích thước điểm ảnh quá lớn; vui lòng gửi ảnh nhỏ hơn.")
            } else if picture == .unreadable {
                refuse("attachment", "unreadable_image", "Tệp ảnh đính kèm bị hỏng hoặc không phải ảnh; vui lòng chọn lại tệp ảnh.")
            } else if !TextSafety.isSafeFileName(attachment.filename) {
                refuse("attachment", "invalid_file_name",
                       "Tên tệp đính kèm không hợp lệ (tối đa 255 ký tự, không có ký tự điều khiển hay ký tự đảo chiều văn bản); vui lòng đổi tên tệp.")
            }
        }
        if !consent {
            refuse("consent", "consent_required", "Câu hỏi chỉ được gửi khi ông/bà đồng ý cho Trung tâm dùng thông tin cá nhân để trả lời (đánh dấu ô “Tôi đồng ý”).")
        }
        return found
    }

    static func isEmail(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "\"" }) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }

    /// A Vietnamese phone number as digits ("0912345678"), from "0912 345 678", "+84 912 345 678" or "84912345678".
    static func normalizedPhone(_ text: String) -> String? {
        guard text.allSatisfy({ $0.isNumber || " .-+()".contains($0) }) else { return nil }
        var digits = text.filter(\.isNumber)
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("+84") || (digits.hasPrefix("84") && digits.count == 11) {
            digits = "0" + digits.dropFirst(2)
        }
        guard digits.count == 10, digits.hasPrefix("0"), digits.allSatisfy(\.isASCII) else { return nil }
        return digits
    }

    var personalData: PersonalData {
        PersonalData(name: name, email: email?.lowercased(), phone: phone.flatMap(Self.normalizedPhone), address: address)
    }
}

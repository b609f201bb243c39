/// Why intake held a message instead of accepting it, in the words editors and senders read
/// (Vietnamese first; the code stays in the API and the logs).
public enum HoldReason {
    static let labels: [String: (vi: String, en: String)] = [
        "unknown_sender": ("Địa chỉ gửi chưa được đăng ký cho đơn vị nào", "the sender is not registered for any unit"),
        "authentication_failed": ("Thư không qua kiểm tra xác thực (SPF, DKIM, DMARC)", "the message failed SPF, DKIM or DMARC"),
        "not_authenticated": ("Thư chưa được máy chủ thư của Cổng xác thực", "the portal's mail server did not authenticate the message"),
        "malformed_mime": ("Thư bị lỗi cấu trúc, không đọc được đầy đủ", "the message's structure is broken"),
        "content_type_mismatch": ("Tệp đính kèm không đúng loại đã khai", "an attachment is not of the type it claims"),
        "body_required": ("Thư không có nội dung", "the message has no text"),
        "title_required": ("Thư không có tiêu đề", "the message has no subject"),
        "invalid_file_name": ("Tên tệp đính kèm không hợp lệ", "an attachment's name is not valid"),
        "attachments_too_large": ("Tệp đính kèm quá lớn", "the attachments are too large"),
        "unsupported_attachment": ("Loại tệp đính kèm không được nhận", "an attachment's type is not accepted"),
        "too_many_attachments": ("Thư có quá nhiều tệp đính kèm", "the message has too many attachments"),
        "body_too_long": ("Nội dung thư quá dài", "the message's text is too long"),
        "field_too_long": ("Một trường của thư quá dài", "a field of the message is too long"),
        "invalid_character": ("Thư có ký tự không được nhận (ký tự rỗng hoặc ký tự đảo chiều văn bản)", "the message holds a character that is not accepted (NUL or a direction control)"),
        "image_too_large": ("Ảnh đính kèm có kích thước điểm ảnh quá lớn", "an attached image has too many pixels"),
        "unreadable_image": ("Ảnh đính kèm bị hỏng hoặc không phải ảnh", "an attached image cannot be read as a picture"),
        "picture_not_attached": ("Nội dung thư có ảnh không nằm trong các tệp đính kèm", "the text shows a picture that is not among the attachments"),
    ]

    /// "Địa chỉ gửi chưa được đăng ký…"; for a code without a label, a general phrase.
    public static func vietnamese(_ code: String) -> String {
        labels[code]?.vi ?? "Thư chưa đáp ứng yêu cầu tiếp nhận"
    }

    public static func english(_ code: String) -> String {
        labels[code]?.en ?? code.replacingOccurrences(of: "_", with: " ")
    }
}

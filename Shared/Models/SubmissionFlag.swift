import Foundation

/// What intake noticed about a submission and accepted for now (`flags`), in the words the unit
/// and the editors read; the code stays in the API.
public enum SubmissionFlag {
    public static func vietnamese(_ flag: String) -> String {
        if let file = flag.suffix(after: "missing_alt_text:") {
            return "Ảnh chưa có mô tả thay thế (alt): \(file)"
        }
        if let address = flag.suffix(after: "picture_from_another_site:") {
            return "Ảnh lấy từ trang khác, trên trang được thay bằng đường liên kết (Cổng chỉ hiện ảnh của chính mình): \(address)"
        }
        if let reason = flag.suffix(after: "released_from_quarantine:") {
            return "Thư được đưa vào biên tập từ mục Thư bị giữ lại (\(HoldReason.vietnamese(String(reason))))"
        }
        switch flag {
        case "reused_message_id": return "Thư dùng lại Message-ID của một thư khác đã nhận: kiểm tra có trùng không"
        case "likely_duplicate": return "Cùng nội dung với một thư đã nhận từ cùng người gửi: có thể gửi lặp"
        default: return "Ghi chú của bộ phận tiếp nhận: \(flag.replacingOccurrences(of: "_", with: " "))"
        }
    }
}

extension String {
    /// The rest of the string after `prefix`, when it starts with it.
    func suffix(after prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}

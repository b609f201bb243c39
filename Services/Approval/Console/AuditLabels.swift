import Foundation
import Models

/// The audit log of an item as a person reads it: the action by name, the details as a sentence.
/// The codes and the JSON stay in `core.audit_log` and `portalctl audit`.
enum AuditLabels {
    static let actions: [String: (vi: String, en: String)] = [
        "submission.received": ("Tiếp nhận tin gửi đến", "Submission received"),
        "submission.quarantined": ("Giữ thư lại để kiểm tra", "Mail held for checking"),
        "quarantine.released": ("Đưa thư bị giữ lại vào biên tập", "Held mail released into editing"),
        "quarantine.discarded": ("Loại bỏ thư bị giữ lại", "Held mail discarded"),
        "article.edited": ("Biên tập, lưu phiên bản mới", "Edited: a new revision"),
        "article.viewed_restricted": ("Xem tin có dấu độ mật", "Restricted item viewed"),
        "article.start_editing": ("Nhận biên tập", "Taken up for editing"),
        "article.submit_for_approval": ("Trình duyệt", "Sent for approval"),
        "article.approve": ("Duyệt đăng", "Approved"),
        "article.reject": ("Từ chối đăng tải", "Refused"),
        "article.return_for_revision": ("Trả lại để chỉnh sửa", "Returned for revision"),
        "article.resubmit": ("Đơn vị gửi lại", "Resubmitted by the unit"),
        "article.publish": ("Đăng tải", "Published"),
        "article.take_down": ("Gỡ bỏ", "Taken down"),
        "article.withdraw": ("Đơn vị rút lại", "Withdrawn by the unit"),
        "article.start_correction": ("Bắt đầu đính chính", "Correction started"),
    ]

    static func action(_ code: String, english: Bool) -> String {
        actions[code].map { english ? $0.en : $0.vi } ?? code
    }

    /// `{"from":"in_editing","to":"pending_approval","revision":"3"}` → "Đang biên tập → Chờ duyệt; phiên bản 3".
    static func detail(_ json: String, english: Bool) -> String {
        guard let fields = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], !fields.isEmpty else { return "" }
        var parts = [String]()
        func state(_ key: String) -> String? {
            (fields[key] as? String).map { code in ArticleState(rawValue: code).map { english ? $0.rawValue.replacingOccurrences(of: "_", with: " ") : $0.vietnamese } ?? code }
        }
        if let from = state("from"), let to = state("to") { parts.append("\(from) → \(to)") }
        if let revision = fields["revision"] { parts.append((english ? "revision " : "phiên bản ") + "\(revision)") }
        if let reason = fields["reason"] as? String { parts.append(HoldReason.vietnamese(reason)) }
        let known: Set<String> = ["from", "to", "revision", "reason"]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !known.contains(key) {
            parts.append("\(key): \(value)")
        }
        return parts.joined(separator: "; ")
    }
}

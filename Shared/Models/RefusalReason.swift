/// The five reasons for which the Editorial Board may refuse to publish (Art. 9.5, R-1.3).
/// No other reason exists: a refusal carries exactly one of these, plus a note.
public enum RefusalReason: String, Codable, Sendable, CaseIterable {
    case outsideRemit = "outside_remit"
    case contraryToPolicyOrLaw = "contrary_to_policy_or_law"
    case untrueLowQualityOrDuplicate = "untrue_low_quality_or_duplicate"
    case stateSecret = "state_secret"
    case notClearedForRelease = "not_cleared_for_release"

    /// The regulation's own words, shown to the submitter and in the console.
    public var vietnamese: String {
        switch self {
        case .outsideRemit:
            "Nội dung thông tin không thuộc phạm vi quản lý của cơ quan chủ quản"
        case .contraryToPolicyOrLaw:
            "Nội dung thông tin không phù hợp với đường lối, chủ trương, chính sách của Đảng, pháp luật của Nhà nước"
        case .untrueLowQualityOrDuplicate:
            "Thông tin không đúng sự thật, không bảo đảm chất lượng, trùng lặp với thông tin đã được đăng tải"
        case .stateSecret:
            "Thông tin thuộc bí mật Nhà nước"
        case .notClearedForRelease:
            "Thông tin được cấp có thẩm quyền quyết định chưa phổ biến công khai"
        }
    }

    public var english: String {
        switch self {
        case .outsideRemit: "Outside the remit of the owning agency"
        case .contraryToPolicyOrLaw: "Contrary to the Party's line or the State's law"
        case .untrueLowQualityOrDuplicate: "Untrue, of insufficient quality, or duplicating published information"
        case .stateSecret: "State secret"
        case .notClearedForRelease: "Not yet cleared for public release by the competent authority"
        }
    }
}

/// What a user may do. A user holds one or more roles; codes are stored in `core.user_roles`.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// Cộng tác viên: submits on behalf of a unit.
    case collaborator
    /// Đầu mối của đơn vị: follows the unit's submissions and questions.
    case unitLiaison = "unit_liaison"
    /// Biên tập viên of the Center.
    case editor
    /// Trưởng Ban Biên tập.
    case boardHead = "board_head"
    /// Phó Trưởng Ban Biên tập.
    case boardDeputy = "board_deputy"
    /// Thành viên Ban Biên tập who leads a department.
    case boardMember = "board_member"
    /// Answers citizens' questions routed to a unit.
    case feedbackOfficer = "feedback_officer"
    /// Finance staff of the Center.
    case finance
    /// Department of Finance staff who appraise the budget estimate.
    case financeAppraiser = "finance_appraiser"
    /// Technical operator: sites, users, dead letters.
    case `operator`
    case admin
}

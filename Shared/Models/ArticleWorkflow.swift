/// Where an item is in the editorial flow (Art. 9, 12, 13; DESIGN.md, The editorial flow).
public enum ArticleState: String, Codable, Sendable, CaseIterable {
    case received
    case inEditing = "in_editing"
    case pendingApproval = "pending_approval"
    case approved
    case published
    case returned
    case rejected
    case takenDown = "taken_down"
    case withdrawn

    /// The label submitters and editors see.
    public var vietnamese: String {
        switch self {
        case .received: "Đã tiếp nhận"
        case .inEditing: "Đang biên tập"
        case .pendingApproval: "Chờ duyệt"
        case .approved: "Đã duyệt"
        case .published: "Đã đăng"
        case .returned: "Trả lại"
        case .rejected: "Từ chối"
        case .takenDown: "Đã gỡ bỏ"
        case .withdrawn: "Đã rút lại"
        }
    }

    /// States from which nothing moves on.
    public var isFinal: Bool { self == .rejected || self == .takenDown || self == .withdrawn }
}

/// What a person does to an item.
public enum ArticleAction: Sendable, Equatable {
    /// An editor of the Center takes the item up.
    case startEditing
    /// Trình duyệt: the editor sends it to the approver.
    case submitForApproval
    /// Duyệt đăng.
    case approve
    /// Từ chối đăng tải, for exactly one of the five reasons.
    case reject(RefusalReason)
    /// Trả lại để chỉnh sửa, to the editor or the submitting unit, with a note.
    case returnForRevision
    /// The submitting unit sends a returned item again.
    case resubmit
    /// The approved revision goes out on the portal.
    case publish
    /// Gỡ bỏ: the Head alone; the text stays archived.
    case takeDown
    /// Rút lại: the submitting unit, before approval.
    case withdraw
    /// Đính chính: an editor starts a correction of a published item; the published version stays
    /// live until the correction is approved.
    case startCorrection

    public var code: String {
        switch self {
        case .startEditing: "start_editing"
        case .submitForApproval: "submit_for_approval"
        case .approve: "approve"
        case .reject: "reject"
        case .returnForRevision: "return_for_revision"
        case .resubmit: "resubmit"
        case .publish: "publish"
        case .takeDown: "take_down"
        case .withdraw: "withdraw"
        case .startCorrection: "start_correction"
        }
    }
}

/// An action that the item's state does not allow.
public struct InvalidTransition: Error, Equatable, CustomStringConvertible {
    public let from: ArticleState
    public let action: String

    public init(from: ArticleState, action: String) {
        self.from = from
        self.action = action
    }

    public var description: String { "cannot \(action) an item that is \(from.rawValue)" }
}

/// The editorial state machine as a pure function; the approval service enforces it, and who
/// may act is decided apart (approval rules ).
public enum ArticleWorkflow {
    /// - Parameter correcting: a version of the item is live (a correction is under way): a
    ///   refused correction leaves the item published, it cannot be withdrawn, and the Head may
    ///   still take the live version down.
    public static func next(from state: ArticleState, on action: ArticleAction, correcting: Bool = false) throws -> ArticleState {
        if correcting {
            switch (state, action) {
            case (.pendingApproval, .reject): return .published
            case (.inEditing, .takeDown), (.pendingApproval, .takeDown), (.returned, .takeDown), (.approved, .takeDown): return .takenDown
            case (_, .withdraw), (_, .resubmit): throw InvalidTransition(from: state, action: action.code)
            default: break
            }
        }
        switch (state, action) {
        case (.published, .startCorrection): return .inEditing
        case (.received, .startEditing), (.returned, .startEditing): return .inEditing
        case (.inEditing, .submitForApproval): return .pendingApproval
        case (.pendingApproval, .approve): return .approved
        case (.pendingApproval, .reject): return .rejected
        case (.received, .returnForRevision), (.inEditing, .returnForRevision), (.pendingApproval, .returnForRevision):
            return .returned
        case (.returned, .resubmit): return .received
        case (.approved, .publish): return .published
        case (.published, .takeDown): return .takenDown
        case (.received, .withdraw), (.inEditing, .withdraw), (.pendingApproval, .withdraw), (.returned, .withdraw):
            return .withdrawn
        default:
            throw InvalidTransition(from: state, action: action.code)
        }
    }

    /// The actions `state` allows, for menus and API hints.
    public static func allowedActions(from state: ArticleState, correcting: Bool = false) -> [ArticleAction] {
        let candidates: [ArticleAction] = [
            .startEditing, .submitForApproval, .approve, .reject(.outsideRemit), .returnForRevision, .resubmit, .publish,
            .takeDown, .withdraw, .startCorrection,
        ]
        return candidates.filter { (try? next(from: state, on: $0, correcting: correcting)) != nil }
    }
}

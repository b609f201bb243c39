import Foundation

/// A seat on the Editorial Board for a period (Art. 8-9).
public struct BoardSeat: Sendable, Equatable {
    public enum Position: String, Sendable, Codable { case head, deputy, member }

    public let userId: UUID
    public let position: Position
    /// The department (unit code) this member leads, if any.
    public let leadsUnit: String?
    public let validFrom: LocalDate
    public let validTo: LocalDate?

    public init(userId: UUID, position: Position, leadsUnit: String?, validFrom: LocalDate, validTo: LocalDate? = nil) {
        self.userId = userId
        self.position = position
        self.leadsUnit = leadsUnit
        self.validFrom = validFrom
        self.validTo = validTo
    }

    public func isSeated(on date: LocalDate) -> Bool {
        validFrom <= date && validTo.map { date <= $0 } ?? true
    }
}

/// The Head's delegation of approval to a Deputy Head: data, dated and revocable.
public struct Delegation: Sendable, Equatable {
    public let id: UUID
    public let delegate: UUID
    /// The kinds of item it covers; nil covers every kind.
    public let kinds: Set<ContentKind>?
    public let validFrom: LocalDate
    public let validTo: LocalDate
    /// From this day on the delegation no longer applies.
    public let revokedFrom: LocalDate?

    public init(id: UUID, delegate: UUID, kinds: Set<ContentKind>?, validFrom: LocalDate, validTo: LocalDate, revokedFrom: LocalDate? = nil) {
        self.id = id
        self.delegate = delegate
        self.kinds = kinds
        self.validFrom = validFrom
        self.validTo = validTo
        self.revokedFrom = revokedFrom
    }

    public func covers(_ kind: ContentKind, on date: LocalDate) -> Bool {
        validFrom <= date && date <= validTo && revokedFrom.map { date < $0 } ?? true && kinds.map { $0.contains(kind) } ?? true
    }
}

/// What an approver needs to know about an item to decide who may approve it.
public struct ApprovalSubject: Sendable {
    public let submittingUnit: String
    public let kind: ContentKind
    /// Who submitted and who edited it: none of them may approve it.
    public let authors: Set<UUID>

    public init(submittingUnit: String, kind: ContentKind, authors: Set<UUID>) {
        self.submittingUnit = submittingUnit
        self.kind = kind
        self.authors = authors
    }
}

/// Which rule gives someone the right to approve; recorded with every decision.
public enum ApprovalRule: String, Codable, Sendable {
    /// the Board member who leads the submitting department.
    case boardMemberLeadingUnit = "R-1.1"
    /// the Head of the Board.
    case boardHead = "R-1.2"
    /// a Deputy Head holding a delegation valid that day for that kind.
    case delegatedDeputy = "R-1.2-delegation"
}

/// One person's right to approve an item, with the rule and the delegation it rests on.
public struct ApprovalAuthority: Sendable, Equatable {
    public let approver: UUID
    public let rule: ApprovalRule
    public let delegation: UUID?

    public init(approver: UUID, rule: ApprovalRule, delegation: UUID?) {
        self.approver = approver
        self.rule = rule
        self.delegation = delegation
    }

    /// Why the item came to this approver, in Vietnamese for the console.
    public var explanation: String { rule.vietnamese }
}

extension ApprovalRule {
    /// The rule as the regulation names it, for the pages (the id stays in the API and the records).
    public var vietnamese: String {
        switch self {
        case .boardMemberLeadingUnit: "Thành viên Ban Biên tập phụ trách đơn vị gửi tin (Điều 13.1.a)"
        case .boardHead: "Trưởng Ban Biên tập duyệt (Điều 13.1.a)"
        case .delegatedDeputy: "Phó Trưởng Ban Biên tập được ủy quyền (Điều 9.4, Điều 13.1.a)"
        }
    }

    public var english: String {
        switch self {
        case .boardMemberLeadingUnit: "Board member leading the submitting unit (Art. 13.1.a)"
        case .boardHead: "Head of the Editorial Board (Art. 13.1.a)"
        case .delegatedDeputy: "Deputy Head holding a delegation (Art. 9.4, 13.1.a)"
        }
    }
}

/// Why someone may not approve an item.
public enum ApprovalRefusal: Error, Equatable, Sendable {
    /// They submitted or edited it themselves.
    case ownWork
    /// The item belongs to the Board member who leads its unit.
    case reservedForUnitLeader
    /// Not the Head, and no delegation covers this kind on this day.
    case noAuthority

    public var code: String {
        switch self {
        case .ownWork: "own_work"
        case .reservedForUnitLeader: "reserved_for_unit_leader"
        case .noAuthority: "no_approval_authority"
        }
    }

    public init?(code: String) {
        guard let known = [ApprovalRefusal.ownWork, .reservedForUnitLeader, .noAuthority].first(where: { $0.code == code }) else { return nil }
        self = known
    }

    /// Why there is no approve button, as the Board member reads it.
    public var vietnamese: String {
        switch self {
        case .ownWork: "Ông/bà là tác giả hoặc đã biên tập tin này nên không tự duyệt tin của mình; tin do Trưởng Ban hoặc Phó Trưởng Ban được ủy quyền duyệt."
        case .reservedForUnitLeader: "Tin này do thành viên Ban Biên tập phụ trách đơn vị gửi tin duyệt (Điều 13 khoản 1 điểm a)."
        case .noAuthority: "Ông/bà chưa được Trưởng Ban ủy quyền duyệt loại tin này vào hôm nay (Điều 9 khoản 4; Điều 13 khoản 1 điểm a). Trưởng Ban ủy quyền tại trang Ủy quyền."
        }
    }

    public var english: String {
        switch self {
        case .ownWork: "You wrote or edited this item, so you do not approve it; the Head or a delegated Deputy Head does."
        case .reservedForUnitLeader: "This item is approved by the Board member who leads the submitting unit (Art. 13.1.a)."
        case .noAuthority: "The Head has not delegated approval of this kind of item to you for today (Art. 9.4, 13.1.a)."
        }
    }
}

/// Who may approve what (Art. 13.1.a; ), as pure functions of the Board, the
/// delegations and the day.
public enum ApprovalRules {
    /// Everyone who may approve `subject` on `date`, with the rule for each.
    ///
    /// An item of a department whose leader sits on the Board goes to that member alone. When
    /// that member is one of its authors (or no longer seated), it falls to the Head and the
    /// delegated Deputies like every other item, so that nobody approves their own work.
    public static func authorities(
        for subject: ApprovalSubject, board: [BoardSeat], delegations: [Delegation], on date: LocalDate
    ) -> [ApprovalAuthority] {
        let seated = board.filter { $0.isSeated(on: date) }
        let leaders = seated.filter { $0.leadsUnit == subject.submittingUnit && !subject.authors.contains($0.userId) }
        if let leader = leaders.first {
            return [ApprovalAuthority(approver: leader.userId, rule: .boardMemberLeadingUnit, delegation: nil)]
        }
        var result = seated.filter { $0.position == .head && !subject.authors.contains($0.userId) }
            .map { ApprovalAuthority(approver: $0.userId, rule: .boardHead, delegation: nil) }
        let deputies = Set(seated.filter { $0.position == .deputy }.map(\.userId))
        for delegation in delegations
        where deputies.contains(delegation.delegate) && !subject.authors.contains(delegation.delegate)
            && delegation.covers(subject.kind, on: date) && !result.contains(where: { $0.approver == delegation.delegate }) {
            result.append(ApprovalAuthority(approver: delegation.delegate, rule: .delegatedDeputy, delegation: delegation.id))
        }
        return result
    }

    /// The authority `user` acts under, or why they may not approve.
    public static func authority(
        of user: UUID, for subject: ApprovalSubject, board: [BoardSeat], delegations: [Delegation], on date: LocalDate
    ) -> Result<ApprovalAuthority, ApprovalRefusal> {
        if subject.authors.contains(user) { return .failure(.ownWork) }
        let all = authorities(for: subject, board: board, delegations: delegations, on: date)
        if let mine = all.first(where: { $0.approver == user }) { return .success(mine) }
        if all.contains(where: { $0.rule == .boardMemberLeadingUnit }) { return .failure(.reservedForUnitLeader) }
        return .failure(.noAuthority)
    }
}

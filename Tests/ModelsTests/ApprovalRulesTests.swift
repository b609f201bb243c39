import Foundation
import Models
import Testing

@Suite("Who may approve (Art. 13.1.a)")
struct ApprovalRulesTests {
    let head = UUID(), deputyA = UUID(), deputyB = UUID(), justiceDirector = UUID(), editor = UUID(), collaborator = UUID()
    let day = LocalDate(iso: "2026-11-30")!

    var board: [BoardSeat] {
        let from = LocalDate(iso: "2025-05-20")!
        return [
            BoardSeat(userId: head, position: .head, leadsUnit: "department-vpubnd", validFrom: from),
            BoardSeat(userId: deputyA, position: .deputy, leadsUnit: nil, validFrom: from),
            BoardSeat(userId: deputyB, position: .deputy, leadsUnit: nil, validFrom: from),
            BoardSeat(userId: justiceDirector, position: .member, leadsUnit: "department-sotuphap", validFrom: from),
        ]
    }

    func delegation(to deputy: UUID, kinds: Set<ContentKind>? = nil, revokedFrom: String? = nil) -> Delegation {
        Delegation(
            id: UUID(), delegate: deputy, kinds: kinds, validFrom: LocalDate(iso: "2026-11-01")!,
            validTo: LocalDate(iso: "2026-12-31")!, revokedFrom: revokedFrom.flatMap { LocalDate(iso: $0) })
    }

    func subject(_ unit: String, _ kind: ContentKind = .news) -> ApprovalSubject {
        ApprovalSubject(submittingUnit: unit, kind: kind, authors: [collaborator, editor])
    }

    // a department whose leader sits on the Board: that member, and only that member.
    @Test func unitLeaderApprovesOwnDepartment() {
        let found = ApprovalRules.authorities(for: subject("department-sotuphap"), board: board, delegations: [], on: day)
        #expect(found == [ApprovalAuthority(approver: justiceDirector, rule: .boardMemberLeadingUnit, delegation: nil)])
        let headTries = ApprovalRules.authority(of: head, for: subject("department-sotuphap"), board: board, delegations: [], on: day)
        #expect(headTries == .failure(.reservedForUnitLeader))
    }

    // everything else goes to the Head, or a Deputy with a delegation valid that day for that kind.
    @Test func headOrDelegatedDeputyApprovesTheRest() {
        let delegations = [delegation(to: deputyA, kinds: [.news, .article])]
        let found = ApprovalRules.authorities(for: subject("district-benluc"), board: board, delegations: delegations, on: day)
        #expect(found.map(\.approver) == [head, deputyA])
        #expect(found.map(\.rule) == [.boardHead, .delegatedDeputy])
        #expect(found.last?.delegation == delegations[0].id)
        // Not for a kind outside the delegation, nor for a deputy without one.
        let legal = ApprovalRules.authorities(for: subject("district-benluc", .legalDocument), board: board, delegations: delegations, on: day)
        #expect(legal.map(\.approver) == [head])
        #expect(ApprovalRules.authority(of: deputyB, for: subject("district-benluc"), board: board, delegations: delegations, on: day)
            == .failure(.noAuthority))
    }

    // a delegation counts only inside its period and until it is revoked.
    @Test func delegationsAreDatedAndRevocable() {
        let revoked = [delegation(to: deputyA, revokedFrom: "2026-11-15")]
        #expect(ApprovalRules.authorities(for: subject("district-benluc"), board: board, delegations: revoked, on: LocalDate(iso: "2026-11-14")!)
            .contains { $0.approver == deputyA })
        #expect(!ApprovalRules.authorities(for: subject("district-benluc"), board: board, delegations: revoked, on: day)
            .contains { $0.approver == deputyA })
        #expect(!ApprovalRules.authorities(for: subject("district-benluc"), board: board, delegations: revoked, on: LocalDate(iso: "2027-01-01")!)
            .contains { $0.approver == deputyA })
    }

    // Nobody approves what they submitted or edited; the leader's own item falls to the Head.
    @Test func nobodyApprovesTheirOwnWork() {
        let own = ApprovalSubject(submittingUnit: "department-sotuphap", kind: .news, authors: [justiceDirector])
        #expect(ApprovalRules.authority(of: justiceDirector, for: own, board: board, delegations: [], on: day) == .failure(.ownWork))
        #expect(ApprovalRules.authorities(for: own, board: board, delegations: [], on: day).map(\.approver) == [head])
        let editedByDeputy = ApprovalSubject(submittingUnit: "district-benluc", kind: .news, authors: [deputyA])
        #expect(ApprovalRules.authorities(for: editedByDeputy, board: board, delegations: [delegation(to: deputyA)], on: day)
            .map(\.approver) == [head])
    }

    @Test func aSeatEndsWithItsPeriod() {
        let ended = board.map {
            $0.userId == justiceDirector
                ? BoardSeat(userId: $0.userId, position: .member, leadsUnit: $0.leadsUnit, validFrom: $0.validFrom, validTo: LocalDate(iso: "2026-06-30")!)
                : $0
        }
        #expect(ApprovalRules.authorities(for: subject("department-sotuphap"), board: ended, delegations: [], on: day).map(\.approver) == [head])
    }
}

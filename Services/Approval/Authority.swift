import Foundation
import Models
import Store

/// The Board and the delegations as they stand, read for the approval rules.
struct BoardState: Sendable {
    let seats: [BoardSeat]
    let delegations: [Delegation]

    static func load(on connection: Connection) throws -> BoardState {
        try decode(connection.queries(statements))
    }

    /// The two reads of `load`, for a caller that sends them with other reads in one round trip.
    static var statements: [(sql: String, parameters: [any SQLParameter])] {[
        ("SELECT user_id, position, leads_unit_code, valid_from::text AS f, valid_to::text AS t FROM core.board_members", []),
        ("""
         SELECT id, delegate, array_to_json(kinds)::text AS kinds, valid_from::text AS f, valid_to::text AS t,
                (revoked_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date::text AS revoked
         FROM editorial.delegations
         """, []),
    ]}

    /// The Board from the answers to `statements`, in their order.
    static func decode(_ answers: some Collection<QueryResult>) throws -> BoardState {
        guard answers.count == 2, let seatRows = answers.first?.rows, let delegationRows = answers.dropFirst().first?.rows else {
            throw StoreError(.queryFailed, message: "the Board's reads did not all answer")
        }
        let seats = try seatRows.compactMap { row -> BoardSeat? in
            guard let position = BoardSeat.Position(rawValue: try row.decode("position")),
                  let from = LocalDate(iso: try row.decode("f")) else { return nil }
            return BoardSeat(
                userId: try row.decode("user_id"), position: position, leadsUnit: try row.decodeIfPresent("leads_unit_code"),
                validFrom: from, validTo: try row.decodeIfPresent("t", as: String.self).flatMap(LocalDate.init(iso:)))
        }
        let delegations = try delegationRows.compactMap { row -> Delegation? in
            guard let from = LocalDate(iso: try row.decode("f")), let to = LocalDate(iso: try row.decode("t")) else { return nil }
            let kinds = try row.decodeIfPresent("kinds", as: String.self)
                .map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
                .map { Set($0.compactMap(ContentKind.init(rawValue:))) }
            return Delegation(
                id: try row.decode("id"), delegate: try row.decode("delegate"), kinds: kinds, validFrom: from, validTo: to,
                revokedFrom: try row.decodeIfPresent("revoked", as: String.self).flatMap(LocalDate.init(iso:)))
        }
        return BoardState(seats: seats, delegations: delegations)
    }

    func authority(of user: UUID, for subject: ApprovalSubject, on date: LocalDate) -> Result<ApprovalAuthority, ApprovalRefusal> {
        ApprovalRules.authority(of: user, for: subject, board: seats, delegations: delegations, on: date)
    }

    func approvers(for subject: ApprovalSubject, on date: LocalDate) -> [ApprovalAuthority] {
        ApprovalRules.authorities(for: subject, board: seats, delegations: delegations, on: date)
    }

    /// The Head on `date`, who alone takes information down.
    func isHead(_ user: UUID, on date: LocalDate) -> Bool {
        seats.contains { $0.userId == user && $0.position == .head && $0.isSeated(on: date) }
    }
}

import Foundation
import Models
import ServiceKit
import Store

/// A delegation of the Head's approval to a Deputy Head, as the API shows it.
struct DelegationView: Codable, Sendable {
    var id: String
    var delegate: String
    var delegateName: String
    /// nil: every kind of item.
    var kinds: [String]?
    var validFrom: String
    var validTo: String
    var createdBy: String
    var createdAt: Date
    var revokedAt: Date?
    var active: Bool
}

struct DelegationRequest: Codable, Sendable {
    /// The Deputy Head's login.
    var delegate: String
    var kinds: [String]?
    var validFrom: String
    var validTo: String
}

/// Delegations are data: made and revoked by the Head, read by the approval rules.
struct Delegations: Sendable {
    let database: DatabasePool

    func list(for user: AuthenticatedUser) async throws -> [DelegationView] {
        guard Access.isBoard(user) || Access.isEditor(user) else {
            throw APIError.forbidden("editorial_staff_only", "Delegations are shown to the Board and the editors.")
        }
        return try await database.withConnection { connection in
            try connection.query(
                """
                SELECT d.id, u.login, u.full_name, array_to_json(d.kinds)::text AS kinds, d.valid_from::text AS f, d.valid_to::text AS t,
                       c.login AS creator, d.created_at, d.revoked_at,
                       d.revoked_at IS NULL AND (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN d.valid_from AND d.valid_to AS active
                FROM editorial.delegations d JOIN core.users u ON u.id = d.delegate JOIN core.users c ON c.id = d.created_by
                ORDER BY d.created_at DESC
                """
            ).rows.map { row in
                DelegationView(
                    id: try row.decode("id", as: UUID.self).uuidString.lowercased(), delegate: try row.decode("login"),
                    delegateName: try row.decode("full_name"),
                    kinds: try row.decodeIfPresent("kinds", as: String.self).map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) },
                    validFrom: try row.decode("f"), validTo: try row.decode("t"), createdBy: try row.decode("creator"),
                    createdAt: try row.decode("created_at"), revokedAt: try row.decodeIfPresent("revoked_at"), active: try row.decode("active"))
            }
        }
    }

    func create(_ request: DelegationRequest, by user: AuthenticatedUser, correlationId: String) async throws -> UUID {
        try await database.withTransaction { connection in
            try Self.requireHead(user, on: connection)
            func invalid(_ code: String, _ message: String) -> APIError { APIError(.unprocessableContent, code: code, message: message) }
            guard let from = LocalDate(iso: request.validFrom), let to = LocalDate(iso: request.validTo) else {
                throw invalid("invalid_date", "validFrom and validTo must be dates YYYY-MM-DD.")
            }
            guard from <= to else { throw invalid("invalid_period", "The delegation must end on or after the day it starts.") }
            if let kinds = request.kinds, let unknown = kinds.first(where: { ContentKind(rawValue: $0) == nil }) {
                throw invalid("invalid_kind", "Unknown kind '\(unknown)'; use: \(ContentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            guard let row = try connection.query(
                """
                SELECT u.id FROM core.users u JOIN core.board_members b ON b.user_id = u.id AND b.position = 'deputy'
                WHERE u.login = $1 AND u.active
                """, [request.delegate]
            ).rows.first else {
                throw invalid("not_a_deputy", "'\(request.delegate)' is not a Deputy Head of the Board; only Deputy Heads receive delegations (R-1.2).")
            }
            let id = UUID()
            try connection.query(
                """
                INSERT INTO editorial.delegations (id, delegate, kinds, valid_from, valid_to, created_by)
                VALUES ($1, $2, $3::text[], $4::date, $5::date, $6)
                """, [id, try row.decode("id", as: UUID.self), request.kinds.map { SQLArray.literal($0) }, request.validFrom, request.validTo, user.id])
            try AuditLog.append(
                service: "approval", actor: user.login, action: "delegation.created", subject: id.uuidString.lowercased(),
                correlationId: correlationId, detail: ["delegate": request.delegate, "from": request.validFrom, "to": request.validTo], on: connection)
            return id
        }
    }

    func revoke(_ id: UUID, by user: AuthenticatedUser, correlationId: String) async throws {
        try await database.withTransaction { connection in
            try Self.requireHead(user, on: connection)
            let changed = try connection.query(
                "UPDATE editorial.delegations SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL", [id, user.id]
            ).affectedRows
            guard changed == 1 else {
                throw APIError.notFound("delegation_not_found", "No active delegation \(id.uuidString.lowercased()).")
            }
            try AuditLog.append(
                service: "approval", actor: user.login, action: "delegation.revoked", subject: id.uuidString.lowercased(),
                correlationId: correlationId, on: connection)
        }
    }

    static func requireHead(_ user: AuthenticatedUser, on connection: Connection) throws {
        guard user.has(.boardHead), try BoardState.load(on: connection).isHead(user.id, on: LocalDate.of(Date())) else {
            throw APIError.forbidden("head_only", "Only the Head of the Editorial Board makes or revokes delegations (R-1.2).")
        }
    }
}

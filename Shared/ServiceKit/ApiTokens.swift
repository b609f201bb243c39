import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth
import Models
import Store

/// The user behind a request, as the token or session identified them.
public struct AuthenticatedUser: Sendable, Equatable, Codable {
    public let id: UUID
    public let login: String
    public let fullName: String
    public let email: String
    public let unitCode: String?
    public let roles: Set<Role>

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

/// Bearer tokens for scripts and API clients. Only the SHA-256 of a token is stored, so a
/// copy of the database does not hand out working tokens.
public struct ApiTokens: Sendable {
    let database: DatabasePool
    /// Verified tokens, so that a client's burst of requests costs one lookup. A revoked token or
    /// a changed role takes effect within this lifetime.
    private let verified: ExpiringCache<[UInt8], AuthenticatedUser>

    public static let cacheLifetime = Duration.seconds(30)

    public init(database: DatabasePool) {
        self.database = database
        verified = ExpiringCache(lifetime: Self.cacheLifetime)
    }

    /// Makes a token for `login`; the token itself is shown once and never stored. `roles`
    /// narrows it to some of the user's roles (nil: all); it is bound to the user's unit as it
    /// is now, and ends at `expiresAt`.
    public func create(login: String, label: String, expiresAt: Date, roles: Set<Role>? = nil) async throws -> String {
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token = "lap_" + Data(secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let digest = ByteA(Array(SHA256.hash(data: Array(token.utf8))))
        let scope = roles.map { SQLArray.literal($0.map(\.rawValue).sorted()) }
        try await database.withTransaction { connection in
            guard let user = try connection.query(
                """
                SELECT u.id, coalesce(string_agg(r.role, ';'), '') AS roles FROM core.users u
                LEFT JOIN core.user_roles r ON r.user_id = u.id WHERE u.login = $1 AND u.active GROUP BY u.id
                """, [login]).rows.first else { throw UnknownUser(login: login) }
            let held = Set(try user.decode("roles", as: String.self).split(separator: ";").map(String.init))
            if let missing = roles?.map(\.rawValue).filter({ !held.contains($0) }).sorted(), !missing.isEmpty {
                throw ScopeRefused(login: login, roles: missing)
            }
            try connection.query(
                """
                INSERT INTO core.api_tokens (user_id, token_sha256, label, expires_at, roles, unit_code)
                SELECT id, $2, $3, $4, $5::text[], unit_code FROM core.users WHERE id = $1
                """, [try user.decode("id", as: UUID.self), digest, label, expiresAt, scope])
        }
        return token
    }

    /// A token that ends `lifetimeDays` from now, with all the user's roles.
    public func create(login: String, label: String, lifetimeDays: Int) async throws -> String {
        try await create(login: login, label: label, expiresAt: Date().addingTimeInterval(Double(lifetimeDays) * 86_400))
    }

    /// A token as `portalctl token list` shows it; never the token itself, which is not kept.
    public struct Listed: Sendable, Codable {
        public let id: UUID
        public let label: String
        public let roles: [String]?
        public let unitCode: String?
        public let createdAt: Date
        public let expiresAt: Date
        public let revokedAt: Date?
    }

    public func list(login: String) async throws -> [Listed] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT t.id, t.label, array_to_json(t.roles)::text AS roles, t.unit_code, t.created_at, t.expires_at, t.revoked_at
                FROM core.api_tokens t JOIN core.users u ON u.id = t.user_id WHERE u.login = $1 ORDER BY t.created_at
                """, [login]
            ).rows.map { row in
                Listed(
                    id: try row.decode("id"), label: try row.decode("label"),
                    roles: try row.decodeIfPresent("roles", as: String.self).map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) },
                    unitCode: try row.decodeIfPresent("unit_code"), createdAt: try row.decode("created_at"),
                    expiresAt: try row.decode("expires_at"), revokedAt: try row.decodeIfPresent("revoked_at"))
            }
        }
    }

    /// Revokes one token, or every live token of a user; returns how many. A service that has
    /// just verified one keeps it for at most `cacheLifetime`.
    public func revoke(id: UUID? = nil, login: String? = nil) async throws -> Int {
        try await database.withConnection { connection in
            try connection.query(
                """
                UPDATE core.api_tokens t SET revoked_at = now()
                WHERE t.revoked_at IS NULL AND ($1::uuid IS NULL OR t.id = $1)
                  AND ($2::text IS NULL OR t.user_id = (SELECT id FROM core.users WHERE login = $2))
                """, [id, login]
            ).affectedRows
        }
    }

    /// The active user holding `token`, or nil; with only the token's roles, and only while the
    /// user is still in the unit the token was made for.
    public func verify(_ token: String) async throws -> AuthenticatedUser? {
        guard token.hasPrefix("lap_"), token.count < 200 else { return nil }
        let hash = Array(SHA256.hash(data: Array(token.utf8)))
        if let user = verified.value(for: hash) { return user }
        let digest = ByteA(hash)
        let user = try await database.withConnection { connection -> AuthenticatedUser? in
            let rows = try connection.query(
                """
                SELECT u.id, u.login, u.full_name, u.email, u.unit_code,
                       coalesce(string_agg(r.role, ';') FILTER (WHERE t.roles IS NULL OR r.role = ANY (t.roles)), '') AS roles
                FROM core.api_tokens t
                JOIN core.users u ON u.id = t.user_id AND u.active
                LEFT JOIN core.user_roles r ON r.user_id = u.id
                WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
                  AND t.unit_code IS NOT DISTINCT FROM u.unit_code
                GROUP BY u.id
                """, [digest]
            ).rows
            guard let row = rows.first else { return nil }
            let roles = try row.decode("roles", as: String.self).split(separator: ";").compactMap { Role(rawValue: String($0)) }
            return AuthenticatedUser(
                id: try row.decode("id"), login: try row.decode("login"), fullName: try row.decode("full_name"),
                email: try row.decode("email"), unitCode: try row.decodeIfPresent("unit_code"), roles: Set(roles))
        }
        if let user { verified.store(user, for: hash) }
        return user
    }

    /// The active user with `id`, for a web session.
    public func user(id: UUID) async throws -> AuthenticatedUser? {
        try await database.withConnection { connection -> AuthenticatedUser? in
            guard let row = try connection.query(
                """
                SELECT u.id, u.login, u.full_name, u.email, u.unit_code, coalesce(string_agg(r.role, ';'), '') AS roles
                FROM core.users u LEFT JOIN core.user_roles r ON r.user_id = u.id
                WHERE u.id = $1 AND u.active GROUP BY u.id
                """, [id]
            ).rows.first else { return nil }
            let roles = try row.decode("roles", as: String.self).split(separator: ";").compactMap { Role(rawValue: String($0)) }
            return AuthenticatedUser(
                id: try row.decode("id"), login: try row.decode("login"), fullName: try row.decode("full_name"),
                email: try row.decode("email"), unitCode: try row.decodeIfPresent("unit_code"), roles: Set(roles))
        }
    }

    public struct ScopeRefused: Error, CustomStringConvertible {
        public let login: String
        public let roles: [String]
        public var description: String { "\(login) does not hold the role(s) \(roles.joined(separator: ", ")): a token carries only roles its user has" }
    }

    public struct UnknownUser: Error, CustomStringConvertible {
        public let login: String
        public var description: String { "no active user with login '\(login)'" }
    }
}

/// Authenticates `Authorization: Bearer` against `core.api_tokens`. A missing header
/// leaves the request anonymous; a wrong token is refused outright with 401.
struct TokenAuthenticator<Context: PortalRequestContext>: AuthenticatorMiddleware {
    let tokens: ApiTokens

    func authenticate(request: Request, context: Context) async throws -> AuthenticatedUser? {
        guard let bearer = request.headers.bearer else { return nil }
        guard let user = try await tokens.verify(bearer.token) else { throw APIError.unauthorized }
        return user
    }
}

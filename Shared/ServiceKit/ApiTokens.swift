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

    /// Makes a token for `login`; the token itself is shown once and never stored.
    public func create(login: String, label: String, lifetimeDays: Int) async throws -> String {
        var random = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token = "lap_" + Data(secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let digest = ByteA(Array(SHA256.hash(data: Array(token.utf8))))
        let inserted = try await database.withTransaction { connection in
            try connection.query(
                """
                INSERT INTO core.api_tokens (user_id, token_sha256, label, expires_at)
                SELECT id, $2, $3, now() + make_interval(days => $4) FROM core.users WHERE login = $1 AND active
                """, [login, digest, label, lifetimeDays]
            ).affectedRows
        }
        guard inserted == 1 else { throw UnknownUser(login: login) }
        return token
    }

    /// The active user holding `token`, or nil.
    public func verify(_ token: String) async throws -> AuthenticatedUser? {
        guard token.hasPrefix("lap_"), token.count < 200 else { return nil }
        let hash = Array(SHA256.hash(data: Array(token.utf8)))
        if let user = verified.value(for: hash) { return user }
        let digest = ByteA(hash)
        let user = try await database.withConnection { connection -> AuthenticatedUser? in
            let rows = try connection.query(
                """
                SELECT u.id, u.login, u.full_name, u.email, u.unit_code,
                       coalesce(string_agg(r.role, ';'), '') AS roles
                FROM core.api_tokens t
                JOIN core.users u ON u.id = t.user_id AND u.active
                LEFT JOIN core.user_roles r ON r.user_id = u.id
                WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
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

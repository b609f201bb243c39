import Crypto
import Foundation
import Hummingbird
import HummingbirdAuth
import HummingbirdBcrypt
import Models
import NIOPosix
import ServiceLifecycle
import Store

/// What a signed-in person's session holds: who they are, the token their forms must carry
/// (CSRF), and the language they read the pages in.
public struct WebSession: Codable, Sendable, Equatable {
    public var userId: UUID
    public var csrf: String
    public var language: String

    public init(userId: UUID, language: String) {
        self.userId = userId
        self.csrf = WebSession.randomToken()
        self.language = language
    }

    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Sessions kept in `core.sessions`, so that every instance of a service knows them and a restart
/// signs nobody out. Hummingbird's session middleware reads and writes them through this driver.
public struct PostgresPersistDriver: PersistDriver {
    let database: DatabasePool

    public init(database: DatabasePool) {
        self.database = database
    }

    public func run() async throws {
        // Expired rows go every ten minutes; until then a read ignores them. Shutdown ends the wait.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(600))
                _ = try? await database.withConnection { try $0.query("DELETE FROM core.sessions WHERE expires_at < now()") }
            }
        }
    }

    static func seconds(_ duration: Duration?) -> Double? {
        duration.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
    }

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        do {
            try await database.withConnection { connection in
                try connection.query(
                    """
                    INSERT INTO core.sessions (key, value, expires_at)
                    VALUES ($1, $2::jsonb, now() + make_interval(secs => coalesce($3::float8, 43200)))
                    """, [key, json, Self.seconds(expires)])
            }
        } catch let error as StoreError where error.isUniqueViolation {
            throw PersistError.duplicate
        }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        try await database.withConnection { connection in
            try connection.query(
                """
                INSERT INTO core.sessions (key, value, expires_at)
                VALUES ($1, $2::jsonb, now() + make_interval(secs => coalesce($3::float8, 43200)))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
                    expires_at = CASE WHEN $3::float8 IS NULL THEN core.sessions.expires_at ELSE EXCLUDED.expires_at END
                """, [key, json, Self.seconds(expires)])
        }
    }

    public func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        let text = try await database.withConnection { connection in
            try connection.query("SELECT value::text AS value FROM core.sessions WHERE key = $1 AND expires_at > now()", [key])
                .rows.first?.decode("value", as: String.self)
        }
        return try text.map { try JSONDecoder().decode(Object.self, from: Data($0.utf8)) }
    }

    public func remove(key: String) async throws {
        try await database.withConnection { try $0.query("DELETE FROM core.sessions WHERE key = $1", [key]) }
    }
}

/// Passwords for the web pages: bcrypt hashes in `core.user_credentials`.
public struct Passwords: Sendable {
    let database: DatabasePool

    public init(database: DatabasePool) {
        self.database = database
    }

    public static let minimumLength = 10

    public func set(login: String, password: String) async throws {
        guard password.count >= Self.minimumLength else {
            throw APIError.badRequest("password_too_short", "A password needs at least \(Self.minimumLength) characters.")
        }
        let hash = Bcrypt.hash(password, cost: 10)
        let changed = try await database.withConnection { connection in
            try connection.query(
                """
                INSERT INTO core.user_credentials (user_id, bcrypt_hash)
                SELECT id, $2 FROM core.users WHERE login = $1
                ON CONFLICT (user_id) DO UPDATE SET bcrypt_hash = EXCLUDED.bcrypt_hash, changed_at = now()
                """, [login, hash]
            ).affectedRows
        }
        guard changed == 1 else { throw ApiTokens.UnknownUser(login: login) }
    }

    /// The user's id when `password` is theirs and they are active; nil otherwise.
    public func verify(login: String, password: String) async throws -> UUID? {
        let row = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT u.id, c.bcrypt_hash FROM core.users u JOIN core.user_credentials c ON c.user_id = u.id
                WHERE u.login = $1 AND u.active
                """, [login.lowercased()]
            ).rows.first.map { (try $0.decode("id", as: UUID.self), try $0.decode("bcrypt_hash", as: String.self)) }
        }
        guard let (id, hash) = row else {
            // The same work as a real check, so that timing does not tell which logins exist.
            _ = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: Self.decoy) }
            return nil
        }
        // bcrypt is slow by design: off the shared pool.
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        return matches ? id : nil
    }

    static let decoy = Bcrypt.hash("not a password of anyone", cost: 10)

    /// What a sign-in form's login and password come to.
    public enum SignInCheck: Sendable, Equatable {
        case user(UUID)
        case wrongPassword
        /// Too many failures for this login or from this address: no password is checked until then.
        case lockedOut(until: Date)
    }

    /// Failures that lock a login (any address) or an address (any login) for the rest of the window.
    public static let failuresPerLogin = 5
    public static let failuresPerAddress = 20
    public static let failureWindowMinutes = 15

    /// `verify` behind the lockout every staff sign-in uses: a login that failed
    /// `failuresPerLogin` times, or an address that failed `failuresPerAddress` times, in the last
    /// `failureWindowMinutes`, is refused without checking the password until the oldest of those
    /// failures leaves the window. A success clears the login's failures.
    public func check(login: String, password: String, address: String) async throws -> SignInCheck {
        let login = login.lowercased()
        if let until = try await lockedUntil(login: login, address: address) { return .lockedOut(until: until) }
        if let id = try await verify(login: login, password: password) {
            try await database.withConnection { try $0.query("DELETE FROM core.sign_in_failures WHERE login = $1", [login]) }
            return .user(id)
        }
        try await database.withConnection {
            try $0.query("INSERT INTO core.sign_in_failures (login, address) VALUES ($1, $2)", [String(login.prefix(200)), String(address.prefix(100))])
        }
        // The failure that reaches the limit says so at once.
        if let until = try await lockedUntil(login: login, address: address) { return .lockedOut(until: until) }
        return .wrongPassword
    }

    func lockedUntil(login: String, address: String) async throws -> Date? {
        // A loopback address is this machine itself (a script, or a request that bypassed nginx):
        // the limit per login still holds, but one machine-wide count would lock every login.
        let address = ForwardedRequest.isProxy(address) ? "" : address
        return try await database.withConnection { connection in
            let window = "interval '\(Self.failureWindowMinutes) minutes'"
            return try connection.query(
                """
                SELECT max(until) AS until FROM (
                    SELECT min(at) + \(window) AS until FROM (
                        SELECT at FROM core.sign_in_failures WHERE login = $1 AND at > now() - \(window) ORDER BY at DESC LIMIT $3
                    ) l HAVING count(*) >= $3
                    UNION ALL
                    SELECT min(at) + \(window) FROM (
                        SELECT at FROM core.sign_in_failures WHERE address = $2 AND at > now() - \(window) ORDER BY at DESC LIMIT $4
                    ) a HAVING count(*) >= $4
                ) locks
                """, [login, address, Self.failuresPerLogin, Self.failuresPerAddress]
            ).rows.first?.decodeIfPresent("until")
        }
    }

    /// The refusal a locked-out person reads, with the time they may try again.
    public static func lockoutMessage(until: Date, language: String) -> String {
        let time = PortalCalendar.dateTime(until)
        return language == "en"
            ? "Too many failed sign-ins: signing in is paused until \(time) (Ho Chi Minh City time). Ask the portal's operator if you have forgotten your password."
            : "Đăng nhập sai quá nhiều lần: tạm khóa đăng nhập đến \(time). Nếu quên mật khẩu, vui lòng liên hệ bộ phận quản trị Cổng."
    }
}

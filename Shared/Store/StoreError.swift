/// A failure of the database layer, with what PostgreSQL said about it.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in the terms a caller can act on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, connectionLost, queryFailed, decodingFailed, poolClosed, noRows, busy
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the login.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use (server restart, network).
        public static let connectionLost = Code(.connectionLost)
        /// The server refused the statement; see `sqlState`.
        public static let queryFailed = Code(.queryFailed)
        /// A column could not be read as the asked type.
        public static let decodingFailed = Code(.decodingFailed)
        /// The pool was shut down.
        public static let poolClosed = Code(.poolClosed)
        /// A query expected a row and found none.
        public static let noRows = Code(.noRows)
        /// Every connection was in use and too many callers were waiting, or one waited too long.
        public static let busy = Code(.busy)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The five-character SQLSTATE of the server's error, when there is one.
    public let sqlState: String?
    /// The server's (or libpq's) message.
    public let message: String
    /// The statement, without its parameters (they may hold personal data).
    public let query: String?
    /// Set when the failure came before the transaction began (its BEGIN failed): nothing
    /// was written, so running the whole transaction again cannot double anything.
    public var beforeTransaction = false

    public init(_ code: Code, message: String, sqlState: String? = nil, query: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.query = query
    }

    /// 23505: a unique constraint refused the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// True when retrying on a new connection may succeed.
    public var isTransient: Bool {
        code == .connectionFailed || code == .connectionLost
            || sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "40001" || $0 == "40P01" } ?? false
    }

    /// True when the same transaction may simply be run again: the server rolled it back
    /// (serialization failure, deadlock), or it never started.
    public var isSafeToRetry: Bool {
        beforeTransaction || code == .connectionFailed || code == .busy || sqlState == "40001" || sqlState == "40P01"
    }

    /// True when the database cannot be used right now (unreachable, restarting, shutting
    /// down, or every connection busy): the caller should be told to try again later.
    public var isUnavailable: Bool {
        code == .connectionFailed || code == .connectionLost || code == .busy || code == .poolClosed
            || sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } ?? false
    }

    public var description: String {
        var text = "StoreError(\(code)): \(message)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        if let query { text += " in: \(query.prefix(200))" }
        return text
    }
}

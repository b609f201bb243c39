/// A connection lent by the pool for the duration of one closure. All calls block;
/// the pool runs the closure on a thread of its own.
public struct Connection {
    let connection: PostgresConnection

    init(_ connection: PostgresConnection) {
        self.connection = connection
    }

    /// Runs one statement with bound parameters.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any SQLParameter] = []) throws -> QueryResult {
        try connection.execute(sql, parameters)
    }

    /// Queues a statement of the open transaction whose result is not needed; it is sent with
    /// the next statement that needs an answer, or with COMMIT, in one round trip. Use it for
    /// inserts of a write path; an error it causes is thrown by that later statement, and the
    /// transaction rolls back. Outside a transaction it runs at once.
    public func send(_ sql: String, _ parameters: [any SQLParameter] = []) throws {
        try connection.send(sql, parameters)
    }

    /// Sends what `send` queued and waits for the answers, so that an error among them is thrown
    /// here: before a savepoint is released, for one.
    public func flush() throws {
        try connection.flush()
    }

    /// Runs several statements in one round trip (with any that `send` queued) and returns each
    /// one's result, in order: for a batch whose statements each need an answer but not the answer
    /// of another. The server runs them in order; the first error is thrown and the rest are skipped.
    public func queries(_ statements: [(sql: String, parameters: [any SQLParameter])]) throws -> [QueryResult] {
        try connection.execute(all: statements)
    }

    /// Runs a script of several statements without parameters (migrations, fixtures).
    public func script(_ sql: String) throws {
        _ = try connection.execute(sql, [])
    }

    /// Opens a transaction on this connection, to be ended by `script("COMMIT")` or
    /// `script("ROLLBACK")`. BEGIN goes to the server with the first statement, in the same round trip.
    public func begin() {
        connection.begin()
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back when it throws. Nested calls join
    /// the transaction already open.
    public func transaction<Result>(_ body: (Connection) throws -> Result) throws -> Result {
        if connection.isInTransaction { return try body(self) }
        begin()
        do {
            let result = try body(self)
            try connection.commit()
            return result
        } catch {
            if connection.isHealthy { try? connection.rollback() }
            throw error
        }
    }
}

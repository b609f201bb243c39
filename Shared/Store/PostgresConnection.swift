import Foundation
import CLibPQ

/// One libpq connection. Not thread-safe: the pool hands it to one caller at a time,
/// and every call on it blocks, so it only runs on the pool's own threads.
final class PostgresConnection {
    private let handle: OpaquePointer

    init(conninfo: String) throws {
        guard let handle = PQconnectdb(conninfo) else {
            throw StoreError(.connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw StoreError(.connectionFailed, message: message)
        }
        self.handle = handle
        // Every session reads and writes instants in UTC, ISO style, so decoding has one format.
        _ = try execute("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_min_messages = warning", [])
    }

    deinit { PQfinish(handle) }

    /// Statements of the open transaction whose results nobody reads, sent together with the
    /// next statement that needs an answer, or with COMMIT (see `send`).
    private var deferred: [(sql: String, parameters: [any SQLParameter])] = []
    /// Set by `begin()` until BEGIN has gone to the server with the transaction's first statement.
    private var beginDeferred = false
    /// Set when a pipeline left the connection in a state it cannot be trusted in.
    private var broken = false
    /// The statements this session has prepared, by their text: each is parsed and analysed by
    /// the server once per connection instead of at every execution (parsing and planning were
    /// the largest part of PostgreSQL's CPU under load). Bounded, in case a caller builds its
    /// text from values: past the bound, new texts run unprepared.
    private var prepared: [String: String] = [:]
    static let maxPrepared = 512

    /// False once libpq has seen the connection break.
    var isHealthy: Bool { !broken && PQstatus(handle) == CONNECTION_OK }

    /// Queues a statement of the open transaction whose result is not needed: it goes to the
    /// server with the next statement that needs an answer, or with COMMIT, all in one round
    /// trip (libpq pipeline mode). Its error, if any, is thrown there, and the transaction is
    /// rolled back as for any error. Outside a transaction the statement runs at once.
    func send(_ sql: String, _ parameters: [any SQLParameter]) throws {
        guard beginDeferred || PQtransactionStatus(handle) == PQTRANS_INTRANS else {
            _ = try execute(sql, parameters)
            return
        }
        try Self.refuseNUL(parameters, sql: sql)
        deferred.append((sql, parameters))
    }

    /// A text parameter goes to libpq as a C string, which would end it at a U+0000 and store
    /// the text cut short without a word; PostgreSQL cannot store the character anyway. Refused
    /// as the server refuses it (SQLSTATE 22021), before anything is sent.
    static func refuseNUL(_ parameters: [any SQLParameter], sql: String) throws {
        for parameter in parameters where parameter.sqlBinary == nil {
            if let text = parameter.sqlText, text.utf8.contains(0) {
                throw StoreError(
                    .queryFailed, message: "a text value contains the character U+0000, which cannot be stored", sqlState: "22021", query: sql)
            }
        }
    }

    /// Opens a transaction. BEGIN is not sent on its own: it goes to the server in the same round
    /// trip as the transaction's first statement (or not at all, for a transaction that ends
    /// without one), which saves a round trip on every transaction.
    func begin() {
        // Inside an open transaction, BEGIN would only draw a warning: the caller joins it.
        guard !isInTransaction else { return }
        beginDeferred = true
    }

    /// Sends the queued statements, if any, and reads their answers.
    func flush() throws {
        guard beginDeferred || !deferred.isEmpty else { return }
        _ = try pipelineQueued([])
    }

    /// Runs `statements` in one round trip, after any queued ones, and returns each one's result
    /// in order (see `Connection.queries`).
    func execute(all statements: [(sql: String, parameters: [any SQLParameter])]) throws -> [QueryResult] {
        guard !statements.isEmpty else { return [] }
        for statement in statements { try Self.refuseNUL(statement.parameters, sql: statement.sql) }
        return try pipelineQueued(statements)
    }

    /// Sends the deferred BEGIN and the queued statements ahead of `statements`, in one round trip,
    /// and returns the results of `statements`. An error that lost the connection on the round
    /// trip that carried BEGIN is marked as before the transaction: nothing of it can have been
    /// committed, and the server had answered nothing the caller read.
    private func pipelineQueued(_ statements: [(sql: String, parameters: [any SQLParameter])]) throws -> [QueryResult] {
        let opening: [(sql: String, parameters: [any SQLParameter])] = beginDeferred ? [("BEGIN", [])] : []
        let queued = opening + deferred
        let carriesBegin = beginDeferred
        beginDeferred = false
        deferred = []
        do {
            return Array(try pipeline(queued + statements).dropFirst(queued.count))
        } catch var error as StoreError where carriesBegin && (error.code == .connectionLost || error.code == .connectionFailed) {
            error.beforeTransaction = true
            throw error
        }
    }

    /// Commits, sending the statements still queued in the same round trip.
    func commit() throws {
        _ = try execute("COMMIT", [])
    }

    /// Rolls back; queued statements are dropped unsent.
    func rollback() throws {
        _ = try execute("ROLLBACK", [])
    }

    /// True while a transaction is open (BEGIN sent or still to be sent) or aborted on this connection.
    var isInTransaction: Bool {
        if beginDeferred { return true }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Runs one statement with bound parameters (text format). With no parameters a string
    /// may hold several statements (migrations); with parameters it must hold exactly one.
    func execute(_ sql: String, _ parameters: [any SQLParameter]) throws -> QueryResult {
        try Self.refuseNUL(parameters, sql: sql)
        // ROLLBACK, or ROLLBACK TO SAVEPOINT: every queued statement came after the last
        // statement sent, so after any savepoint, and would be undone; none is sent.
        if sql.hasPrefix("ROLLBACK") { deferred = [] }
        // A transaction that ends before its BEGIN was sent never reached the server.
        if beginDeferred, sql == "COMMIT" || sql == "ROLLBACK", deferred.isEmpty {
            beginDeferred = false
            return QueryResult(rows: [], affectedRows: 0)
        }
        // One statement (COMMIT, or one with parameters) joins the pipeline; a script of
        // several statements cannot, so the queue goes first on its own.
        if beginDeferred || !deferred.isEmpty, !parameters.isEmpty || sql == "COMMIT" {
            return try pipelineQueued([(sql, parameters)]).last ?? QueryResult(rows: [], affectedRows: 0)
        }
        try flush()
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else if let name = try prepare(sql) {
            result = Self.withBinary(parameters) { values, lengths, formats in
                PQexecPrepared(handle, name, Int32(values.count), values, lengths, formats, 0)
            }
        } else {
            result = Self.withBinary(parameters) { values, lengths, formats in
                PQexecParams(handle, sql, Int32(values.count), nil, values, lengths, formats, 0)
            }
        }
        guard let result else {
            throw StoreError(isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle), query: sql)
        }
        defer { PQclear(result) }
        return try decode(result, sql: sql)
    }

    /// Sends `statements` in one round trip and reads their results in order. The first error is
    /// thrown with its statement; the server skipped those after it.
    private func pipeline(_ statements: [(sql: String, parameters: [any SQLParameter])]) throws -> [QueryResult] {
        // Statements new to this session are prepared first, one round trip each, once.
        let names = try statements.map { $0.parameters.isEmpty ? nil : try prepare($0.sql) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw StoreError(isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle), query: statements.first?.sql)
        }
        for (statement, name) in zip(statements, names) {
            let sent = Self.withBinary(statement.parameters) { values, lengths, formats in
                if let name {
                    PQsendQueryPrepared(handle, name, Int32(values.count), values, lengths, formats, 0)
                } else {
                    PQsendQueryParams(handle, statement.sql, Int32(values.count), nil, values, lengths, formats, 0)
                }
            }
            guard sent == 1 else { try abandonPipeline(statement.sql) }
        }
        guard PQpipelineSync(handle) == 1 else { try abandonPipeline(statements.last?.sql) }
        var results = [QueryResult]()
        results.reserveCapacity(statements.count)
        var failure: (any Error)?
        for statement in statements {
            guard let result = PQgetResult(handle) else { try abandonPipeline(statement.sql) }
            var answer = QueryResult(rows: [], affectedRows: 0)
            if PQresultStatus(result) != PGRES_PIPELINE_ABORTED {
                do {
                    answer = try decode(result, sql: statement.sql)
                } catch {
                    failure = failure ?? error
                }
            }
            results.append(answer)
            PQclear(result)
            // Each statement's results end with a null.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        guard let sync = PQgetResult(handle), PQresultStatus(sync) == PGRES_PIPELINE_SYNC else {
            try abandonPipeline(statements.last?.sql)
        }
        PQclear(sync)
        guard PQexitPipelineMode(handle) == 1 else { try abandonPipeline(statements.last?.sql) }
        if let failure { throw failure }
        return results
    }

    /// The name of `sql`, a statement with parameters, prepared in this session, preparing it the
    /// first time; nil once the bound is reached (it then runs unprepared). Statements without
    /// parameters (scripts, BEGIN, COMMIT) are never prepared.
    private func prepare(_ sql: String) throws -> String? {
        if let name = prepared[sql] { return name }
        guard prepared.count < Self.maxPrepared else { return nil }
        let name = "portal_\(prepared.count + 1)"
        guard let result = PQprepare(handle, name, sql, 0, nil) else {
            throw StoreError(isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle), query: sql)
        }
        defer { PQclear(result) }
        _ = try decode(result, sql: sql)
        prepared[sql] = name
        return name
    }

    /// A pipeline that could not be sent or read to its end: the connection is not used again.
    private func abandonPipeline(_ sql: String?) throws -> Never {
        let message = Self.errorMessage(handle)
        broken = true
        throw StoreError(.connectionLost, message: message.isEmpty ? "the pipeline was interrupted" : message, query: sql)
    }

    private func decode(_ result: OpaquePointer, sql: String) throws -> QueryResult {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return QueryResult(rows: Self.rows(of: result), affectedRows: Int(PQntuples(result)))
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let affected = String(cString: PQcmdTuples(result))
            return QueryResult(rows: [], affectedRows: Int(affected) ?? 0)
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? Self.errorMessage(handle)
            // A table changed under a prepared statement in a way its plan cannot follow ("cached
            // plan must not change result type"): this session is retired, the next one prepares anew.
            if sqlState == "0A000", message.contains("cached plan") { broken = true }
            let code: StoreError.Code = isHealthy ? .queryFailed : .connectionLost
            throw StoreError(code, message: message, sqlState: sqlState, query: sql)
        }
    }

    private static func rows(of result: OpaquePointer) -> [Row] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let names = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        let index = ColumnIndex(names: names)
        var rows = [Row]()
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values = [String?]()
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(Row(values: values, columns: index))
        }
        return rows
    }

    private static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let text = PQerrorMessage(handle) else { return "unknown libpq error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Lends the parameters, binary ones as bytes with their lengths, for the duration of `body`.
    private static func withBinary<Result>(
        _ parameters: [any SQLParameter], _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) -> Result
    ) -> Result {
        var copies = [UnsafeMutablePointer<CChar>?]()
        var lengths = [Int32](), formats = [Int32]()
        for parameter in parameters {
            if let bytes = parameter.sqlBinary {
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
                bytes.withUnsafeBytes { source in
                    if let base = source.baseAddress { UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: bytes.count) }
                }
                copies.append(copy)
                lengths.append(Int32(clamping: bytes.count))
                formats.append(1)
            } else {
                copies.append(parameter.sqlText.map { strdup($0) } ?? nil)
                lengths.append(0)
                formats.append(0)
            }
        }
        defer {
            for (copy, format) in zip(copies, formats) {
                if format == 1 { copy?.deallocate() } else { free(copy) }
            }
        }
        return body(copies.map { $0.map { UnsafePointer($0) } }, lengths, formats)
    }
}

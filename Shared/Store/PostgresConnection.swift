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

    /// False once libpq has seen the connection break.
    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// True while a transaction is open or aborted on this connection.
    var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Runs one statement with bound parameters (text format). With no parameters a string
    /// may hold several statements (migrations); with parameters it must hold exactly one.
    func execute(_ sql: String, _ parameters: [any SQLParameter]) throws -> QueryResult {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else if parameters.contains(where: { $0.sqlBinary != nil }) {
            result = Self.withBinary(parameters) { values, lengths, formats in
                PQexecParams(handle, sql, Int32(values.count), nil, values, lengths, formats, 0)
            }
        } else {
            result = Self.withCStrings(parameters.map(\.sqlText)) { values in
                PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
            }
        }
        guard let result else {
            throw StoreError(isHealthy ? .queryFailed : .connectionLost, message: Self.errorMessage(handle), query: sql)
        }
        defer { PQclear(result) }
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

    /// Lends C strings for the parameters for the duration of `body`.
    private static func withCStrings<Result>(
        _ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> Result
    ) -> Result {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

/// One row of a result, read by column name into typed values.
public struct Row: Sendable {
    let values: [String?]
    let columns: ColumnIndex

    /// The value of `column`, which must not be NULL.
    public func decode<Value: SQLDecodable>(_ column: String, as _: Value.Type = Value.self) throws -> Value {
        guard let text = try raw(column) else {
            throw StoreError(.decodingFailed, message: "column \(column) is NULL")
        }
        return try Value(sqlText: text)
    }

    /// The value of `column`, or nil when it is NULL.
    public func decodeIfPresent<Value: SQLDecodable>(_ column: String, as _: Value.Type = Value.self) throws -> Value? {
        try raw(column).map { try Value(sqlText: $0) }
    }

    /// The text form of `column`, nil for NULL.
    public func raw(_ column: String) throws -> String? {
        guard let index = columns.positions[column] else {
            throw StoreError(.decodingFailed, message: "no column \(column) in the result")
        }
        return values[index]
    }
}

/// Column names to positions, shared by every row of one result.
final class ColumnIndex: Sendable {
    let positions: [String: Int]
    init(names: [String]) {
        var positions = [String: Int]()
        for (index, name) in names.enumerated() where positions[name] == nil {
            positions[name] = index
        }
        self.positions = positions
    }
}

/// The rows a statement returned and how many rows it touched.
public struct QueryResult: Sendable {
    public let rows: [Row]
    /// For INSERT, UPDATE and DELETE: the number of rows affected.
    public let affectedRows: Int

    /// The only row; throws `.noRows` when there is none.
    public func one() throws -> Row {
        guard let row = rows.first else { throw StoreError(.noRows, message: "the query returned no row") }
        return row
    }
}

/// PostgreSQL array literals for binding a list as one parameter (`$1::text[]`, `$1::uuid[]`),
/// with every element quoted, so no element can break out of the literal.
public enum SQLArray {
    public static func literal(_ elements: [String]) -> String {
        "{" + elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}

extension SQLArray {
    /// A `bigint[]` literal.
    public static func literal(_ elements: [Int64]) -> String {
        "{" + elements.map(String.init).joined(separator: ",") + "}"
    }
}

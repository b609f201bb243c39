import Foundation
import Models

/// A value that can be bound as a statement parameter. Values travel in PostgreSQL's
/// text format; nothing is ever spliced into SQL text.
public protocol SQLParameter: Sendable {
    /// The text form, or nil for SQL NULL.
    var sqlText: String? { get }
    /// The binary form, sent instead of the text when present (bytea: the bytes themselves,
    /// rather than twice as many hex digits and their copies).
    var sqlBinary: [UInt8]? { get }
}

extension SQLParameter {
    public var sqlBinary: [UInt8]? { nil }
}

/// A value that can be read from a column in text format.
public protocol SQLDecodable {
    init(sqlText: String) throws
}

/// SQL NULL as a parameter, for untyped nulls.
public struct SQLNull: SQLParameter {
    public init() {}
    public var sqlText: String? { nil }
}

extension String: SQLParameter, SQLDecodable {
    public var sqlText: String? { self }
    public init(sqlText: String) { self = sqlText }
}

extension Int: SQLParameter, SQLDecodable {
    public var sqlText: String? { String(self) }
    public init(sqlText: String) throws {
        guard let value = Int(sqlText) else { throw SQLDecoding.failure(sqlText, Int.self) }
        self = value
    }
}

extension Int64: SQLParameter, SQLDecodable {
    public var sqlText: String? { String(self) }
    public init(sqlText: String) throws {
        guard let value = Int64(sqlText) else { throw SQLDecoding.failure(sqlText, Int64.self) }
        self = value
    }
}

extension Int32: SQLParameter, SQLDecodable {
    public var sqlText: String? { String(self) }
    public init(sqlText: String) throws {
        guard let value = Int32(sqlText) else { throw SQLDecoding.failure(sqlText, Int32.self) }
        self = value
    }
}

extension Double: SQLParameter, SQLDecodable {
    public var sqlText: String? { String(self) }
    public init(sqlText: String) throws {
        guard let value = Double(sqlText) else { throw SQLDecoding.failure(sqlText, Double.self) }
        self = value
    }
}

extension Bool: SQLParameter, SQLDecodable {
    public var sqlText: String? { self ? "true" : "false" }
    public init(sqlText: String) throws {
        switch sqlText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw SQLDecoding.failure(sqlText, Bool.self)
        }
    }
}

extension UUID: SQLParameter, SQLDecodable {
    public var sqlText: String? { uuidString.lowercased() }
    public init(sqlText: String) throws {
        guard let value = UUID(uuidString: sqlText) else { throw SQLDecoding.failure(sqlText, UUID.self) }
        self = value
    }
}

extension Date: SQLParameter, SQLDecodable {
    public var sqlText: String? { Timestamp.format(self) }
    /// Reads `timestamptz` output as the pool's sessions produce it (ISO style, UTC):
    /// `2026-11-30 08:21:59.123456+00`.
    public init(sqlText: String) throws {
        guard let date = SQLDecoding.parseTimestamp(sqlText) else {
            throw SQLDecoding.failure(sqlText, Date.self)
        }
        self = date
    }
}

/// `bytea`, bound and read in PostgreSQL's hex format.
public struct ByteA: SQLParameter, SQLDecodable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var sqlBinary: [UInt8]? { bytes }

    private static let digits = Array("0123456789abcdef".utf8)

    public var sqlText: String? {
        var text = [UInt8]("\\x".utf8)
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public init(sqlText: String) throws {
        let utf8 = Array(sqlText.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw SQLDecoding.failure("bytea of \(utf8.count) characters", ByteA.self)
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw SQLDecoding.failure("bytea digit", ByteA.self)
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            bytes.append(try nibble(utf8[index]) << 4 | nibble(utf8[index + 1]))
            index += 2
        }
        self.bytes = bytes
    }
}

extension Optional: SQLParameter where Wrapped: SQLParameter {
    public var sqlText: String? { self?.sqlText ?? nil }
}

enum SQLDecoding {
    static func failure(_ text: String, _ type: Any.Type) -> StoreError {
        StoreError(.decodingFailed, message: "cannot read '\(text.prefix(40))' as \(type)")
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]+00[:MM]`, the ISO output style in UTC.
    static func parseTimestamp(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(utf8[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < utf8.count, (48...57).contains(utf8[index]) {
                fraction += Double(utf8[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < utf8.count {
            let sign = utf8[index] == UInt8(ascii: "-") ? -1 : 1
            let hours = index + 3 <= utf8.count ? number(index + 1..<index + 3) ?? 0 : 0
            let minutes = index + 6 <= utf8.count ? number(index + 4..<index + 6) ?? 0 : 0
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        let days = LocalDate.days(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}

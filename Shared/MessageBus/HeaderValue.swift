import CRabbitMQ
import Foundation

/// A value in an AMQP field table: message headers and `x-` queue arguments.
public enum HeaderValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .bool(let value): String(value)
        }
    }

    public var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .string(let value): Int64(value)
        case .bool: nil
        }
    }

    public var stringValue: String { description }

    /// Reads a C field table; kinds the portal does not use (arrays such as `x-death`) are skipped.
    static func read(_ table: amqp_table_t) -> [String: HeaderValue] {
        guard table.num_entries > 0, let entries = table.entries else { return [:] }
        var result = [String: HeaderValue]()
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            let key = AMQPSession.string(entry.key)
            let value = entry.value
            switch Int(value.kind) {
            case Int(UInt8(ascii: "S")), Int(UInt8(ascii: "x")):
                result[key] = .string(AMQPSession.string(value.value.bytes))
            case Int(UInt8(ascii: "t")):
                result[key] = .bool(value.value.boolean != 0)
            case Int(UInt8(ascii: "b")): result[key] = .int(Int64(value.value.i8))
            case Int(UInt8(ascii: "B")): result[key] = .int(Int64(value.value.u8))
            case Int(UInt8(ascii: "s")): result[key] = .int(Int64(value.value.i16))
            case Int(UInt8(ascii: "u")): result[key] = .int(Int64(value.value.u16))
            case Int(UInt8(ascii: "I")): result[key] = .int(Int64(value.value.i32))
            case Int(UInt8(ascii: "i")): result[key] = .int(Int64(value.value.u32))
            case Int(UInt8(ascii: "l")): result[key] = .int(value.value.i64)
            case Int(UInt8(ascii: "L")): result[key] = .int(Int64(clamping: value.value.u64))
            default: continue
            }
        }
        return result
    }
}

/// C memory for one call: strings and tables copied in, freed when the arena goes.
/// (A Swift string's `amqp_cstring_bytes` would point at a temporary.)
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit { allocations.forEach { free($0) } }

    func bytes(_ text: String) -> amqp_bytes_t {
        var utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return amqp_empty_bytes }
        let memory = malloc(utf8.count)!
        allocations.append(memory)
        utf8.withUnsafeMutableBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return amqp_bytes_t(len: utf8.count, bytes: memory)
    }

    func table(_ values: [String: HeaderValue]) -> amqp_table_t {
        guard !values.isEmpty else { return amqp_empty_table }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: values.count)
        allocations.append(UnsafeMutableRawPointer(entries))
        for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            var field = amqp_field_value_t()
            switch value {
            case .string(let text):
                field.kind = UInt8(ascii: "S")
                field.value.bytes = bytes(text)
            case .int(let number):
                field.kind = UInt8(ascii: "l")
                field.value.i64 = number
            case .bool(let flag):
                field.kind = UInt8(ascii: "t")
                field.value.boolean = flag ? 1 : 0
            }
            entries.advanced(by: index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field))
        }
        return amqp_table_t(num_entries: Int32(values.count), entries: entries)
    }
}

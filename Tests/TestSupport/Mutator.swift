/// Byte-level mutations that keep some structure: flips, cuts, repeats, and fragments that
/// MIME and JSON readers treat specially.
public enum Mutator {
    public static let fragments: [[UInt8]] = [
        "\r\n--b1\r\n", "\r\n--b2--\r\n", "=?UTF-8?B?", "?=", "=?x?Q?=FF=FE?=", "Content-Type: multipart/mixed\r\n",
        "charset=\"viscii\"", "\u{0}", "\"", "{", "}", "[", "]", ",", ":", "null", "1e999", "\\u0000", "\\ud800",
        "<script>", "\r\n\r\n", "base64", String(repeating: "A", count: 300),
    ].map { Array($0.utf8) }

    public static func mutate(_ input: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(random.next() % 4)) {
            guard !bytes.isEmpty else { return fragments[Int(random.next() % UInt64(fragments.count))] }
            let position = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 5 {
            case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int(random.next() % 40)))
            case 2: bytes.insert(contentsOf: fragments[Int(random.next() % UInt64(fragments.count))], at: position)
            case 3:
                let end = min(bytes.count, position + Int(random.next() % 60))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default: bytes = Array(bytes[..<position])
            }
        }
        return bytes
    }
}

/// A small seeded generator, so that a failing run can be repeated exactly.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

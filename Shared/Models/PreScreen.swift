import Foundation

/// Checks that inform an editor's or approver's decision and never make it (Art. 9.5).
public enum PreScreen {
    /// Secrecy stamps (độ mật) as they appear on documents, in capitals: most severe first.
    public static let stamps = ["TUYỆT MẬT", "TỐI MẬT", "MẬT"]

    /// The stamps found in `text` as whole words. Lower-case "mật" is an ordinary word ("bí mật"), so
    /// only the capitalised stamp counts.
    public static func secrecyStamps(in text: String) -> [String] {
        // Every stamp ends in "MẬT": in any normal form, the scalar before its T is Ậ or one of
        // its two combining marks. Most texts have no such T, and skip the costly word split.
        var previous: Unicode.Scalar = " "
        var mayHaveStamp = false
        for scalar in text.unicodeScalars {
            if scalar == "T", previous == "\u{1EAC}" || previous == "\u{0302}" || previous == "\u{0323}" {
                mayHaveStamp = true
                break
            }
            previous = scalar
        }
        guard mayHaveStamp else { return [] }
        let words = text.precomposedStringWithCanonicalMapping
            .components(separatedBy: CharacterSet.letters.inverted).filter { !$0.isEmpty }
        var found = [String]()
        var index = 0
        while index < words.count {
            if index + 1 < words.count, words[index + 1] == "MẬT", ["TUYỆT", "TỐI"].contains(words[index]) {
                let stamp = "\(words[index]) MẬT"
                if !found.contains(stamp) { found.append(stamp) }
                index += 2
                continue
            }
            if words[index] == "MẬT", !found.contains("MẬT") { found.append("MẬT") }
            index += 1
        }
        return found
    }

    /// Lower case, without diacritics (đ → d), words only: "Bến Lức" and "ben luc" read the same.
    /// The definition is `foundationWords`; texts written in the scalars below U+2100 (every
    /// Vietnamese text, in either normal form) take a table of what that definition makes of each
    /// scalar, the same words at a fraction of the cost (a test compares both on every scalar).
    public static func normalisedWords(_ text: String) -> [String] {
        guard let folded = FoldedWords(text) else { return foundationWords(text) }
        return folded.ranges.map { String(decoding: folded.bytes[$0], as: UTF8.self) }
    }

    /// The words of `normalisedWords` as UTF-8 in one buffer, each a range of it: made by the table
    /// without a string per word. Nil when the text must go the Foundation way.
    struct FoldedWords {
        var bytes = [UInt8]()
        var ranges = [Range<Int>]()

        init?(_ text: String) {
            let table = ScalarFolding.table
            bytes.reserveCapacity(text.utf8.count)
            var start = 0
            // Whether a combining mark here is folded away with the character it follows: not at the
            // start of the text, nor after the few characters that keep their marks.
            var marksFold = false
            for scalar in text.unicodeScalars {
                guard Int(scalar.value) < table.count else { return nil }
                let entry = table[Int(scalar.value)]
                switch entry.folding {
                case .separator:
                    if bytes.count > start { ranges.append(start..<bytes.count) }
                    start = bytes.count
                case .dropped:
                    break
                case .mark:
                    guard marksFold else { return nil }
                    continue
                case .letters(let folded):
                    bytes.append(contentsOf: folded)
                case .irregular:
                    return nil
                }
                marksFold = entry.foldsMarksAfter
            }
            if bytes.count > start { ranges.append(start..<bytes.count) }
        }
    }

    /// What `normalisedWords` means: Foundation's lower case and diacritic folding, split at every
    /// scalar that is neither a letter, a mark nor a digit.
    public static func foundationWords(_ text: String) -> [String] {
        text.lowercased().replacingOccurrences(of: "đ", with: "d")
            .folding(options: [.diacriticInsensitive], locale: nil)
            .components(separatedBy: CharacterSet.alphanumerics.inverted).filter { !$0.isEmpty }
    }

    /// Word 3-shingles of the normalised text, hashed to 64 bits (FNV-1a of the three words joined
    /// by a space, stable across runs).
    public static func shingles(_ text: String) -> Set<UInt64> {
        guard let folded = FoldedWords(text) else { return shingles(words: foundationWords(text)) }
        let words = folded.ranges
        return folded.bytes.withUnsafeBufferPointer { bytes in
            func hash(_ range: Range<Int>, from start: UInt64) -> UInt64 {
                var hash = start
                for index in range { hash = (hash ^ UInt64(bytes[index])) &* fnvPrime }
                return hash
            }
            let space = UInt64(UInt8(ascii: " "))
            guard words.count >= 3 else {
                guard !words.isEmpty else { return [] }
                var joined = fnvOffset
                for (index, word) in words.enumerated() {
                    if index > 0 { joined = (joined ^ space) &* fnvPrime }
                    joined = hash(word, from: joined)
                }
                return [joined]
            }
            var shingles = Set<UInt64>(minimumCapacity: words.count - 2)
            for index in 0...(words.count - 3) {
                var value = hash(words[index], from: fnvOffset)
                value = (value ^ space) &* fnvPrime
                value = hash(words[index + 1], from: value)
                value = (value ^ space) &* fnvPrime
                shingles.insert(hash(words[index + 2], from: value))
            }
            return shingles
        }
    }

    /// The shingles of words already split: the definition that `shingles` follows over its buffer.
    static func shingles(words: [String]) -> Set<UInt64> {
        guard words.count >= 3 else { return words.isEmpty ? [] : [fnv(words.joined(separator: " "))] }
        var shingles = Set<UInt64>(minimumCapacity: words.count - 2)
        for index in 0...(words.count - 3) {
            var hash = fnvOffset
            hash = fnv(words[index], from: hash)
            hash = fnv(" ", from: hash)
            hash = fnv(words[index + 1], from: hash)
            hash = fnv(" ", from: hash)
            shingles.insert(fnv(words[index + 2], from: hash))
        }
        return shingles
    }

    /// Jaccard similarity of two shingle sets, 0...1.
    public static func similarity(_ a: Set<UInt64>, _ b: Set<UInt64>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }

    /// The near-duplicate threshold: a published item whose shingles overlap this much is shown.
    public static let duplicateThreshold = 0.5

    /// Locality-sensitive bands of the MinHash signature: 64 bands of 3 minimum hashes each.
    /// Two texts of Jaccard similarity `s` share at least one band with probability
    /// 1 − (1 − s³)⁶⁴: 0.9998 at the threshold 0.5, 0.06 at 0.1 and 0.008 at 0.05. So an index on
    /// the bands finds the few candidates, and `similarity` on their texts decides, as before.
    public static let bandCount = 64
    public static let rowsPerBand = 3

    /// The keys of `shingles`' bands, one per band, each mixed with its band's number so that equal
    /// minimums in different bands do not meet. Empty text has none: it resembles nothing.
    public static func bands(_ shingles: Set<UInt64>) -> [Int64] {
        guard !shingles.isEmpty else { return [] }
        let functions = bandCount * rowsPerBand
        var minimums = [UInt64](repeating: .max, count: functions)
        for shingle in shingles {
            // Each function is the mixed shingle XORed with its own seed, mixed again: adding the
            // seed to the raw FNV hash instead made the functions agree on texts sharing only a
            // phrase, one pair in eight sharing a band where one in thirty thousand should.
            let mixed = mix(shingle)
            for function in 0..<functions {
                let value = mix(mixed ^ seeds[function])
                if value < minimums[function] { minimums[function] = value }
            }
        }
        return (0..<bandCount).map { band in
            var key = mix(UInt64(band) &+ 0x5851_f42d_4c95_7f2d)
            for row in 0..<rowsPerBand { key = mix(key ^ minimums[band * rowsPerBand + row]) }
            return Int64(bitPattern: key)
        }
    }

    static let seeds: [UInt64] = (0..<bandCount * rowsPerBand).map { mix(UInt64($0 + 1) &* 0x9e37_79b9_7f4a_7c15) }

    /// SplitMix64's finaliser: every input bit moves about half the output bits.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    static func fnv(_ text: String, from start: UInt64 = fnvOffset) -> UInt64 {
        var hash = start
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= fnvPrime
        }
        return hash
    }
}

/// What `PreScreen.foundationWords` makes of each scalar below U+2100 (Latin, Vietnamese, the
/// general punctuation), worked out once by asking Foundation: a separator between words, nothing,
/// a combining mark (folded away with the character it follows), or the folded letters it
/// becomes; and whether the combining marks after it are folded away. A scalar that fits none of
/// these is `irregular`, and a text holding it goes the Foundation way.
struct ScalarFolding {
    enum Folding {
        case separator
        case dropped
        case mark
        /// The folded letters, as UTF-8.
        case letters([UInt8])
        case irregular
    }

    let folding: Folding
    let foldsMarksAfter: Bool

    static let table: [ScalarFolding] = (0..<0x2100).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return ScalarFolding(folding: .irregular, foldsMarksAfter: false) }
        let text = String(scalar)
        let alone = PreScreen.foundationWords(text)
        // Between letters, a separator splits the word in two; what is folded away leaves one word.
        let between = PreScreen.foundationWords("a" + text + "b")
        let folding: Folding
        switch alone.count {
        case 0 where between == ["a", "b"]:
            folding = .separator
        case 0 where between == ["ab"]:
            folding = .dropped
        case 1 where between == ["a" + alone[0] + "b"]:
            folding = .letters(Array(alone[0].utf8))
        case 1 where between == ["ab"]:
            folding = .mark
        default:
            folding = .irregular
        }
        let foldsMarksAfter = PreScreen.foundationWords("a" + text + "\u{0301}\u{0323}b") == between
        return ScalarFolding(folding: folding, foldsMarksAfter: foldsMarksAfter)
    }
}

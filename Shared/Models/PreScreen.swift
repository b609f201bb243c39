import Foundation

/// Checks that inform an editor's or approver's decision and never make it (Art. 9.5).
public enum PreScreen {
    /// Secrecy stamps (độ mật) as they appear on documents, in capitals: most severe first.
    public static let stamps = ["TUYỆT MẬT", "TỐI MẬT", "MẬT"]

    /// The stamps found in `text` as whole words. Lower-case "mật" is an ordinary word ("bí mật"), so
    /// only the capitalised stamp counts.
    public static func secrecyStamps(in text: String) -> [String] {
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
    public static func normalisedWords(_ text: String) -> [String] {
        text.lowercased().replacingOccurrences(of: "đ", with: "d")
            .folding(options: [.diacriticInsensitive], locale: nil)
            .components(separatedBy: CharacterSet.alphanumerics.inverted).filter { !$0.isEmpty }
    }

    /// Word 3-shingles of the normalised text, hashed to 64 bits (FNV-1a, stable across runs).
    public static func shingles(_ text: String) -> Set<UInt64> {
        let words = normalisedWords(text)
        guard words.count >= 3 else { return words.isEmpty ? [] : [fnv(words.joined(separator: " "))] }
        return Set((0...(words.count - 3)).map { fnv(words[$0..<($0 + 3)].joined(separator: " ")) })
    }

    /// Jaccard similarity of two shingle sets, 0...1.
    public static func similarity(_ a: Set<UInt64>, _ b: Set<UInt64>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }

    static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}

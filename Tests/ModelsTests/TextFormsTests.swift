import Foundation
import Testing

@testable import Models

/// `String.composed` and `String.trimmed` return the text unchanged only where Foundation would
/// leave it as it is.
@Suite("Composed and trimmed text without Foundation's pass when there is nothing to change")
struct TextFormsTests {
    static let kept: [UInt32] = Array(0x20..<0x300) + Array(0x1E00...0x1EFF) + Array(0x2010...0x2027) + Array(0x2030...0x205E)
    /// Letters a scalar could compose with, were it a combining mark or a Hangul vowel.
    static let bases = ["a", "A", "e", "o", "u", "ơ", "ư", "ạ", "Ậ", "ᄀ", "가"]

    @Test("Every scalar taken as already composed is left as it is by Foundation, alone and after any base letter")
    func everyKeptScalarIsStable() {
        for value in Self.kept {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(String.staysComposed(value))
            let alone = String(scalar)
            #expect(alone.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(alone.unicodeScalars), "U+\(String(value, radix: 16))")
            for base in Self.bases {
                let pair = base + alone
                #expect(pair.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(pair.unicodeScalars),
                        "U+\(String(value, radix: 16)) after \(base)")
            }
        }
    }

    @Test("Random texts, composed or decomposed Vietnamese, marks and quads included, give Foundation's scalars exactly")
    func randomTextsMatchFoundation() {
        var generator = SystemRandomNumberGenerator()
        let extra: [UInt32] = [0x300, 0x301, 0x302, 0x303, 0x309, 0x323, 0x2000, 0x2001, 0x212B, 0x1161, 0x1100, 0x340, 0xFB1D, 0x1F71]
        let pool = Self.kept + extra
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...12, using: &generator)
            let text = String(String.UnicodeScalarView((0..<length).compactMap { _ in Unicode.Scalar(pool.randomElement(using: &generator)!) }))
            for sample in [text, text.decomposedStringWithCanonicalMapping] {
                #expect(sample.composed.unicodeScalars.elementsEqual(sample.precomposedStringWithCanonicalMapping.unicodeScalars),
                        "\(sample.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
        let vietnamese = "Thông báo kết quả tuyển dụng viên chức năm 2026 — “Sở Nội vụ” …"
        #expect(vietnamese.composed == vietnamese)
        #expect(vietnamese.decomposedStringWithCanonicalMapping.composed.unicodeScalars.elementsEqual(vietnamese.unicodeScalars))
    }

    @Test("Trimmed as Foundation trims, for texts with and without spaces, line breaks and Unicode's other spaces at either end")
    func trimmedMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        let ends = ["", " ", "\n", "\t", "\r\n", "\u{00A0}", "\u{2003}", "\u{3000}", "\u{2028}", "\u{0085}", "\u{200B}", "x", "ệ"]
        let middles = ["", "a", "Thông báo", "a b", " ", "\u{00A0}x\u{00A0}"]
        for _ in 0..<2_000 {
            let text = ends.randomElement(using: &generator)! + ends.randomElement(using: &generator)! + middles.randomElement(using: &generator)!
                + ends.randomElement(using: &generator)! + ends.randomElement(using: &generator)!
            #expect(text.trimmed == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        #expect("  Tin ngắn\n".trimmed == "Tin ngắn")
    }
}

import Foundation
@testable import Models
import Testing

/// The pre-screen's words come from a table of what Foundation's folding makes of each scalar;
/// they must be Foundation's words exactly, or the bands stored for the archive would stop
/// matching the bands of new items.
@Suite("Pre-screen words")
struct PreScreenFoldingTests {
    @Test("Every scalar below U+2100, alone, opening a word, between letters, doubled, after a space or a dash, gives Foundation's words")
    func everyScalar() {
        var differing = [String]()
        for value in 0..<0x2100 {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            let s = String(scalar)
            for text in [s, s + "a", "x" + s + "y", s + s, "Ab " + s + "cD", "-" + s + "b", s + "\u{0301}", "E" + s + "\u{0323}\u{0302}"] {
                if PreScreen.normalisedWords(text) != PreScreen.foundationWords(text) {
                    differing.append(String(format: "U+%04X in %@", value, text.debugDescription))
                }
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(20))")
    }

    @Test("Vietnamese texts in both normal forms, with punctuation, numbers and capitals, give Foundation's words")
    func vietnameseTexts() {
        let samples = [
            "Ủy ban nhân dân tỉnh Long An thông báo: ĐƯỜNG Võ Văn Tần (Tân An) tạm ngưng lưu thông từ 01/12/2026.",
            "Khánh thành cầu Bến Lức mới bắc qua sông Vàm Cỏ Đông – vốn 1.250 tỷ đồng; “an toàn” là trên hết!",
            "TUYỆT MẬT. Tài liệu số 12/QĐ-UBND, ngày 3 tháng 12 năm 2026 — Quyết định về việc …",
            "Ngày hội Đại đoàn kết toàn dân tộc ở ấp Phước Lợi, xã Phước Vĩnh Tây (huyện Cần Giuộc).",
        ]
        var generator = SystemRandomNumberGenerator()
        var texts = samples + samples.map(\.decomposedStringWithCanonicalMapping)
        // Random strings of scalars the table holds, marks and separators among them.
        let pool = Array(samples.joined().unicodeScalars) + (0x300..<0x370).compactMap(Unicode.Scalar.init)
            + [" ", "\n", "-", "'", "İ", "Σ", "ß", "Ǆ", "ǅ", "ﬁ", "½", "²", "µ", "ſ"].compactMap(\.unicodeScalars.first)
        for _ in 0..<2_000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...40, using: &generator) { text.append(pool.randomElement(using: &generator)!) }
            texts.append(String(text))
        }
        let differing = texts.filter { PreScreen.normalisedWords($0) != PreScreen.foundationWords($0) }
        #expect(differing.isEmpty, "\(differing.prefix(5).map(\.debugDescription))")
        // The shingles hashed over the table's buffer are those of Foundation's words, so the stored
        // bands keep matching; texts of one or two words are hashed whole.
        let shingled = texts + ["Bến", "Bến Lức", "  Long   An  ", ""]
        let otherShingles = shingled.filter { PreScreen.shingles($0) != PreScreen.shingles(words: PreScreen.foundationWords($0)) }
        #expect(otherShingles.isEmpty, "\(otherShingles.prefix(5).map(\.debugDescription))")
        #expect(PreScreen.normalisedWords(samples[0]).prefix(4) == ["uy", "ban", "nhan", "dan"])
        // The table, not Foundation, reads Vietnamese in either normal form.
        let irregular = (samples + samples.map(\.decomposedStringWithCanonicalMapping)).flatMap(\.unicodeScalars).filter {
            guard Int($0.value) < ScalarFolding.table.count else { return true }
            if case .irregular = ScalarFolding.table[Int($0.value)].folding { return true }
            return false
        }
        #expect(irregular.isEmpty, "\(irregular.map { String(format: "U+%04X", $0.value) })")
    }

    @Test("A text with scalars beyond the table (CJK, emoji) is split by Foundation itself")
    func beyondTheTable() {
        for text in ["Tin 中文 và tiếng Việt", "Lễ hội 🎉 Long An", "𝐀𝐁𝐂 chữ toán học"] {
            #expect(PreScreen.normalisedWords(text) == PreScreen.foundationWords(text))
        }
    }
}

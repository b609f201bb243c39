import Models
import Testing

/// Numbers as people here read them: 1.505.350 ₫, 8,5, no trailing zeros.
@Suite("Vietnamese numbers")
struct VietnameseNumberTests {
    @Test func amountsAndGroups() {
        #expect(VietnameseNumber.vnd(1_505_350) == "1.505.350 ₫")
        #expect(VietnameseNumber.vnd(-2_340_000) == "−2.340.000 ₫")
        #expect(VietnameseNumber.grouped(999) == "999")
        #expect(VietnameseNumber.grouped(0) == "0")
    }

    @Test func decimals() {
        #expect(VietnameseNumber.hundredths(850) == "8,5")
        #expect(VietnameseNumber.hundredths(800) == "8")
        #expect(VietnameseNumber.hundredths(1_625) == "16,25")
        #expect(VietnameseNumber.decimal(2.5, fractionDigits: 1) == "2,5")
        #expect(VietnameseNumber.decimal(1_505.35, fractionDigits: 0) == "1.505")
        #expect(VietnameseNumber.decimal(-0.25, fractionDigits: 2) == "−0,25")
        #expect(VietnameseNumber.decimal(.nan, fractionDigits: 1) == "—")
    }

    @Test func fileSizes() {
        #expect(VietnameseNumber.fileSize(1_048_576) == "1 MB")
        #expect(VietnameseNumber.fileSize(1_572_864) == "1,5 MB")
        #expect(VietnameseNumber.fileSize(350_000) == "342 KB")
        #expect(VietnameseNumber.fileSize(10) == "1 KB")
    }
}

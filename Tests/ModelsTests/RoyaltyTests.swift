import Models
import Testing

@Suite("Royalty arithmetic")
struct RoyaltyTests {
    // one coefficient unit is 10% of the base salary in force that day.
    @Test func unitValueFollowsTheDatedBaseSalary() throws {
        let salary = DatedAmounts([
            .init(from: LocalDate(iso: "2024-07-01")!, to: LocalDate(iso: "2026-06-30")!, amount: 2_340_000),
            .init(from: LocalDate(iso: "2026-07-01")!, to: nil, amount: 2_530_000),
        ])
        #expect(salary.amount(on: LocalDate(iso: "2026-06-30")!) == 2_340_000)
        #expect(salary.amount(on: LocalDate(iso: "2026-07-01")!) == 2_530_000)
        #expect(salary.amount(on: LocalDate(iso: "2024-06-30")!) == nil)
        #expect(Royalty.unitValue(baseSalaryVND: 2_340_000) == 234_000)
        #expect(Royalty.unitValue(baseSalaryVND: 2_530_000) == 253_000)
    }

    // coefficient × unit value, in whole VND.
    @Test func amountIsCoefficientTimesUnit() {
        #expect(Royalty.amount(coefficientHundredths: 1_000, baseSalaryVND: 2_340_000) == 2_340_000)
        #expect(Royalty.amount(coefficientHundredths: 750, baseSalaryVND: 2_530_000) == 1_897_500)
    }

    // co-authors share one royalty; rounding happens once, half up.
    @Test func sharesAndRounding() {
        // 3.33 × 234,000 = 779,220 exactly; 1.01 × 253,000 × 33% = 84,324.9 → 84,325.
        #expect(Royalty.amount(coefficientHundredths: 333, baseSalaryVND: 2_340_000, sharePercent: 100) == 779_220)
        #expect(Royalty.amount(coefficientHundredths: 101, baseSalaryVND: 2_530_000, sharePercent: 33) == 84_325)
        #expect(Royalty.sharesAreValid([50, 30, 20]))
        #expect(!Royalty.sharesAreValid([60, 50]))
        #expect(!Royalty.sharesAreValid([100, 0]))
    }

    // translation pays a share of the original; other surcharges add to it.
    @Test func surchargesApplyExactly() {
        let base = Royalty.amount(coefficientHundredths: 1_000, baseSalaryVND: 2_530_000)
        #expect(Royalty.amount(coefficientHundredths: 1_000, baseSalaryVND: 2_530_000, adjustments: [.percentOfOriginal(50)]) == base / 2)
        #expect(Royalty.amount(coefficientHundredths: 1_000, baseSalaryVND: 2_530_000, adjustments: [.plusPercent(20)]) == 3_036_000)
        #expect(Royalty.amount(
            coefficientHundredths: 1_000, baseSalaryVND: 2_530_000, adjustments: [.percentOfOriginal(65), .plusPercent(15)], sharePercent: 50)
            == 945_588)  // 2,530,000 × 0.65 × 1.15 × 0.5 = 945,587.5 → 945,588
    }

    // the genre's maximum caps the coefficient.
    @Test func coefficientWithinGenreMaximum() {
        #expect(Royalty.isWithinMaximum(coefficientHundredths: 1_000, maximumHundredths: 1_000))
        #expect(!Royalty.isWithinMaximum(coefficientHundredths: 1_001, maximumHundredths: 1_000))
        #expect(!Royalty.isWithinMaximum(coefficientHundredths: 0, maximumHundredths: 5_000))
    }
}

import Foundation
import Models
import Testing

@Suite("Royalty lines and the month-end report (R-4)")
struct RoyaltyLedgerTests {
    let rates = [
        "translation": SurchargeRate(code: "translation", minPercent: 40, maxPercent: 65),
        "children_or_ethnic_minority": SurchargeRate(code: "children_or_ethnic_minority", minPercent: 10, maxPercent: 20),
    ]

    @Test("R-4.1, R-4.2: coefficient × 10% of the base salary in force")
    func single() throws {
        let lines = try RoyaltyLedger.lines(
            Classification(genre: "news", coefficientHundredths: 850, authors: [AuthorShare(name: "A")]), baseSalaryVND: 2_530_000, rates: rates)
        #expect(lines.map(\.amountVND) == [2_150_500])
    }

    @Test("R-4.6: shares given, and equal shares of what is left, add up to the whole royalty within a đồng")
    func shares() throws {
        let given = try RoyaltyLedger.lines(
            Classification(coefficientHundredths: 1000, authors: [AuthorShare(name: "A", share: 60), AuthorShare(name: "B", share: 40)]),
            baseSalaryVND: 2_530_000, rates: rates)
        #expect(given.map(\.amountVND) == [1_518_000, 1_012_000])
        let equal = try RoyaltyLedger.lines(
            Classification(coefficientHundredths: 1000, authors: [AuthorShare(name: "A"), AuthorShare(name: "B"), AuthorShare(name: "C")]),
            baseSalaryVND: 2_530_000, rates: rates)
        #expect(equal.map(\.shareBasisPoints) == [3334, 3333, 3333])
        #expect(abs(equal.map(\.amountVND).reduce(0, +) - 2_530_000) <= 1)
        #expect(throws: RoyaltyLedger.Problem.sharesAbove100) {
            try RoyaltyLedger.lines(Classification(coefficientHundredths: 100, authors: [AuthorShare(name: "A", share: 70), AuthorShare(name: "B", share: 40)]),
                                    baseSalaryVND: 2_530_000, rates: rates)
        }
    }

    @Test("R-4.4: a translation is paid a percentage of the original; other surcharges add; a rate outside its range is refused")
    func surcharges() throws {
        func amount(_ surcharges: [String]) throws -> Int64 {
            try RoyaltyLedger.lines(Classification(coefficientHundredths: 1000, surcharges: surcharges, authors: [AuthorShare(name: "A")]),
                                    baseSalaryVND: 2_340_000, rates: rates)[0].amountVND
        }
        #expect(try amount(["translation:50"]) == 1_170_000)
        #expect(try amount(["translation"]) == 936_000, "the lowest rate of the range when none is given")
        #expect(try amount(["children_or_ethnic_minority:20"]) == 2_808_000)
        #expect(throws: RoyaltyLedger.Problem.unknownSurcharge("translation:90")) { try amount(["translation:90"]) }
    }

    @Test("R-4.8: a month's report is due on its last day from the configured hour; earlier months without one are caught up")
    func monthEnd() {
        let calendar = PortalCalendar.gregorian
        let lastDayMorning = calendar.date(from: DateComponents(year: 2026, month: 11, day: 30, hour: 7, minute: 59))!
        let lastDayEight = calendar.date(from: DateComponents(year: 2026, month: 11, day: 30, hour: 8))!
        let july = YearMonth(year: 2026, month: 7)!
        #expect(YearMonth.reportsDue(now: lastDayMorning, hour: 8, earliest: nil, existing: []).isEmpty)
        #expect(YearMonth.reportsDue(now: lastDayEight, hour: 8, earliest: nil, existing: []) == [YearMonth(year: 2026, month: 11)!])
        let caughtUp = YearMonth.reportsDue(now: lastDayMorning, hour: 8, earliest: july, existing: [YearMonth(year: 2026, month: 9)!])
        #expect(caughtUp.map(\.description) == ["2026-07", "2026-08", "2026-10"])
        #expect(YearMonth("2026-13") == nil && YearMonth("2026-1") == nil && YearMonth("26-01") == nil)
        #expect(YearMonth(year: 2026, month: 2)!.lastDay.description == "2026-02-28")
        #expect(YearMonth(year: 2026, month: 12)!.next.description == "2027-01")
    }

    /// The first and last months a user may type have neighbours: `/finance?month=1900-01`
    /// once trapped on a force-unwrap of the month before.
    @Test func theEdgeMonthsHaveNeighbours() throws {
        let first = try #require(YearMonth("1900-01"))
        #expect(first.previous.description == "1899-12")
        #expect(first.previous.lastDay.description == "1899-12-31")
        let last = try #require(YearMonth("9999-12"))
        #expect(last.next.firstDay.description == "10000-01-01")
        #expect(last.lastDay.description == "9999-12-31")
        #expect(YearMonth("1899-12") == nil && YearMonth("2026-13") == nil)
    }
}

import Models
import Testing

@Suite("Dates and working days")
struct WorkingCalendarTests {
    func date(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    @Test func readsAndWritesDates() throws {
        #expect(date("2026-11-30").description == "2026-11-30")
        #expect(date("2024-02-29").isoWeekday == 4)
        #expect(date("2026-11-30").isoWeekday == 1)
        #expect(date("1970-01-01").daysSinceEpoch == 0)
        #expect(LocalDate(iso: "2026-02-29") == nil)
        #expect(LocalDate(iso: "2026-13-01") == nil)
        #expect(LocalDate(iso: "26-1-1") == nil)
        // Year 0000 would be written back as "0-01-01", which PostgreSQL refuses: an item dated so
        // could be received and approved, then never published. Signs and spaces are not digits.
        #expect(LocalDate(iso: "0000-01-01") == nil)
        #expect(LocalDate(iso: "0999-12-31") == nil)
        #expect(LocalDate(iso: "+202-01-01") == nil)
        #expect(LocalDate(iso: "2026-+1-01") == nil)
        #expect(date("1000-01-01").description == "1000-01-01")
        #expect(date("9999-12-31").description == "9999-12-31")
    }

    // weekends and public holidays are skipped; a make-up working day on a weekend counts.
    @Test func skipsWeekendsAndHolidaysAndHonoursMakeupDays() {
        let calendar = WorkingCalendar(
            holidays: [date("2026-01-01"), date("2026-01-02")], makeupWorkdays: [date("2026-01-10")])
        #expect(!calendar.isWorkingDay(date("2026-01-01")))
        #expect(!calendar.isWorkingDay(date("2026-01-03")))  // Saturday
        #expect(calendar.isWorkingDay(date("2026-01-10")))  // Saturday, worked in exchange
        #expect(calendar.isWorkingDay(date("2026-01-05")))
    }

    // 15 working days from a question received on Wednesday 31 Dec 2025, across New Year.
    @Test func deadlinesCountWorkingDaysOnly() {
        let calendar = WorkingCalendar(holidays: [date("2026-01-01"), date("2026-01-02")], makeupWorkdays: [date("2026-01-10")])
        let due = calendar.adding(workingDays: 15, to: date("2025-12-31"))
        // Jan 5-9 (5), Jan 10 make-up (6), Jan 12-16 (11), Jan 19-22 (15).
        #expect(due == date("2026-01-22"))
        #expect(calendar.workingDays(after: date("2025-12-31"), through: due) == 15)
        #expect(calendar.workingDays(after: due, through: date("2025-12-31")) == 0)
    }

    // five working days to forward a misrouted question, over Tết 2026 (14-22 Feb off):
    // Fri 13 Feb is the first, then Mon 23 to Thu 26.
    @Test func forwardingOverTet() {
        let tet = Set((14...22).map { date("2026-02-\($0)") })
        let calendar = WorkingCalendar(holidays: tet)
        #expect(calendar.adding(workingDays: 5, to: date("2026-02-12")) == date("2026-02-26"))
    }
}

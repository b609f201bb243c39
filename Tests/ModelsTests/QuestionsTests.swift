import Foundation
import Models
import Testing

@Suite("Citizens' questions: deadlines, fields, codes")
struct QuestionsTests {
    func date(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    /// The calendar of the reference data itself, `seeds/holidays.csv`.
    static func seededCalendar() throws -> WorkingCalendar {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("seeds/holidays.csv")
        var holidays = Set<LocalDate>(), makeup = Set<LocalDate>()
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst() {
            let columns = line.split(separator: ",", maxSplits: 2)
            guard columns.count >= 2, let day = LocalDate(iso: String(columns[0])) else { continue }
            if columns[1] == "makeup_workday" { makeup.insert(day) } else { holidays.insert(day) }
        }
        return WorkingCalendar(holidays: holidays, makeupWorkdays: makeup)
    }

    // 15 working days on the seeded calendar. Received Thursday 8 January 2026, the
    // make-up Saturday of 10 January counts: due Wednesday 28 January (29 without it).
    @Test func dueDateCountsTheMakeupWorkingDay() throws {
        let clock = QuestionClock(calendar: try Self.seededCalendar())
        #expect(clock.dueDate(receivedOn: date("2026-01-08"), workingDays: 15) == date("2026-01-28"))
        let withoutMakeup = QuestionClock(calendar: WorkingCalendar(holidays: try Self.seededCalendar().holidays))
        #expect(withoutMakeup.dueDate(receivedOn: date("2026-01-08"), workingDays: 15) == date("2026-01-29"))
    }

    // received Thursday 12 February 2026, just before Tết Bính Ngọ (14-22 February): due 12 March.
    @Test func dueDateSkipsTet() throws {
        let clock = QuestionClock(calendar: try Self.seededCalendar())
        #expect(clock.dueDate(receivedOn: date("2026-02-12"), workingDays: 15) == date("2026-03-12"))
    }

    // the clock pauses while the citizen is asked to clarify.
    @Test func aPauseMovesTheDueDateByItsWorkingDays() throws {
        let clock = QuestionClock(calendar: try Self.seededCalendar())
        // Paused Friday 6 March, resumed Tuesday 10 March: two working days (9 and 10 March).
        #expect(clock.resumed(dueOn: date("2026-03-12"), pausedOn: date("2026-03-06"), resumedOn: date("2026-03-10")) == date("2026-03-16"))
    }

    // a unit sends back what is not its own within 5 working days of receiving it.
    @Test func forwardingWindowIsFiveWorkingDays() throws {
        let clock = QuestionClock(calendar: try Self.seededCalendar())
        // Routed Thursday 12 February: 13 February, then 23 to 26 February after Tết, are its five days.
        #expect(clock.mayForward(routedOn: date("2026-02-12"), today: date("2026-02-26")))
        #expect(!clock.mayForward(routedOn: date("2026-02-12"), today: date("2026-02-27")))
        #expect(!clock.mayForward(routedOn: date("2026-02-12"), today: date("2026-03-02")))
        #expect(clock.workingDaysLeft(dueOn: date("2026-03-12"), today: date("2026-03-16")) == -2)
    }

    @Test func suggestsTheFieldFromKeywordsWithOrWithoutDiacritics() {
        let suggester = FieldSuggester([
            .init(fieldCode: "industry_trade", keyword: "chợ"),
            .init(fieldCode: "justice_civil_status", keyword: "khai sinh"),
            .init(fieldCode: "justice_civil_status", keyword: "hộ tịch"),
            .init(fieldCode: "land_environment", keyword: "sổ đỏ"),
        ])
        let plain = suggester.suggest("Toi muon dang ky khai sinh cho con o xa khac")
        #expect(plain == .init(fieldCode: "justice_civil_status", matched: ["khai sinh"]))
        #expect(suggester.suggest("Xin hỏi thủ tục cấp SỔ ĐỎ")?.fieldCode == "land_environment")
        #expect(suggester.suggest("Đăng ký hộ tịch cho con")?.matched == ["hộ tịch"])
        // Written with its diacritics, "chờ" is not "chợ".
        #expect(suggester.suggest("Tôi chờ đã lâu") == nil)
        #expect(suggester.suggest("Quy hoạch chợ Bến Lức")?.fieldCode == "industry_trade")
        #expect(suggester.suggest("") == nil)
    }

    @Test func trackingCodesAreLongRandomAndReadBack() {
        let codes = Set((0..<1_000).map { _ in TrackingCode.make() })
        #expect(codes.count == 1_000)
        let code = codes.first!
        #expect(code.count >= 16)
        #expect(TrackingCode.normalized(TrackingCode.grouped(code).lowercased()) == code)
        #expect(TrackingCode.normalized("ABCDE") == nil)
        #expect(TrackingCode.normalized(String(repeating: "0", count: 20)) == nil, "0 is not in the alphabet")
    }

    @Test func findsTheArticlesOfADraft() {
        let articles = DraftArticles.list("QUYẾT ĐỊNH\nĐiều 1. Phạm vi điều chỉnh\nNội dung\nĐiều 2: Đối tượng áp dụng\ndieu 3. Hieu luc\nĐiều 2. lặp")
        #expect(articles.map(\.number) == [1, 2, 3])
        #expect(articles.first?.title == "Phạm vi điều chỉnh")
    }

    @Test func invisibleTextIsBlank() {
        #expect(VisibleText.isBlank(""))
        #expect(VisibleText.isBlank(" \u{200B}\u{200D}\u{2060}\u{202E}\u{FEFF}\t\n"))
        #expect(VisibleText.isBlank("\u{0301}"), "a combining mark alone shows nothing")
        #expect(!VisibleText.isBlank("\u{200B}Đ"))
        #expect(!VisibleText.isBlank("?"))
    }
}

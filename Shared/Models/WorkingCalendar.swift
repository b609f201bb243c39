/// Working days on the Vietnamese calendar: Monday to Friday, less public holidays
/// (Tết by the lunar calendar, given as dates in reference data), plus make-up working days
/// that fall on a weekend. Deadlines for answers and forwarding count these.
public struct WorkingCalendar: Sendable {
    public let holidays: Set<LocalDate>
    public let makeupWorkdays: Set<LocalDate>

    public init(holidays: Set<LocalDate>, makeupWorkdays: Set<LocalDate> = []) {
        self.holidays = holidays
        self.makeupWorkdays = makeupWorkdays
    }

    public func isWorkingDay(_ date: LocalDate) -> Bool {
        if makeupWorkdays.contains(date) { return true }
        if holidays.contains(date) { return false }
        return date.isoWeekday <= 5
    }

    /// The day on which `count` working days after `start` have passed: the deadline for
    /// something received on `start` (the day of receipt itself does not count).
    public func adding(workingDays count: Int, to start: LocalDate) -> LocalDate {
        precondition(count >= 0, "a deadline counts forward")
        var date = start
        var remaining = count
        while remaining > 0 {
            date = date.adding(days: 1)
            if isWorkingDay(date) { remaining -= 1 }
        }
        return date
    }

    /// Working days after `start` up to and including `end` (0 when `end` is not later).
    public func workingDays(after start: LocalDate, through end: LocalDate) -> Int {
        guard end > start else { return 0 }
        return (1...(end.daysSinceEpoch - start.daysSinceEpoch))
            .filter { isWorkingDay(start.adding(days: $0)) }.count
    }
}

import Foundation

/// ISO 8601 timestamps with milliseconds in UTC, the one textual form of an instant
/// in messages, logs and APIs. Local dates for people are Asia/Ho_Chi_Minh (see `PortalCalendar`).
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) {
            return date
        }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

/// The province's calendar: every date a person sees is a date in Asia/Ho_Chi_Minh.
public enum PortalCalendar {
    public static let timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    /// "30/11/2026 18:05": how people in the province read a moment (Asia/Ho_Chi_Minh).
    public static func dateTime(_ date: Date) -> String {
        let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%02d/%02d/%04d %02d:%02d", parts.day ?? 0, parts.month ?? 0, parts.year ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// "30/11/2026".
    public static func date(_ date: Date) -> String {
        LocalDate.of(date).vietnamese
    }

    /// Reads what an HTML `datetime-local` field sends, "2026-12-01T08:30" (seconds optional), as
    /// a moment in Asia/Ho_Chi_Minh.
    public static func moment(localDateTime text: String) -> Date? {
        let halves = text.split(separator: "T", omittingEmptySubsequences: false)
        guard halves.count == 2, let day = LocalDate(iso: String(halves[0])) else { return nil }
        let clock = halves[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(clock.count), clock.allSatisfy({ $0 != nil }), let hour = clock[0], let minute = clock[1],
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        let second = clock.count == 3 ? clock[2] ?? 0 : 0
        guard (0...59).contains(second) else { return nil }
        let components = DateComponents(year: day.year, month: day.month, day: day.day, hour: hour, minute: minute, second: second)
        return gregorian.date(from: components)
    }

    /// The value a `datetime-local` field shows for a moment: "2026-12-01T08:30".
    public static func localDateTime(_ date: Date) -> String {
        let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    public static var gregorian: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

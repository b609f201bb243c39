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

    public static var gregorian: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

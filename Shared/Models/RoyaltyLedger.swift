import Foundation

/// A calendar month, as the royalty reports count them ("2026-11").
public struct YearMonth: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...12).contains(month), (1900...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
    }

    /// Reads `YYYY-MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        self.init(year: year, month: month)
    }

    /// A month computed from another (the next, the previous, a day's): only the month is
    /// checked, so that the first and last months a user may type still have neighbours.
    private init(computedYear year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public static func of(_ day: LocalDate) -> YearMonth { YearMonth(computedYear: day.year, month: day.month) }

    public var firstDay: LocalDate { LocalDate.firstOfMonth(year: year, month: month) }
    public var lastDay: LocalDate { next.firstDay.adding(days: -1) }
    public var next: YearMonth { month == 12 ? YearMonth(computedYear: year + 1, month: 1) : YearMonth(computedYear: year, month: month + 1) }
    public var previous: YearMonth { month == 1 ? YearMonth(computedYear: year - 1, month: 12) : YearMonth(computedYear: year, month: month - 1) }
    public var description: String { String(format: "%04d-%02d", year, month) }
    /// "11/2026", as months are written in Vietnamese.
    public var vietnamese: String { String(format: "%02d/%04d", month, year) }

    /// The months whose royalty report is due at `now`: every month before the current one,
    /// from `earliest` on, that has no report (catching up after downtime), and the current month
    /// on its last day from `hour` o'clock, Asia/Ho_Chi_Minh.
    public static func reportsDue(now: Date, hour: Int, earliest: YearMonth?, existing: Set<YearMonth>) -> [YearMonth] {
        let today = LocalDate.of(now)
        let current = YearMonth.of(today)
        var months = [YearMonth]()
        if var month = earliest {
            while month < current {
                if !existing.contains(month) { months.append(month) }
                month = month.next
            }
        }
        let localHour = PortalCalendar.gregorian.component(.hour, from: now)
        if today == current.lastDay, localHour >= hour, !existing.contains(current) { months.append(current) }
        return months
    }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = YearMonth(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM month: \(text)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A surcharge of as the dated reference data gives it.
public struct SurchargeRate: Sendable, Equatable {
    public var code: String
    public var minPercent: Int
    public var maxPercent: Int

    public init(code: String, minPercent: Int, maxPercent: Int) {
        self.code = code
        self.minPercent = minPercent
        self.maxPercent = maxPercent
    }

    /// A translation is paid a percentage of the original; the others add to it.
    public func adjustment(percent: Int) -> Royalty.Adjustment {
        code == "translation" ? .percentOfOriginal(percent) : .plusPercent(percent)
    }
}

/// The royalty of one published item, author by author.
public enum RoyaltyLedger {
    /// A surcharge as the classification carries it: `code` (the lowest rate of its range) or
    /// `code:percent`, e.g. `translation:50`.
    public static func surcharge(_ text: String, rates: [String: SurchargeRate]) -> (rate: SurchargeRate, percent: Int)? {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let code = parts.first, let rate = rates[code] else { return nil }
        guard parts.count == 2 else { return (rate, rate.minPercent) }
        guard let percent = Int(parts[1]), (rate.minPercent...rate.maxPercent).contains(percent) else { return nil }
        return (rate, percent)
    }

    public struct Line: Sendable, Equatable {
        public var authorName: String
        public var authorUserId: UUID?
        /// The author's share in hundredths of a percent (10000 = the whole royalty).
        public var shareBasisPoints: Int
        public var amountVND: Int64
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case noCoefficient, noAuthors, unknownSurcharge(String), sharesAbove100

        public var description: String {
            switch self {
            case .noCoefficient: "the item has no royalty coefficient"
            case .noAuthors: "the item names no author"
            case .unknownSurcharge(let code): "unknown surcharge \(code)"
            case .sharesAbove100: "the authors' shares add up to more than 100%"
            }
        }
    }

    /// Each author's amount: coefficient × (10% of `baseSalaryVND`) × surcharges × share, rounded
    /// half up to the đồng once per author. Authors without a share split what the others leave
    /// equally (the first ones get the odd hundredths of a percent).
    public static func lines(_ classification: Classification, baseSalaryVND: Int64, rates: [String: SurchargeRate]) throws -> [Line] {
        guard let coefficient = classification.coefficientHundredths, coefficient > 0 else { throw Problem.noCoefficient }
        guard !classification.authors.isEmpty else { throw Problem.noAuthors }
        var adjustments = [Royalty.Adjustment]()
        for text in classification.surcharges {
            guard let (rate, percent) = surcharge(text, rates: rates) else { throw Problem.unknownSurcharge(text) }
            adjustments.append(rate.adjustment(percent: percent))
        }
        let given = classification.authors.compactMap(\.share).reduce(0, +)
        guard given <= 100 else { throw Problem.sharesAbove100 }
        let unshared = classification.authors.filter { $0.share == nil }.count
        let left = (100 - given) * 100
        var extra = unshared > 0 ? left % unshared : 0
        return classification.authors.map { author in
            var basisPoints: Int
            if let share = author.share {
                basisPoints = share * 100
            } else {
                basisPoints = left / unshared
                if extra > 0 { basisPoints += 1; extra -= 1 }
            }
            let amount = Royalty.amount(
                coefficientHundredths: coefficient, baseSalaryVND: baseSalaryVND, adjustments: adjustments, shareBasisPoints: basisPoints)
            return Line(authorName: author.name, authorUserId: author.userId, shareBasisPoints: basisPoints, amountVND: amount)
        }
    }
}

/// Royalty arithmetic (NĐ 18/2014) in whole VND, with integers only.
///
/// Rounding rule: every factor is applied exactly (as a fraction) and the result is rounded
/// once, at the end, half up to the whole đồng. Coefficients are held in hundredths
/// (7.5 → 750), so no binary fraction ever enters a payment.
public enum Royalty {
    /// How a surcharge or reduction of changes an item's royalty.
    public enum Adjustment: Sendable, Equatable, Codable {
        /// A translation is paid this percentage of the original's royalty (40-65).
        case percentOfOriginal(Int)
        /// Works for children or minorities, in a foreign or minority language, or made in
        /// hard conditions: this many percent more.
        case plusPercent(Int)

        var factor: (numerator: Int128, denominator: Int128) {
            switch self {
            case .percentOfOriginal(let percent): (Int128(percent), 100)
            case .plusPercent(let percent): (Int128(100 + percent), 100)
            }
        }
    }

    /// the value of one coefficient unit is 10% of the base salary in force.
    public static func unitValue(baseSalaryVND: Int64) -> Int64 {
        roundHalfUp(Int128(baseSalaryVND), 10)
    }

    /// The amount for one author: coefficient × unit value × adjustments × share.
    /// - Parameters:
    ///   - coefficientHundredths: the royalty coefficient in hundredths (R-4.3 caps it per genre).
    ///   - sharePercent: the author's share of a co-authored work, 0-100.
    public static func amount(
        coefficientHundredths: Int, baseSalaryVND: Int64, adjustments: [Adjustment] = [], sharePercent: Int = 100
    ) -> Int64 {
        amount(coefficientHundredths: coefficientHundredths, baseSalaryVND: baseSalaryVND, adjustments: adjustments,
               shareBasisPoints: sharePercent * 100)
    }

    /// The same with the share in hundredths of a percent (3333 = 33.33%), for equal splits.
    public static func amount(
        coefficientHundredths: Int, baseSalaryVND: Int64, adjustments: [Adjustment] = [], shareBasisPoints: Int
    ) -> Int64 {
        var numerator = Int128(coefficientHundredths) * Int128(baseSalaryVND) * Int128(shareBasisPoints)
        var denominator: Int128 = 100 * 10 * 10_000
        for adjustment in adjustments {
            numerator *= adjustment.factor.numerator
            denominator *= adjustment.factor.denominator
        }
        return roundHalfUp(numerator, denominator)
    }

    /// a coefficient within the genre's dated maximum.
    public static func isWithinMaximum(coefficientHundredths: Int, maximumHundredths: Int) -> Bool {
        coefficientHundredths > 0 && coefficientHundredths <= maximumHundredths
    }

    /// co-authors' shares sum to at most 100%.
    public static func sharesAreValid(_ shares: [Int]) -> Bool {
        !shares.isEmpty && shares.allSatisfy { $0 > 0 } && shares.reduce(0, +) <= 100
    }

    static func roundHalfUp(_ numerator: Int128, _ denominator: Int128) -> Int64 {
        Int64((numerator * 2 + denominator) / (denominator * 2))
    }
}

/// Dated amounts such as the base salary: the one in force on a day.
public struct DatedAmounts: Sendable {
    public struct Period: Sendable, Equatable {
        public let from: LocalDate
        public let to: LocalDate?
        public let amount: Int64

        public init(from: LocalDate, to: LocalDate?, amount: Int64) {
            self.from = from
            self.to = to
            self.amount = amount
        }
    }

    public let periods: [Period]

    public init(_ periods: [Period]) {
        self.periods = periods.sorted { $0.from < $1.from }
    }

    /// The amount in force on `date`, or nil when none is.
    public func amount(on date: LocalDate) -> Int64? {
        periods.last { $0.from <= date && $0.to.map { date <= $0 } ?? true }?.amount
    }
}

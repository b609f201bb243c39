import Foundation
import Models

/// A month's royalty and remuneration report, built from the month's ledger rows: per author,
/// per unit, the items units pay themselves apart, adjustments apart, remuneration, totals,
/// and the items near or past the 60-day payment limit.
struct RoyaltyReport: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var articleId: UUID?
        var kind: String
        var role: String
        var payeeName: String
        var unitCode: String
        var unitName: String
        var payer: String
        var title: String
        var genre: String?
        /// The genre's Vietnamese name, for people (`core.royalty_genres`).
        var genreName: String?
        var coefficientHundredths: Int?
        var shareBasisPoints: Int?
        var baseSalaryVND: Int64?
        var amountVND: Int64
        var publishedOn: LocalDate
        var reason: String
    }

    struct AuthorTotal: Codable, Sendable {
        var name: String
        var unitName: String
        var items: Int
        /// The sum of the items' coefficients, as written ("16.50").
        var coefficients: String
        var amountVND: Int64
    }

    struct UnitTotal: Codable, Sendable {
        var unitCode: String
        var unitName: String
        var items: Int
        var amountVND: Int64
    }

    struct RemunerationTotal: Codable, Sendable {
        var name: String
        var role: String
        var items: Int
        var amountVND: Int64
    }

    struct Deadline: Codable, Sendable {
        var title: String
        var payeeName: String
        var publishedOn: LocalDate
        var days: Int
        /// `near` from day 50, `past` after day 60.
        var status: String
    }

    struct Totals: Codable, Sendable {
        var royaltiesVND: Int64
        var remunerationVND: Int64
        var adjustmentsVND: Int64
        /// What the portal pays: royalties, remuneration and adjustments it bears.
        var portalVND: Int64
        /// What units pay for the items they also publish, adjustments included.
        var unitPaidVND: Int64
    }

    var month: YearMonth
    var state: String
    var generatedAt: Date?
    var generatedBy: String?
    var paymentReference: String?
    var paymentDate: LocalDate?
    var totals: Totals
    var authors: [AuthorTotal]
    var units: [UnitTotal]
    var unitPaid: [Entry]
    var adjustments: [Entry]
    var remuneration: [RemunerationTotal]
    var deadlines: [Deadline]
    var entries: [Entry]

    /// The month's report from its rows, kept in `entries`.
    static func build(month: YearMonth, state: String, entries: [Entry], today: LocalDate) -> RoyaltyReport {
        var accumulator = Accumulator(state: state, today: today)
        for entry in entries { accumulator.add(entry) }
        var report = accumulator.report(month: month)
        report.entries = entries
        return report
    }

    /// The report built one row at a time, so that rows can stream past it (into a workbook)
    /// without the month being held: only the short lists (unit-paid items, adjustments,
    /// deadlines) are kept.
    struct Accumulator {
        let state: String
        let today: LocalDate
        var authors = [String: AuthorTotal]()
        var itemsByAuthor = [String: Set<UUID>]()
        var coefficientsByAuthor = [String: Int]()
        var units = [String: UnitTotal]()
        var itemsByUnit = [String: Set<UUID>]()
        var remuneration = [String: RemunerationTotal]()
        var adjustments = [Entry](), unitPaid = [Entry](), deadlines = [Deadline]()
        var totals = Totals(royaltiesVND: 0, remunerationVND: 0, adjustmentsVND: 0, portalVND: 0, unitPaidVND: 0)

        init(state: String, today: LocalDate) {
            self.state = state
            self.today = today
        }

        mutating func add(_ entry: Entry) {
            if entry.payer == "portal" { totals.portalVND += entry.amountVND } else { totals.unitPaidVND += entry.amountVND }
            switch entry.kind {
            case "royalty" where entry.payer == "portal":
                totals.royaltiesVND += entry.amountVND
                let key = entry.payeeName + "\u{1F}" + entry.unitName
                var total = authors[key] ?? AuthorTotal(name: entry.payeeName, unitName: entry.unitName, items: 0, coefficients: "0.00", amountVND: 0)
                total.amountVND += entry.amountVND
                if let id = entry.articleId, itemsByAuthor[key, default: []].insert(id).inserted {
                    coefficientsByAuthor[key, default: 0] += entry.coefficientHundredths ?? 0
                    total.items += 1
                }
                authors[key] = total
                var unit = units[entry.unitCode] ?? UnitTotal(unitCode: entry.unitCode, unitName: entry.unitName, items: 0, amountVND: 0)
                unit.amountVND += entry.amountVND
                if let id = entry.articleId, itemsByUnit[entry.unitCode, default: []].insert(id).inserted { unit.items += 1 }
                units[entry.unitCode] = unit
                // until the report is paid, royalties count days from publication.
                let days = today.daysSinceEpoch - entry.publishedOn.daysSinceEpoch
                if state != "paid", days >= 50 {
                    deadlines.append(Deadline(title: entry.title, payeeName: entry.payeeName, publishedOn: entry.publishedOn, days: days,
                                              status: days > 60 ? "past" : "near"))
                }
            case "royalty":
                unitPaid.append(entry)
            case "remuneration":
                totals.remunerationVND += entry.amountVND
                let key = entry.payeeName + "\u{1F}" + entry.role
                var total = remuneration[key] ?? RemunerationTotal(name: entry.payeeName, role: entry.role, items: 0, amountVND: 0)
                total.amountVND += entry.amountVND
                total.items += entry.articleId == nil ? 0 : 1
                remuneration[key] = total
            default:
                adjustments.append(entry)
                if entry.payer == "portal" { totals.adjustmentsVND += entry.amountVND }
            }
        }

        /// The report of what was added, without the rows themselves.
        func report(month: YearMonth) -> RoyaltyReport {
            var authors = self.authors
            for (key, hundredths) in coefficientsByAuthor { authors[key]?.coefficients = String(format: "%.2f", Double(hundredths) / 100) }
            let byName = { (a: String, b: String) in (Slugged.key(a), a) < (Slugged.key(b), b) }
            return RoyaltyReport(
                month: month, state: state, totals: totals,
                authors: authors.values.sorted { byName($0.name, $1.name) },
                units: units.values.sorted { byName($0.unitName, $1.unitName) },
                unitPaid: unitPaid, adjustments: adjustments,
                remuneration: remuneration.values.sorted { byName($0.name, $1.name) },
                deadlines: deadlines.sorted { $0.days > $1.days }, entries: [])
        }
    }
}

/// Names compared without diacritics, so that Vietnamese names sort the same on every machine.
enum Slugged {
    static func key(_ text: String) -> String {
        text.precomposedStringWithCanonicalMapping.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
            .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
    }
}

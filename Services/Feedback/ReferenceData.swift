import Foundation
import Models
import ServiceKit
import Store

/// The reference data the feedback service works from, read from `core` and kept for a minute:
/// the fields (lĩnh vực) with their responsible unit and answer days, their keywords and answer
/// templates, the working-day calendar, the units' names.
struct ReferenceData: Sendable {
    struct Field: Sendable, Equatable {
        let code: String
        let nameVi: String
        let nameEn: String
        let unitCode: String
        let workingDays: Int
    }

    struct Snapshot: Sendable {
        let fields: [Field]
        let units: [String: String]
        let unitKinds: [String: String]
        let calendar: WorkingCalendar
        let suggester: FieldSuggester
        let templates: [String: String]

        func field(_ code: String?) -> Field? { code.flatMap { code in fields.first { $0.code == code } } }
        func unitName(_ code: String) -> String { units[code] ?? code }
        var clock: QuestionClock { QuestionClock(calendar: calendar) }
        /// The Center: the unit that receives every question first.
        var centerCode: String { unitKinds.first { $0.value == "center" }?.key ?? "trungtamhcc" }
    }

    let database: DatabasePool
    private let cache = ExpiringCache<Int, Snapshot>(lifetime: .seconds(60), capacity: 1)

    init(database: DatabasePool) {
        self.database = database
    }

    func cachedSnapshot() -> Snapshot? { cache.value(for: 0) }
    func remember(_ snapshot: Snapshot) { cache.store(snapshot, for: 0) }

    func current() async throws -> Snapshot {
        try await cache.value(for: 0) {
            try await database.withConnection { try Self.load(on: $0) }
        }
    }

    static func load(on connection: Connection) throws -> Snapshot {
        let fields = try connection.query(
            "SELECT code, name_vi, name_en, responsible_unit_code, answer_working_days FROM core.fields ORDER BY name_vi"
        ).rows.map {
            Field(code: try $0.decode("code"), nameVi: try $0.decode("name_vi"), nameEn: try $0.decode("name_en"),
                  unitCode: try $0.decode("responsible_unit_code"), workingDays: try $0.decode("answer_working_days"))
        }
        var units = [String: String](), kinds = [String: String]()
        for row in try connection.query("SELECT code, name, kind FROM core.units").rows {
            units[try row.decode("code")] = try row.decode("name")
            kinds[try row.decode("code")] = try row.decode("kind")
        }
        var holidays = Set<LocalDate>(), makeup = Set<LocalDate>()
        for row in try connection.query("SELECT day::text AS day, kind FROM core.holidays").rows {
            guard let day = LocalDate(iso: try row.decode("day")) else { continue }
            if try row.decode("kind", as: String.self) == "makeup_workday" { makeup.insert(day) } else { holidays.insert(day) }
        }
        let keywords = try connection.query("SELECT field_code, keyword FROM core.field_keywords ORDER BY field_code, keyword").rows.map {
            FieldSuggester.Keyword(fieldCode: try $0.decode("field_code"), keyword: try $0.decode("keyword"))
        }
        var templates = [String: String]()
        for row in try connection.query("SELECT field_code, text FROM core.answer_templates").rows {
            templates[try row.decode("field_code")] = try row.decode("text")
        }
        return Snapshot(
            fields: fields, units: units, unitKinds: kinds, calendar: WorkingCalendar(holidays: holidays, makeupWorkdays: makeup),
            suggester: FieldSuggester(keywords), templates: templates)
    }
}

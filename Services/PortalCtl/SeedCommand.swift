import ArgumentParser
import Foundation
import Models
import ServiceKit
import Store
import SwiftCSV

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load reference data and demo users from the seed files (idempotent).")

    @Option(help: "Folder of the seed files.")
    var dir: String = ProcessInfo.processInfo.environment["PORTAL_SEEDS_DIR"] ?? "seeds"

    @Option(help: "Give every seeded user who has no password yet this one (demo and test instances only).")
    var demoPassword: String?

    func run() async throws {
        let seeds = try SeedFiles(directory: dir)
        try await ToolContext().run { tool in
            try await Migrator.apply(PortalService.allMigrationScopes, on: tool.database, logger: tool.logger)
            let report = try await tool.database.withTransaction { connection in
                try ReferenceDataLoader(seeds: seeds).load(on: connection)
            }
            print(report.summary)
            if let demoPassword {
                let passwords = Passwords(database: tool.database)
                let without = try await tool.database.withConnection { connection in
                    try connection.query(
                        "SELECT login FROM core.users u WHERE NOT EXISTS (SELECT 1 FROM core.user_credentials c WHERE c.user_id = u.id) ORDER BY login"
                    ).rows.map { try $0.decode("login", as: String.self) }
                }
                for login in without { try await passwords.set(login: login, password: demoPassword) }
                print("demo passwords set: \(without.count)")
            }
        }
    }
}

/// The seed files, parsed up front so that a malformed file changes nothing.
struct SeedFiles {
    let units, users, mailboxes, board, fields, genres, surcharges, baseSalary, holidays, remuneration, contacts, keywords, templates: [[String: String]]

    init(directory: String) throws {
        func read(_ name: String) throws -> [[String: String]] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            do {
                return try CSV<Named>(url: url, delimiter: .comma).rows.map { row in
                    row.mapValues { $0.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping }
                }
            } catch {
                throw ValidationError("cannot read \(url.path): \(error)")
            }
        }
        units = try read("units.csv")
        users = try read("users.csv")
        mailboxes = try read("unit_mailboxes.csv")
        board = try read("board.csv")
        fields = try read("fields.csv")
        genres = try read("royalty_genres.csv")
        surcharges = try read("surcharges.csv")
        baseSalary = try read("base_salary.csv")
        holidays = try read("holidays.csv")
        remuneration = try read("remuneration.csv")
        contacts = try read("unit_contacts.csv")
        keywords = try read("field_keywords.csv")
        templates = try read("answer_templates.csv")
    }
}

/// Writes the seed files into `core` with upserts. Labels are derived by R-7.2 where the
/// file gives none; a label that another unit of an overlapping period already holds is
/// left empty and marked as a collision for an operator to settle, never overwritten.
struct ReferenceDataLoader {
    let seeds: SeedFiles

    struct Report {
        var counts: [(String, Int)] = []
        var collisions: [String] = []
        var summary: String {
            var lines = counts.map { "\($0.0): \($0.1)" }
            if !collisions.isEmpty {
                lines.append("label collisions left for an operator (R-7.2): " + collisions.joined(separator: "; "))
            }
            return lines.joined(separator: "\n")
        }
    }

    func load(on connection: Connection) throws -> Report {
        var report = Report()
        report.collisions = try loadUnits(on: connection)
        report.counts.append(("units", seeds.units.count))
        for row in seeds.users {
            let login = try value(row, "login")
            try connection.query(
                """
                INSERT INTO core.users (login, full_name, email, unit_code) VALUES ($1, $2, $3, $4)
                ON CONFLICT (login) DO UPDATE SET full_name = EXCLUDED.full_name, email = EXCLUDED.email,
                    unit_code = EXCLUDED.unit_code
                """, [login, try value(row, "full_name"), try value(row, "email"), optional(row, "unit_code")])
            for role in (row["roles"] ?? "").split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard Role(rawValue: role) != nil else { throw ValidationError("users.csv: unknown role '\(role)' for \(login)") }
                try connection.query(
                    "INSERT INTO core.user_roles (user_id, role) SELECT id, $2 FROM core.users WHERE login = $1 ON CONFLICT DO NOTHING",
                    [login, role])
            }
        }
        report.counts.append(("users", seeds.users.count))
        for row in seeds.mailboxes {
            try connection.query(
                """
                INSERT INTO core.unit_mailboxes (email, unit_code) VALUES (lower($1), $2)
                ON CONFLICT (email) DO UPDATE SET unit_code = EXCLUDED.unit_code
                """, [try value(row, "email"), try value(row, "unit_code")])
        }
        report.counts.append(("unit mailboxes", seeds.mailboxes.count))
        for row in seeds.board {
            let updated = try connection.query(
                """
                INSERT INTO core.board_members (user_id, position, leads_unit_code, valid_from, valid_to)
                SELECT id, $2, $3, $4::date, $5::date FROM core.users WHERE login = $1
                ON CONFLICT (user_id, valid_from) DO UPDATE SET position = EXCLUDED.position,
                    leads_unit_code = EXCLUDED.leads_unit_code, valid_to = EXCLUDED.valid_to
                """,
                [try value(row, "login"), try value(row, "position"), optional(row, "leads_unit_code"),
                 try value(row, "valid_from"), optional(row, "valid_to")])
            guard updated.affectedRows == 1 else { throw ValidationError("board.csv: no user '\(row["login"] ?? "")'") }
        }
        report.counts.append(("board members", seeds.board.count))
        for row in seeds.fields {
            try connection.query(
                """
                INSERT INTO core.fields (code, name_vi, name_en, responsible_unit_code, answer_working_days)
                VALUES ($1, $2, $3, $4, $5::int)
                ON CONFLICT (code) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
                    responsible_unit_code = EXCLUDED.responsible_unit_code, answer_working_days = EXCLUDED.answer_working_days
                """,
                [try value(row, "code"), try value(row, "name_vi"), try value(row, "name_en"),
                 try value(row, "responsible_unit_code"), try value(row, "answer_working_days")])
        }
        report.counts.append(("fields", seeds.fields.count))
        for row in seeds.genres {
            try connection.query(
                """
                INSERT INTO core.royalty_genres (genre, name_vi, name_en, max_coefficient, effective_from, effective_to)
                VALUES ($1, $2, $3, $4::numeric, $5::date, $6::date)
                ON CONFLICT (genre, effective_from) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
                    max_coefficient = EXCLUDED.max_coefficient, effective_to = EXCLUDED.effective_to
                """,
                [try value(row, "genre"), try value(row, "name_vi"), try value(row, "name_en"),
                 try value(row, "max_coefficient"), try value(row, "effective_from"), optional(row, "effective_to")])
        }
        report.counts.append(("royalty genres", seeds.genres.count))
        for row in seeds.surcharges {
            try connection.query(
                """
                INSERT INTO core.royalty_surcharges (code, name_vi, name_en, min_percent, max_percent, effective_from, effective_to)
                VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::date, $7::date)
                ON CONFLICT (code, effective_from) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
                    min_percent = EXCLUDED.min_percent, max_percent = EXCLUDED.max_percent, effective_to = EXCLUDED.effective_to
                """,
                [try value(row, "code"), try value(row, "name_vi"), try value(row, "name_en"), try value(row, "min_percent"),
                 try value(row, "max_percent"), try value(row, "effective_from"), optional(row, "effective_to")])
        }
        report.counts.append(("royalty surcharges", seeds.surcharges.count))
        for row in seeds.baseSalary {
            try connection.query(
                """
                INSERT INTO core.base_salary (effective_from, effective_to, amount_vnd, source)
                VALUES ($1::date, $2::date, $3::bigint, $4)
                ON CONFLICT (effective_from) DO UPDATE SET effective_to = EXCLUDED.effective_to,
                    amount_vnd = EXCLUDED.amount_vnd, source = EXCLUDED.source
                """,
                [try value(row, "effective_from"), optional(row, "effective_to"), try value(row, "amount_vnd"),
                 row["source"] ?? ""])
        }
        report.counts.append(("base salary rows", seeds.baseSalary.count))
        for row in seeds.holidays {
            try connection.query(
                """
                INSERT INTO core.holidays (day, kind, name_vi, name_en) VALUES ($1::date, $2, $3, $4)
                ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en
                """,
                [try value(row, "date"), try value(row, "kind"), try value(row, "name_vi"), try value(row, "name_en")])
        }
        report.counts.append(("holidays", seeds.holidays.count))
        for row in seeds.remuneration {
            try connection.query(
                """
                INSERT INTO core.remuneration_rates (role, basis, amount_vnd, name_vi, name_en, effective_from, effective_to)
                VALUES ($1, $2, $3::bigint, $4, $5, $6::date, $7::date)
                ON CONFLICT (role, basis, effective_from) DO UPDATE SET amount_vnd = EXCLUDED.amount_vnd, name_vi = EXCLUDED.name_vi,
                    name_en = EXCLUDED.name_en, effective_to = EXCLUDED.effective_to
                """,
                [try value(row, "role"), try value(row, "basis"), try value(row, "amount_vnd"), try value(row, "name_vi"),
                 try value(row, "name_en"), try value(row, "effective_from"), optional(row, "effective_to")])
        }
        report.counts.append(("remuneration rates", seeds.remuneration.count))
        for row in seeds.contacts {
            try connection.query(
                """
                INSERT INTO core.unit_contacts (unit_code, address, phone, email, responsible) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (unit_code) DO UPDATE SET address = EXCLUDED.address, phone = EXCLUDED.phone, email = EXCLUDED.email,
                    responsible = EXCLUDED.responsible
                """,
                [try value(row, "unit_code"), try value(row, "address"), try value(row, "phone"), try value(row, "email"),
                 try value(row, "responsible")])
        }
        report.counts.append(("unit contacts", seeds.contacts.count))
        // A field's keywords are the file's: a keyword removed from it is removed here.
        try connection.query("DELETE FROM core.field_keywords")
        for row in seeds.keywords {
            try connection.query(
                "INSERT INTO core.field_keywords (field_code, keyword) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [try value(row, "field_code"), try value(row, "keyword")])
        }
        report.counts.append(("field keywords", seeds.keywords.count))
        for row in seeds.templates {
            try connection.query(
                "INSERT INTO core.answer_templates (field_code, text) VALUES ($1, $2) ON CONFLICT (field_code) DO UPDATE SET text = EXCLUDED.text",
                [try value(row, "field_code"), try value(row, "text")])
        }
        report.counts.append(("answer templates", seeds.templates.count))
        return report
    }

    /// Upserts units; returns the collisions found.
    private func loadUnits(on connection: Connection) throws -> [String] {
        // Labels already in the database, with their periods, count as taken.
        var taken = try connection.query("SELECT code, label, valid_from::text AS f, valid_to::text AS t FROM core.units WHERE label IS NOT NULL")
            .rows.map { (code: try $0.decode("code", as: String.self), label: try $0.decode("label", as: String.self),
                         from: try $0.decodeIfPresent("f", as: String.self), to: try $0.decodeIfPresent("t", as: String.self)) }
        var collisions = [String]()
        for row in seeds.units {
            let code = try value(row, "code"), kind = try value(row, "kind"), name = try value(row, "name")
            guard UnitKind(rawValue: kind) != nil else { throw ValidationError("units.csv: unknown kind '\(kind)' for \(code)") }
            let from = optional(row, "valid_from"), to = optional(row, "valid_to")
            var label: String?
            var status = "derived"
            if let given = optional(row, "label") {
                guard DomainLabel(validating: given) != nil else { throw ValidationError("units.csv: invalid label '\(given)' for \(code)") }
                label = given
                status = "operator"
            } else if kind != UnitKind.province.rawValue {
                // The province's own site is the portal itself and needs no label.
                label = DomainLabel(derivingFrom: name)?.value
            }
            if let wanted = label,
               let holder = taken.first(where: { $0.code != code && $0.label == wanted && Self.overlap(from, to, $0.from, $0.to) }) {
                collisions.append("\(code) and \(holder.code) both give '\(wanted)'")
                label = nil
                status = "collision"
            }
            let inserted = try connection.query(
                """
                INSERT INTO core.units (code, kind, name, name_en, parent_code, label, label_status, valid_from, valid_to)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9::date)
                ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, name_en = EXCLUDED.name_en,
                    parent_code = EXCLUDED.parent_code, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
                    updated_at = now()
                RETURNING label
                """, [code, kind, name, optional(row, "name_en"), optional(row, "parent_code"), label, status, from, to])
            // An existing unit keeps the label it has: a re-seed never overwrites one.
            if let kept = try inserted.one().decodeIfPresent("label", as: String.self) {
                taken.removeAll { $0.code == code }
                taken.append((code: code, label: kept, from: from, to: to))
            }
        }
        return collisions
    }

    /// Whether two validity periods (ISO dates, nil = open) share a day.
    static func overlap(_ aFrom: String?, _ aTo: String?, _ bFrom: String?, _ bTo: String?) -> Bool {
        (aFrom ?? "0000-01-01") <= (bTo ?? "9999-12-31") && (bFrom ?? "0000-01-01") <= (aTo ?? "9999-12-31")
    }

    private func value(_ row: [String: String], _ key: String) throws -> String {
        guard let value = row[key], !value.isEmpty else { throw ValidationError("seed row lacks '\(key)': \(row)") }
        return value
    }

    private func optional(_ row: [String: String], _ key: String) -> String? {
        row[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}

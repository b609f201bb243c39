import Foundation
import Store

/// PostgreSQL's own tools for what they do best: `pg_dump` for a consistent dump, `pg_restore`
/// to load it, and the counts that tell a restored database is the one that was saved.
enum PostgresTools {
    /// The database a `postgresql://` address names, and the same address for another database.
    /// The parts of `postgresql://authority/database?query`, split by hand: the authority may
    /// list several hosts (`db1:5432,db2:5432`, a primary and its replica), which URLComponents
    /// does not read.
    static func parts(of url: String) -> (prefix: String, database: String, query: String)? {
        guard let scheme = url.range(of: "://"), ["postgresql", "postgres"].contains(String(url[..<scheme.lowerBound])) else { return nil }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let path = rest[rest.index(after: slash)...]
        let database = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let query = path.dropFirst(database.count)
        return (String(url[..<slash]), database.removingPercentEncoding ?? database, String(query))
    }

    static func databaseName(in url: String) throws -> String {
        guard let parts = parts(of: url), !parts.database.isEmpty else {
            throw BackupRepository.Problem("PORTAL_DATABASE_URL must be a postgresql://…/<database> address for backups: \(url)")
        }
        return parts.database
    }

    static func url(_ url: String, database: String) throws -> String {
        guard let parts = parts(of: url) else { throw BackupRepository.Problem("not a database address: \(url)") }
        let name = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?"))) ?? database
        return "\(parts.prefix)/\(name)\(parts.query)"
    }

    /// A name PostgreSQL takes as written, for statements that cannot take parameters.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Every table's rows, `schema.table` → count, in the connection's current snapshot.
    static func counts(on connection: Connection) throws -> [String: Int64] {
        let tables = try connection.query(
            """
            SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            ORDER BY 1, 2
            """
        ).rows.map { (try $0.decode("schema", as: String.self), try $0.decode("name", as: String.self)) }
        var counts = [String: Int64]()
        for (schema, name) in tables {
            counts["\(schema).\(name)"] = try connection.query("SELECT count(*) AS n FROM \(identifier(schema)).\(identifier(name))").one().decode("n")
        }
        return counts
    }

    /// Tables whose rows differ from `expected`, described for a person.
    static func differences(_ expected: [String: Int64], _ found: [String: Int64]) -> [String] {
        Set(expected.keys).union(found.keys).sorted().compactMap { table in
            let want = expected[table], got = found[table]
            guard want != got else { return nil }
            return "\(table): \(want.map(String.init) ?? "absent") in the backup, \(got.map(String.init) ?? "absent") restored"
        }
    }

    /// Runs a PostgreSQL tool; throws with its own words when it fails. While it runs,
    /// `ticker` is called every five seconds (progress for long dumps and restores).
    static func run(_ tool: String, _ arguments: [String], ticker: (@Sendable () -> Void)? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(of: tool))
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let timer = ticker.map { tick in
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 5, repeating: 5)
            timer.setEventHandler(handler: tick)
            timer.resume()
            return timer
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        timer?.cancel()
        guard process.terminationStatus == 0 else {
            throw BackupRepository.Problem("\(tool) failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// `PORTAL_PG_BIN` (the folder of the server's own tools, whose version matches it), else the
    /// PATH, else the newest of Debian's `/usr/lib/postgresql/<version>/bin`.
    static func path(of tool: String) throws -> String {
        var folders = [String]()
        if let configured = ProcessInfo.processInfo.environment["PORTAL_PG_BIN"] { folders.append(configured) }
        folders += (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        folders += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(tool)") { return "\(folder)/\(tool)" }
        throw BackupRepository.Problem("\(tool) not found: install PostgreSQL's client tools or set PORTAL_PG_BIN")
    }
}

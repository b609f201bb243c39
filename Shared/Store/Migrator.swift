import Logging

/// One numbered SQL migration of a scope (a schema such as `core` or `editorial`).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(_ version: Int, _ name: String, _ sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies numbered migrations exactly once, whichever process gets there first.
///
/// All pending migrations of all the given scopes run in one transaction that holds a
/// transaction-level advisory lock, so five services starting together serialise here and
/// a migration that fails leaves nothing half-applied.
public enum Migrator {
    /// The advisory lock key every migrating process takes ("portal.migrations").
    static let lockKey = "portal.migrations"

    /// Applies what is pending; returns the `scope/version` pairs it applied.
    @discardableResult
    public static func apply(
        _ scopes: [(scope: String, migrations: [Migration])],
        on pool: DatabasePool,
        logger: Logger
    ) async throws -> [String] {
        let applied = try await pool.withTransaction { connection -> [String] in
            // A migration of a large archive (an index, a new column filled) may take minutes,
            // and waiting for another process's migrations too: no statement timeout here.
            try connection.script("SET LOCAL statement_timeout = 0")
            try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [lockKey])
            try connection.script("""
                CREATE SCHEMA IF NOT EXISTS core;
                CREATE TABLE IF NOT EXISTS core.schema_migrations (
                    scope text NOT NULL,
                    version integer NOT NULL,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (scope, version)
                );
                """)
            var applied = [String]()
            for (scope, migrations) in scopes {
                let done = try Set(connection.query(
                    "SELECT version FROM core.schema_migrations WHERE scope = $1", [scope]
                ).rows.map { try $0.decode("version", as: Int.self) })
                for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
                    try connection.script(migration.sql)
                    try connection.query(
                        "INSERT INTO core.schema_migrations (scope, version, name) VALUES ($1, $2, $3)",
                        [scope, migration.version, migration.name])
                    applied.append("\(scope)/\(migration.version)")
                }
            }
            return applied
        }
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["migrations": .string(applied.joined(separator: ", "))])
        }
        return applied
    }
}

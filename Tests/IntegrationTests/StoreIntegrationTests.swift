import Foundation
import Store
import Synchronization
import Testing

@Suite("Store against PostgreSQL", .serialized)
struct StoreIntegrationTests {
    @Test func bindsParametersAndDecodesRows() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        // A value that would break SQL if it were spliced in travels safely as a parameter.
        let tricky = "Bến Lức'); DROP TABLE core.units; --"
        let row = try await pool.withConnection { connection in
            try connection.query(
                "SELECT $1::text AS name, $2::int AS n, $3::bytea AS raw, $4::timestamptz AS at, NULL::text AS nothing",
                [tricky, 42, ByteA([1, 2, 255]), Date(timeIntervalSince1970: 1_796_026_919.5)]
            ).one()
        }
        #expect(try row.decode("name", as: String.self) == tricky)
        #expect(try row.decode("n", as: Int.self) == 42)
        #expect(try row.decode("raw", as: ByteA.self) == ByteA([1, 2, 255]))
        #expect(try row.decode("at", as: Date.self) == Date(timeIntervalSince1970: 1_796_026_919.5))
        #expect(try row.decodeIfPresent("nothing", as: String.self) == nil)
    }

    @Test func rollsBackWhenTheBodyThrows() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let table = "it_rollback_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int PRIMARY KEY)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try connection.query("INSERT INTO \(table) VALUES (1)")
                throw Boom()
            }
        }
        let count = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM \(table)").one().decode("n", as: Int.self) }
        #expect(count == 0)
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test("Statements sent without waiting go with the next answer or with COMMIT, in order; the error of one rolls back the whole transaction; a savepoint's rollback drops them unsent")
    func sentStatementsJoinTheTransaction() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let table = "it_send_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int PRIMARY KEY, note text)") }
        func rows() async throws -> [Int] {
            try await pool.withConnection { try $0.query("SELECT n FROM \(table) ORDER BY n").rows.map { try $0.decode("n", as: Int.self) } }
        }
        // In order, and visible to the next statement that needs an answer.
        let seen = try await pool.withTransaction { connection -> Int in
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [1, "un"])
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [2, "hai"])
            let count = try connection.query("SELECT count(*) AS n FROM \(table)").one().decode("n", as: Int.self)
            try connection.send("UPDATE \(table) SET note = $2 WHERE n = $1", [1, "một"])
            return count
        }
        #expect(seen == 2)
        #expect(try await rows() == [1, 2])
        // A duplicate key among statements sent: thrown at COMMIT, with its SQLSTATE, and nothing of the transaction stays.
        let error = await #expect(throws: StoreError.self) {
            try await pool.withTransaction { connection in
                try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [3, "ba"])
                try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [1, "again"])
                try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [4, "bốn"])
            }
        }
        #expect(error?.isUniqueViolation == true, "\(String(describing: error))")
        #expect(try await rows() == [1, 2])
        // The connection is whole again after the failed pipeline.
        #expect(try await pool.withConnection { try $0.query("SELECT note FROM \(table) WHERE n = 1").one().decode("note", as: String.self) } == "một")
        // Sent after a savepoint and rolled back to it: never reaches the table, the rest commits.
        try await pool.withTransaction { connection in
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [5, "năm"])
            try connection.query("SAVEPOINT s")
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [1, "a duplicate, dropped unsent"])
            try connection.query("ROLLBACK TO SAVEPOINT s")
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [6, "sáu"])
        }
        #expect(try await rows() == [1, 2, 5, 6])
        // Flushed inside a savepoint: the error is thrown there, the savepoint undoes it, the rest commits.
        try await pool.withTransaction { connection in
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [7, "bảy"])
            try connection.query("SAVEPOINT f")
            do {
                try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [1, "a duplicate"])
                try connection.flush()
                Issue.record("the duplicate was not refused at the flush")
            } catch let error as StoreError where error.isUniqueViolation {
                try connection.query("ROLLBACK TO SAVEPOINT f")
            }
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [8, "tám"])
        }
        #expect(try await rows() == [1, 2, 5, 6, 7, 8])
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test("BEGIN goes with a transaction's first statement: every statement, the first included and whatever it is, runs in the one transaction; a transaction without statements leaves the connection as it was; a connection found dead on that first round trip is replaced and the transaction run again")
    func beginGoesWithTheFirstStatement() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 1)
        defer { Task { await pool.close() } }
        // A statement with parameters first: the transaction's id it takes is the one the last sees.
        let (first, last) = try await pool.withTransaction { connection -> (String, String?) in
            let first = try connection.query("SELECT pg_current_xact_id()::text || $1 AS id", [""]).one().decode("id", as: String.self)
            try connection.send("SELECT $1::int", [1])
            let last = try connection.queries([("SELECT pg_current_xact_id_if_assigned()::text AS id", [])])[0].one()
                .decodeIfPresent("id", as: String.self)
            return (first, last)
        }
        #expect(last == first)
        // A script first (SET LOCAL): it holds inside the transaction and ends with it.
        let (inside, after) = try await pool.withConnection { connection -> (String, String) in
            let inside = try connection.transaction { transaction in
                try transaction.script("SET LOCAL statement_timeout = '4321ms'")
                return try transaction.query("SHOW statement_timeout").one().decode("statement_timeout", as: String.self)
            }
            return (inside, try connection.query("SHOW statement_timeout").one().decode("statement_timeout", as: String.self))
        }
        #expect(inside == "4321ms")
        #expect(after != "4321ms")
        // Nothing run: nothing left open; the next statement runs on its own and commits.
        let table = "it_begin_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int PRIMARY KEY)") }
        try await pool.withTransaction { _ in }
        try await pool.withConnection { connection in
            try connection.transaction { _ in }
            try connection.send("INSERT INTO \(table) VALUES ($1)", [1])
        }
        // Statements only sent, then COMMIT: BEGIN, they and COMMIT travel together and all commit.
        try await pool.withTransaction { connection in
            try connection.send("INSERT INTO \(table) VALUES ($1)", [2])
            try connection.send("INSERT INTO \(table) VALUES ($1)", [3])
        }
        // The first statement fails: nothing of the transaction stays, and the connection serves the next.
        await #expect(throws: StoreError.self) {
            try await pool.withTransaction { connection in
                try connection.send("INSERT INTO \(table) VALUES ($1)", [4])
                _ = try connection.query("SELECT 1 / $1::int AS n", [0])
            }
        }
        let kept = try await pool.withConnection { try $0.query("SELECT n FROM \(table) ORDER BY n").rows.map { try $0.decode("n", as: Int.self) } }
        #expect(kept == [1, 2, 3])
        // The pool's only connection is ended by the server while idle: the first round trip, BEGIN's,
        // finds it dead, and the transaction runs again on a new connection.
        let pid = try await pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").one().decode("pid", as: Int.self) }
        let other = try await env.database()
        defer { Task { await other.close() } }
        try await other.withConnection { _ = try $0.query("SELECT pg_terminate_backend($1)", [pid]) }
        try await Task.sleep(for: .milliseconds(200))
        let again = try await pool.withTransaction { connection in
            try connection.send("INSERT INTO \(table) VALUES ($1)", [5])
            return try connection.query("SELECT pg_backend_pid() AS pid").one().decode("pid", as: Int.self)
        }
        #expect(again != pid)
        let all = try await pool.withConnection { try $0.query("SELECT n FROM \(table) ORDER BY n").rows.map { try $0.decode("n", as: Int.self) } }
        #expect(all == [1, 2, 3, 5])
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test("Several statements in one round trip each give their own answer, in order, after the statements sent before them; an error among them rolls back the transaction")
    func statementsTogetherAnswerEachInOrder() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let table = "it_queries_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int PRIMARY KEY, note text)") }
        let upsert = "INSERT INTO \(table) VALUES ($1, $2) ON CONFLICT (n) DO NOTHING RETURNING n, note"
        let answers = try await pool.withTransaction { connection -> [[String]] in
            try connection.send("INSERT INTO \(table) VALUES ($1, $2)", [1, "un"])
            let results = try connection.queries([
                (upsert, [1, "again"]), (upsert, [2, "hai"]), ("SELECT count(*)::text AS note FROM \(table)", []), (upsert, [2, "twice"]),
            ])
            return try results.map { try $0.rows.map { try $0.decode("note", as: String.self) } }
        }
        // The row sent before is seen by the first; the second's insert by the count; the duplicates return nothing.
        #expect(answers == [[], ["hai"], ["2"], []])
        let error = await #expect(throws: StoreError.self) {
            try await pool.withTransaction { connection in
                _ = try connection.queries([(upsert, [3, "ba"]), ("INSERT INTO \(table) VALUES ($1, $2)", [1, "a duplicate"]), (upsert, [4, "bốn"])])
            }
        }
        #expect(error?.isUniqueViolation == true, "\(String(describing: error))")
        let kept = try await pool.withConnection { try $0.query("SELECT n FROM \(table) ORDER BY n").rows.map { try $0.decode("n", as: Int.self) } }
        #expect(kept == [1, 2])
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test("Writes grouped into one commit: each caller gets its own result after the commit; one failing write leaves the others committed and gets its own error")
    func groupCommitAnswersEachWrite() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 4)
        defer { Task { await pool.close() } }
        let table = "it_group_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int PRIMARY KEY, at_commit timestamptz)") }
        try await pool.withConnection { try $0.query("INSERT INTO \(table) VALUES (13, now())") }
        let writes = GroupCommit(database: pool, maxBatch: 16, writers: 2)
        let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for n in 0..<100 {
                group.addTask {
                    do {
                        let value = try await writes.write { connection -> Int in
                            try connection.send("INSERT INTO \(table) VALUES ($1, now())", [n])
                            return n * 10
                        }
                        return (n, .success(value))
                    } catch {
                        return (n, .failure(error))
                    }
                }
            }
            var all = [Int: Result<Int, any Error>]()
            for await (n, outcome) in group { all[n] = outcome }
            return all
        }
        for n in 0..<100 where n != 13 {
            #expect((try? outcomes[n]?.get()) == n * 10, "write \(n): \(String(describing: outcomes[n]))")
        }
        if case .failure(let error as StoreError)? = outcomes[13] { #expect(error.isUniqueViolation) } else { Issue.record("write 13 was not refused") }
        let stored = try await pool.withConnection { connection in
            (try connection.query("SELECT count(*) AS n FROM \(table)").one().decode("n", as: Int.self),
             try connection.query("SELECT count(DISTINCT at_commit) AS n FROM \(table) WHERE n <> 13").one().decode("n", as: Int.self))
        }
        #expect(stored.0 == 100, "every write but the refused one, and the row it collided with")
        #expect(stored.1 < 99, "writes shared transactions (now() is the transaction's start)")
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test("A statement with parameters is prepared once per connection and then only executed; a table changed under it retires the connection, and the next one prepares it anew")
    func statementsArePreparedOncePerConnection() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 1)
        defer { Task { await pool.close() } }
        let table = "it_prepared_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection { try $0.script("CREATE TABLE \(table) (n int); INSERT INTO \(table) VALUES (1), (2), (3)") }
        let select = "SELECT * FROM \(table) WHERE n >= $1 ORDER BY n"
        let (rows, prepared) = try await pool.withConnection { connection in
            let rows = try (1...3).map { try connection.query(select, [$0]).rows.count }
            let prepared = try connection.query(
                "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1", [select]).one().decode("n", as: Int.self)
            return (rows, prepared)
        }
        #expect(rows == [3, 2, 1])
        #expect(prepared == 1, "the statement should be prepared once in the session, not once per execution")

        // A column added under a prepared `SELECT *`: the server refuses the old plan once…
        try await pool.withConnection { try $0.script("ALTER TABLE \(table) ADD COLUMN label text DEFAULT 'x'") }
        await #expect(throws: StoreError.self) { try await pool.withConnection { try $0.query(select, [1]) } }
        // …and the connection it was prepared on is not used again: the next call reads the new column.
        let label = try await pool.withConnection { try $0.query(select, [3]).one().decode("label", as: String.self) }
        #expect(label == "x")
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
    }

    @Test func errorsCarrySQLStateAndTheServerMessage() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let error = await #expect(throws: StoreError.self) {
            try await pool.withConnection { connection in
                try connection.query("SELECT 1 FROM no_such_table_anywhere")
            }
        }
        #expect(error?.sqlState == "42P01")
        #expect(error?.message.contains("no_such_table_anywhere") == true)
        // The connection that saw the error is still usable.
        try await pool.ping()
    }

    @Test func migrationsApplyOnceUnderConcurrency() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 6)
        defer { Task { await pool.close() } }
        let scope = "it_mig_\(UUID().uuidString.prefix(8).lowercased())"
        let migrations = [
            Migration(1, "table", "CREATE TABLE \(scope) (n int)"),
            Migration(2, "row", "INSERT INTO \(scope) VALUES (1)"),
        ]
        let logger = env.logger
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<5 {
                group.addTask { try await Migrator.apply([(scope, migrations)], on: pool, logger: logger) }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied.sorted() == ["\(scope)/1", "\(scope)/2"])
        let rows = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM \(scope)").one().decode("n", as: Int.self) }
        #expect(rows == 1)
        try await pool.withConnection { try $0.script("DROP TABLE \(scope); DELETE FROM core.schema_migrations WHERE scope = '\(scope)'") }
    }

    /// Under CI=true a missing server must fail the run, never skip it.
    @Test func unreachableServersFailWithHowToStartThem() async throws {
        let env = try TestEnvironment(
            databaseURL: "postgresql://postgres@127.0.0.1:1/portal", amqpURL: "amqp://guest:guest@127.0.0.1:1/")
        let dbError = await #expect(throws: SetupError.self) { _ = try await env.database() }
        #expect(dbError?.description.contains("deploy/infra start") == true)
        let busError = await #expect(throws: SetupError.self) { _ = try await env.link("probe", topology: .init(queues: [])) }
        #expect(busError?.description.contains("RabbitMQ is unreachable") == true)
    }

    @Test("A transaction the server rolled back (serialization failure) runs again; a runaway statement is cancelled; a full waiting line is refused at once")
    func transientErrorsTimeoutsAndBoundedWaiting() async throws {
        let env = try TestEnvironment()
        let pool = DatabasePool(
            configuration: .init(conninfo: env.databaseURL, maxConnections: 1, statementTimeoutMilliseconds: 300, maxWaiters: 1, maxWait: .seconds(5)),
            logger: env.logger)
        // 40001 on the first attempt only: the pool runs the transaction again and it commits.
        let attempts = Synchronization.Atomic<Int>(0)
        let result = try await pool.withTransaction { connection -> Int in
            if attempts.add(1, ordering: .relaxed).newValue == 1 {
                try connection.script("DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$")
            }
            return try connection.query("SELECT 7 AS n").one().decode("n")
        }
        #expect(result == 7)
        #expect(attempts.load(ordering: .relaxed) == 2)
        // A constraint violation is not retried: it would fail the same way.
        let once = Synchronization.Atomic<Int>(0)
        await #expect(throws: StoreError.self) {
            try await pool.withTransaction { connection in
                once.add(1, ordering: .relaxed)
                try connection.script("DO $$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = '23505'; END $$")
            }
        }
        #expect(once.load(ordering: .relaxed) == 1)

        // statement_timeout: a statement past it is cancelled (57014), and the connection goes on.
        do {
            _ = try await pool.withConnection { try $0.query("SELECT pg_sleep(2)") }
            Issue.record("pg_sleep(2) was not cancelled")
        } catch let error as StoreError {
            #expect(error.sqlState == "57014", "\(error)")
        }
        #expect(try await pool.withConnection { try $0.query("SELECT 1 AS one").one().decode("one", as: Int.self) } == 1)

        // One connection, busy; one caller may wait; a third is refused at once with `busy`.
        let holder = Task { try await pool.withConnection { _ in Thread.sleep(forTimeInterval: 0.25) } }
        try await Task.sleep(for: .milliseconds(50))
        let waiter = Task { try await pool.withConnection { try $0.query("SELECT 1 AS one").one().decode("one", as: Int.self) } }
        try await Task.sleep(for: .milliseconds(50))
        do {
            _ = try await pool.withConnection { _ in 0 }
            Issue.record("a third caller was queued past maxWaiters")
        } catch let error as StoreError {
            #expect(error.code == .busy && error.isUnavailable, "\(error)")
        }
        try await holder.value
        #expect(try await waiter.value == 1, "the caller in line was served")
        await pool.close()
    }
}

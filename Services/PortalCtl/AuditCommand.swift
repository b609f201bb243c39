import ArgumentParser
import ServiceKit

/// `portalctl audit verify`: walks the audit log's hash chain.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The append-only audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Check that no row of the audit log was changed or deleted (exit 1 when one was).")

        func run() async throws {
            let (checked, breaks) = try await ToolContext().run { tool in
                try await tool.database.withConnection { try AuditLog.verify(on: $0) }
            }
            if breaks.isEmpty {
                print("audit log intact: \(checked) rows, every hash and link holds")
                return
            }
            print("audit log BROKEN: \(breaks.count) problem(s) in \(checked) rows")
            for problem in breaks.prefix(50) { print("  \(problem)") }
            throw ExitCode(1)
        }
    }
}

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
            let result = try await ToolContext().run { tool in
                try await tool.database.withConnection { try AuditLog.verify(on: $0) }
            }
            let pending = result.pending > 0 ? "; \(result.pending) recent row(s) not sealed yet" : ""
            if result.breaks.isEmpty {
                print("audit log intact: \(result.checked) sealed rows, every hash and link holds\(pending)")
                return
            }
            print("audit log BROKEN: \(result.breaks.count) problem(s) in \(result.checked) sealed rows\(pending)")
            for problem in result.breaks.prefix(50) { print("  \(problem)") }
            throw ExitCode(1)
        }
    }
}

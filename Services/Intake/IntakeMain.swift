import ServiceKit

/// The intake service: see README.md for what it does and the issues that extend it.
@main
struct IntakeMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.intake)
        try await server.run { envelope, context in
            context.logger.debug("event recorded", metadata: ["event.type": .string(envelope.type)])
        }
    }
}

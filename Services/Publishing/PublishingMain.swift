import ServiceKit

/// The publishing service: see README.md for what it does and the issues that extend it.
@main
struct PublishingMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.publishing)
        try await server.run { envelope, context in
            context.logger.debug("event recorded", metadata: ["event.type": .string(envelope.type)])
        }
    }
}

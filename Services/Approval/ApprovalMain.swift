import ServiceKit

/// The approval service: see README.md for what it does and the issues that extend it.
@main
struct ApprovalMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.approval)
        try await server.run { envelope, context in
            context.logger.debug("event recorded", metadata: ["event.type": .string(envelope.type)])
        }
    }
}

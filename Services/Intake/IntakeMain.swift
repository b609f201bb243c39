import Foundation
import ServiceKit

/// The intake service: units submit news, articles, photos and documents (Art. 14).
@main
struct IntakeMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.intake)
        let environment = ProcessInfo.processInfo.environment
        let maxAttachmentBytes = environment["INTAKE_MAX_ATTACHMENT_BYTES"].flatMap(Int.init) ?? 25 * 1024 * 1024
        SubmissionRoutes(store: SubmissionStore(database: server.database, outbox: server.outbox), maxAttachmentBytes: maxAttachmentBytes)
            .register(on: server.router)
        try await server.run(eventHandler: StatusUpdates.handle)
    }
}

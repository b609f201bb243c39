import Foundation
import Mail
import Models
import Mustache
import ServiceKit
import Store

/// The feedback service: citizens' questions routed by field to the unit in charge and answered
/// by working-day deadlines, personal data sealed apart; drafts open for public comment; online
/// dialogues (Art. 6, 13.4-13.6).
@main
struct FeedbackMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.feedback)
        let environment = ProcessInfo.processInfo.environment
        let database = server.database
        let vault = try PersonalDataVault.fromEnvironment(environment, dataDirectory: server.configuration.dataDirectory, logger: server.logger)
        let mailOutbox = MailOutbox(schema: "feedback", domain: SiteDomain.portal)
        let reference = ReferenceData(database: database)
        let store = QuestionStore(
            database: database, outbox: server.outbox, mail: mailOutbox, vault: vault, reference: reference,
            retentionDays: environment["FEEDBACK_RETENTION_DAYS"].flatMap(Int.init) ?? 365, writes: GroupCommit(database: database))
        let limits = PublicLimits(environment: environment)
        let personal = PersonalDataRequests(database: database, vault: vault, mail: mailOutbox)
        let consultations = Consultations(database: database, outbox: server.outbox)
        let dialogues = Dialogues(database: database, store: store)
        let routes = QuestionRoutes(store: store, reference: reference, limits: limits, personal: personal)
        routes.register(on: server.router)
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates in the feedback bundle"])
        }
        let library = try await MustacheLibrary(directory: folder)
        PublicPages(
            routes: routes, store: store, reference: reference, personal: personal, consultations: consultations, dialogues: dialogues,
            database: database, library: library
        ).register(on: server.router)
        StaffPages(
            store: store, reference: reference, consultations: consultations, dialogues: dialogues, database: database,
            signIn: StaffSignIn(area: .questions, database: database), library: library
        ).register(on: server.router)
        let watch = DeadlineWatch(
            database: database, outbox: server.outbox, mail: mailOutbox, reference: reference, vault: vault, readiness: server.readiness,
            logger: server.logger,
            interval: .seconds(environment["FEEDBACK_SCHEDULE_SECONDS"].flatMap(Int.init) ?? 300),
            staffURL: environment["PORTAL_STAFF_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://quantri.\(SiteDomain.portal)")
        let feed = FeedbackFeed(store: store, reference: reference)
        try await server.run(eventHandler: feed.handle, services: [server.mailRelay(for: mailOutbox), watch])
    }
}

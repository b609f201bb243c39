import Foundation
import Mail
import Models
import NIOCore
import ServiceKit

/// The intake service: units submit news, articles, photos and documents (Art. 14), through
/// the API and by mail to `webmaster@`.
@main
struct IntakeMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.intake)
        let settings = IntakeSettings(ProcessInfo.processInfo.environment, dataDirectory: server.configuration.dataDirectory)
        let mailOutbox = MailOutbox(schema: "intake", domain: SiteDomain.portal)
        let submissions = SubmissionStore(database: server.database, outbox: server.outbox, mail: mailOutbox)
        SubmissionRoutes(store: submissions, maxAttachmentBytes: settings.maxAttachmentBytes).register(on: server.router)
        try await SubmitPages(store: submissions, database: server.database, maxAttachmentBytes: settings.maxAttachmentBytes)
            .register(on: server.router)

        let receiver = MailReceiver(
            database: server.database, submissions: submissions,
            quarantine: QuarantineStore(database: server.database, outbox: server.outbox, mail: mailOutbox),
            maxAttachmentBytes: settings.maxAttachmentBytes, trustedServer: settings.authservId,
            requireAuthentication: settings.requireAuthentication, logger: server.logger)
        let listeners = [(MailSession.Dialect.lmtp, settings.lmtpPort), (.smtp, settings.smtpPort)].filter { $0.1 > 0 }.map { dialect, port in
            MailListener(
                dialect: dialect, host: settings.mailHost, port: port, hostname: settings.hostname,
                maxConnections: settings.maxMailConnections,
                limits: .init(maxMessageBytes: settings.maxMessageBytes, maxRecipients: settings.maxRecipients),
                idleTimeout: .seconds(Int64(settings.idleSeconds)), mailboxes: settings.mailboxes, receiver: receiver, logger: server.logger)
        }
        try await server.run(eventHandler: StatusUpdates.handle, services: listeners + [server.mailRelay(for: mailOutbox)])
    }
}

/// Intake's own settings (README, Configuration).
struct IntakeSettings {
    /// `INTAKE_MAX_ATTACHMENT_BYTES`: decoded attachments of one submission, in all.
    var maxAttachmentBytes: Int
    /// `INTAKE_LMTP_PORT` (8024) and `INTAKE_SMTP_PORT` (2525); 0 turns a listener off.
    var lmtpPort: Int
    var smtpPort: Int
    /// `INTAKE_MAIL_HOSTNAME`: the name in the greeting.
    var hostname: String
    /// `INTAKE_MAIL_MAX_BYTES`: one message as received (default 25 MB).
    var maxMessageBytes: Int
    /// `INTAKE_MAIL_MAX_RECIPIENTS`.
    var maxRecipients: Int
    /// `INTAKE_MAIL_IDLE_SECONDS`: a silent connection is closed after this.
    var idleSeconds: Int
    /// `INTAKE_MAILBOXES`: comma-separated addresses taken for intake.
    var mailboxes: Set<String>
    /// `INTAKE_AUTHSERV_ID`: whose `Authentication-Results` are trusted.
    var authservId: String
    /// True when `INTAKE_AUTHSERV_ID` is set: mail without that server's pass is held.
    var requireAuthentication: Bool
    /// `INTAKE_MAIL_HOST`: where the mail listeners listen. Loopback by default: mail comes
    /// from the MTA on the same machine, which checks SPF/DKIM/DMARC; a listener open to the
    /// network would let anyone hand in mail as any unit.
    var mailHost: String
    /// `INTAKE_MAIL_MAX_CONNECTIONS`: mail sessions at once, each holding up to a whole
    /// message in memory; one more is answered 421 and the MTA tries again later.
    var maxMailConnections: Int

    init(_ environment: [String: String], dataDirectory: String) {
        func integer(_ key: String, _ fallback: Int) -> Int { environment[key].flatMap(Int.init) ?? fallback }
        maxAttachmentBytes = integer("INTAKE_MAX_ATTACHMENT_BYTES", SubmissionLimits.attachmentBytes)
        lmtpPort = integer("INTAKE_LMTP_PORT", 8024)
        smtpPort = integer("INTAKE_SMTP_PORT", 2525)
        hostname = environment["INTAKE_MAIL_HOSTNAME"] ?? "intake.\(SiteDomain.portal)"
        maxMessageBytes = integer("INTAKE_MAIL_MAX_BYTES", 25 * 1024 * 1024)
        maxRecipients = integer("INTAKE_MAIL_MAX_RECIPIENTS", 50)
        idleSeconds = integer("INTAKE_MAIL_IDLE_SECONDS", 300)
        mailboxes = Set((environment["INTAKE_MAILBOXES"] ?? "webmaster@\(SiteDomain.portal)")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        let configuredServer = environment["INTAKE_AUTHSERV_ID"].flatMap { $0.isEmpty ? nil : $0 }
        authservId = configuredServer ?? "mx.\(SiteDomain.portal)"
        requireAuthentication = configuredServer != nil
        mailHost = environment["INTAKE_MAIL_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        maxMailConnections = max(1, integer("INTAKE_MAIL_MAX_CONNECTIONS", 10))
    }
}

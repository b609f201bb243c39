import MessageBus
import Store
import Models

/// The five services: their schema, port, queue and the events each one consumes.
public enum PortalService: String, Sendable, CaseIterable, CustomStringConvertible {
    case intake, approval, publishing, feedback, finance

    public var description: String { rawValue }

    /// The schema the service owns and alone writes (DESIGN.md, Data).
    public var schema: String {
        switch self {
        case .approval: "editorial"
        default: rawValue
        }
    }

    public var defaultPort: Int {
        switch self {
        case .intake: 8081
        case .approval: 8082
        case .publishing: 8083
        case .feedback: 8084
        case .finance: 8085
        }
    }

    /// The largest request body any route of the service takes, in bytes: what a body sent
    /// without a length reserves of the process's body budget (`BodyBudget`).
    public var largestBody: Int {
        switch self {
        // A submission: 25 MiB of attachments in base64, and the rest of the JSON.
        case .intake: 26_214_400 / 3 * 4 + 2_000_000
        case .approval: 5 * 1024 * 1024
        default: 2 * 1024 * 1024
        }
    }

    /// e.g. `INTAKE_HTTP_PORT`.
    public var portVariable: String { "\(rawValue.uppercased())_HTTP_PORT" }

    /// Routing keys on `portal.events` that the service consumes.
    public var bindings: [String] {
        switch self {
        // The status that submitters see follows the item through the editorial flow.
        case .intake: ["article.#"]
        // Editors triage what intake received; published state closes an item.
        case .approval: ["submission.#", "article.published"]
        case .publishing: ["article.approved", "article.taken_down", "answer.published"]
        // Drafts for comment are kept when approved and open when published. (A question given its
        // field is routed in the transaction that receives it.)
        case .feedback: ["article.approved", "article.published", "article.taken_down"]
        // The ledger counts publications; activity reports count decisions and answers.
        case .finance: ["submission.received", "article.#", "question.#", "answer.published"]
        }
    }

    /// e.g. `INTAKE_AMQP_URL`: the service's own broker login.
    public var amqpURLVariable: String { "\(rawValue.uppercased())_AMQP_URL" }

    /// Routing keys the service publishes on `portal.events`: the event types its outbox holds.
    /// Its own broker login may publish these and nothing else (`portalctl broker permissions`).
    public var publishes: [String] {
        switch self {
        case .intake: [EventType.submissionReceived, EventType.submissionQuarantined]
        case .approval:
            [EventType.articleEditingStarted, EventType.articleSubmitted, EventType.articleApproved, EventType.articleRejected,
             EventType.articleReturned, EventType.articleResubmitted, EventType.articleTakenDown, EventType.articleWithdrawn]
        case .publishing: [EventType.articlePublished]
        case .feedback:
            [EventType.questionReceived, EventType.questionRouted, EventType.questionClassified, EventType.questionAnswered,
             EventType.questionReminded, EventType.questionEscalated, EventType.answerPublished, EventType.consultationOpened,
             EventType.consultationClosed, EventType.commentReceived]
        case .finance: []
        }
    }

    public var queueName: String { "\(rawValue).events" }

    public func queue(_ configuration: ServiceConfiguration) -> Topology.Queue {
        Topology.Queue(
            name: queueName, bindings: bindings, retryDelaysMilliseconds: configuration.retryDelaysMilliseconds,
            maxAttempts: configuration.maxAttempts)
    }

    /// The service's own migrations; `core` comes first for everyone.
    public var migrations: [Migration] {
        let messaging = Migration(1, "outbox and inbox", "CREATE SCHEMA IF NOT EXISTS \(schema);\n"
            + Outbox.migration(schema: schema) + Inbox.migration(schema: schema))
        // Shared by every schema, so numbered apart from each service's own migrations.
        let retention = Migration(100, "indexes for pruning the outbox and inbox", MessageRetention.migration(schema: schema))
        let refusals = Migration(101, "outbox rows the broker refused for good", Outbox.refusalMigration(schema: schema))
        switch self {
        case .intake: return [messaging] + IntakeMigrations.all + [retention, refusals]
        case .approval: return [messaging] + ApprovalMigrations.all + [retention, refusals]
        case .publishing: return [messaging] + PublishingMigrations.all + [retention, refusals]
        case .finance: return [messaging] + FinanceMigrations.all + [retention, refusals]
        case .feedback: return [messaging] + FeedbackMigrations.all + [retention, refusals]
        }
    }

    /// Every scope the service needs, in order.
    public var migrationScopes: [(scope: String, migrations: [Migration])] {
        [("core", CoreMigrations.all), (schema, migrations)]
    }

    /// All scopes of the system, for `portalctl migrate`.
    public static var allMigrationScopes: [(scope: String, migrations: [Migration])] {
        [("core", CoreMigrations.all)] + allCases.map { ($0.schema, $0.migrations) }
    }
}

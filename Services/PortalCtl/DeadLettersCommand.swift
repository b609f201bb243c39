import ArgumentParser
import Foundation
import MessageBus
import ServiceKit

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters", abstract: "Inspect and replay messages that their handlers gave up on.",
        subcommands: [List.self, Replay.self])

    struct QueueOptions: ParsableArguments {
        @Option(help: "The consuming queue, e.g. publishing.events; all queues when omitted.")
        var queue: String?

        @Option(help: "The most messages to handle per queue.")
        var limit = 100

        func queues(_ configuration: ServiceConfiguration) throws -> [Topology.Queue] {
            let all = configuration.topology.queues
            guard let queue else { return all }
            // A queue outside the services' own (a test's, a retired one) is addressed by name alone.
            let name = queue.hasSuffix(".dead") ? String(queue.dropLast(".dead".count)) : queue
            return [all.first(where: { $0.name == name }) ?? Topology.Queue(name: name, bindings: [])]
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show dead letters without removing them.")

        @OptionGroup var options: QueueOptions

        @Flag(help: "Print JSON.")
        var json = false

        struct Listed: Codable {
            let queue: String
            let messageId: String?
            let type: String?
            let routingKey: String
            let attempts: Int
            let reason: String?
            let lastError: String?
            let body: String
        }

        func run() async throws {
            let tool = ToolContext()
            let link = BrokerLink(name: "portalctl", configuration: try tool.configuration.broker, topology: tool.configuration.topology, logger: tool.logger)
            var listed = [Listed]()
            for queue in try options.queues(tool.configuration) {
                for message in try await DeadLetters(link: link).list(queue: queue, limit: options.limit) {
                    listed.append(Listed(
                        queue: queue.deadQueue, messageId: message.messageId, type: message.type,
                        routingKey: message.originalRoutingKey, attempts: message.attempt,
                        reason: message.headers[Topology.Header.deathReason]?.stringValue,
                        lastError: message.headers[Topology.Header.lastError]?.stringValue,
                        body: String(decoding: message.body, as: UTF8.self)))
                }
            }
            await link.close()
            await tool.database.close()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(listed), as: UTF8.self))
            } else if listed.isEmpty {
                print("No dead letters.")
            } else {
                for message in listed {
                    print("\(message.queue)  \(message.messageId ?? "-")  \(message.type ?? message.routingKey)  attempts=\(message.attempts)  reason: \(message.reason ?? "broker delivery limit")")
                }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay", abstract: "Send dead letters back to their queue with a fresh attempt count.")

        @OptionGroup var options: QueueOptions

        func run() async throws {
            let tool = ToolContext()
            let link = BrokerLink(name: "portalctl", configuration: try tool.configuration.broker, topology: tool.configuration.topology, logger: tool.logger)
            var total = 0
            for queue in try options.queues(tool.configuration) {
                let count = try await DeadLetters(link: link).replay(queue: queue, limit: options.limit)
                if count > 0 { print("\(queue.deadQueue): replayed \(count) to \(queue.name)") }
                total += count
            }
            await link.close()
            await tool.database.close()
            print("Replayed \(total) message(s).")
        }
    }
}

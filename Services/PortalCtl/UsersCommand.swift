import ArgumentParser
import Foundation
import Models
import ServiceKit
import Store

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Users and their roles.", subcommands: [List.self, SetPassword.self])

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password", abstract: "Set a user's password for the web pages (read from standard input, one line).")

        @Option(help: "The user's login.")
        var user: String

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("give the password on standard input, e.g. `printf '%s\\n' \"$PASSWORD\" | portalctl users set-password --user LOGIN`")
            }
            try await ToolContext().run { tool in try await Passwords(database: tool.database).set(login: user, password: password) }
            print("password set for \(user)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List users with login, email, roles and unit (with its domain).")

        @Flag(help: "Print JSON for scripts and tests.")
        var json = false

        struct Listed: Codable {
            struct Unit: Codable {
                let code: String
                let name: String
                let kind: String
                let domain: String?
            }
            let login: String
            let fullName: String
            let email: String
            let roles: [String]
            let unit: Unit?
        }

        func run() async throws {
            let users = try await ToolContext().run { tool in
                try await tool.database.withConnection { connection in
                    try connection.query(
                        """
                        SELECT u.login, u.full_name, u.email, un.code, un.name, un.kind, un.label,
                               coalesce((SELECT string_agg(role, ';' ORDER BY role) FROM core.user_roles r WHERE r.user_id = u.id), '') AS roles
                        FROM core.users u LEFT JOIN core.units un ON un.code = u.unit_code
                        WHERE u.active ORDER BY u.login
                        """
                    ).rows.map { row -> Listed in
                        var unit: Listed.Unit?
                        if let code = try row.decodeIfPresent("code", as: String.self) {
                            let kind = try row.decode("kind", as: String.self)
                            let label = try row.decodeIfPresent("label", as: String.self)
                            let domain = kind == UnitKind.province.rawValue
                                ? SiteDomain.portal
                                : label.flatMap(DomainLabel.init(validating:)).map { SiteDomain.domain(for: $0) }
                            unit = .init(code: code, name: try row.decode("name"), kind: kind, domain: domain)
                        }
                        return Listed(
                            login: try row.decode("login"), fullName: try row.decode("full_name"),
                            email: try row.decode("email"),
                            roles: try row.decode("roles", as: String.self).split(separator: ";").map(String.init),
                            unit: unit)
                    }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(users), as: UTF8.self))
            } else {
                for user in users {
                    let unit = user.unit.map { "\($0.name) (\($0.domain ?? "no domain"))" } ?? "-"
                    print("\(user.login.padding(toLength: 20, withPad: " ", startingAt: 0)) \(user.roles.joined(separator: ",").padding(toLength: 28, withPad: " ", startingAt: 0)) \(user.email)  \(unit)")
                }
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Bearer tokens for scripts and tests.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Print a new bearer token for a user (shown once; only its hash is kept).")

        @Option(help: "The user's login.")
        var user: String

        @Option(help: "A note on what the token is for.")
        var label = "portalctl"

        @Option(help: "Days until the token expires (default PORTAL_TOKEN_TTL_DAYS or 365).")
        var days: Int?

        func run() async throws {
            let token = try await ToolContext().run { tool in
                try await ApiTokens(database: tool.database).create(
                    login: user, label: label, lifetimeDays: days ?? tool.configuration.tokenLifetimeDays)
            }
            print(token)
        }
    }
}

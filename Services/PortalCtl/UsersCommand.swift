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
        commandName: "token", abstract: "Bearer tokens for scripts and API clients: create, list, revoke.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Print a new bearer token for a user (shown once; only its hash is kept).",
            discussion: "The token works only while its user is active and in the unit they are in now, until it expires or is revoked.")

        @Option(help: "The user's login.")
        var user: String

        @Option(help: "A note on what the token is for.")
        var label = "portalctl"

        @Option(name: .customLong("role"), help: "Only this role of the user's (repeat for several; default: all of them).")
        var roles: [String] = []

        @Option(help: "The last day the token works, YYYY-MM-DD (Ho Chi Minh City time).")
        var expires: String?

        @Option(help: "Days until the token expires, instead of --expires (default PORTAL_TOKEN_TTL_DAYS or 365).")
        var days: Int?

        func validate() throws {
            for role in roles where Role(rawValue: role) == nil {
                throw ValidationError("unknown role '\(role)'; roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if expires != nil, days != nil { throw ValidationError("give --expires or --days, not both") }
            if let days, days < 1 { throw ValidationError("--days must be at least 1") }
            if let expires {
                guard let day = LocalDate(iso: expires) else { throw ValidationError("--expires must be a date YYYY-MM-DD: \(expires)") }
                guard day >= LocalDate.today else { throw ValidationError("--expires \(expires) is in the past") }
            }
        }

        func run() async throws {
            let token = try await ToolContext().run { tool in
                let expiresAt: Date
                if let expires, let day = LocalDate(iso: expires) {
                    // The whole of that day in Ho Chi Minh City.
                    let midnight = Double(day.adding(days: 1).daysSinceEpoch) * 86_400
                    expiresAt = Date(timeIntervalSince1970: midnight - Double(PortalCalendar.timeZone.secondsFromGMT()))
                } else {
                    expiresAt = Date().addingTimeInterval(Double(days ?? tool.configuration.tokenLifetimeDays) * 86_400)
                }
                do {
                    return try await ApiTokens(database: tool.database).create(
                        login: user, label: label, expiresAt: expiresAt, roles: roles.isEmpty ? nil : Set(roles.compactMap(Role.init(rawValue:))))
                } catch let refused as ApiTokens.ScopeRefused {
                    throw ValidationError(refused.description)
                } catch let unknown as ApiTokens.UnknownUser {
                    throw ValidationError(unknown.description)
                }
            }
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "A user's tokens: roles, unit, expiry, revocation.")

        @Option(help: "The user's login.")
        var user: String

        func run() async throws {
            let tokens = try await ToolContext().run { try await ApiTokens(database: $0.database).list(login: user) }
            if tokens.isEmpty { print("\(user) has no token.") }
            for token in tokens {
                let state = token.revokedAt.map { "revoked \(PortalCalendar.dateTime($0))" }
                    ?? (token.expiresAt < Date() ? "expired" : "until \(PortalCalendar.dateTime(token.expiresAt.addingTimeInterval(-1)))")
                print("\(token.id.uuidString.lowercased())  \(token.label)  roles: \(token.roles?.joined(separator: ",") ?? "all")  unit: \(token.unitCode ?? "-")  \(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a token by its id (from `token list`), or every token of a user with --user.",
            discussion: "Services that verified the token in the last 30 seconds accept it until then.")

        @Argument(help: "The token's id.")
        var id: String?

        @Option(help: "Revoke every live token of this user.")
        var user: String?

        func validate() throws {
            guard (id == nil) != (user == nil) else { throw ValidationError("give a token id or --user, one of them") }
            if let id, UUID(uuidString: id) == nil { throw ValidationError("not a token id: \(id)") }
        }

        func run() async throws {
            let count = try await ToolContext().run {
                try await ApiTokens(database: $0.database).revoke(id: id.flatMap(UUID.init(uuidString:)), login: user)
            }
            guard count > 0 else { throw ValidationError("no live token matched; nothing revoked") }
            print("Revoked \(count) token\(count == 1 ? "" : "s").")
        }
    }
}

import ArgumentParser
import Configuration
import Foundation
import KefuApp
import KefuCore
import KefuStore

/// `kefu tokens`: named API tokens with a role and an account scope (README, Security). The same
/// as `/api/v1/tokens`, for whoever can run kefu on a host with the store.
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke named API tokens (viewer, operator or admin; optionally scoped to accounts).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once (only its SHA-256 is stored).")

        @OptionGroup var common: CommonOptions

        @Option(help: "Its name, as the audit log shows it (letters, digits, spaces, - _ . @; up to 64).")
        var name: String

        @Option(help: "viewer (reads), operator (tasks, rules, media, test sends) or admin (everything).")
        var role: String

        @Option(help: "Comma-separated appids it sees (default: every account; not for admin).")
        var accounts: String?

        @Option(help: "Lifetime: 30m, 12h, 90d … (default: until revoked).")
        var expires: String?

        func run() async throws {
            do {
                guard let role = AccessRole(rawValue: role) else { throw KefuError.invalid("--role", "must be viewer, operator or admin") }
                let scope = accounts.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                let now = SystemWallClock().nowMillis()
                let expiresAt = try expires.map { now + (try ApiToken.lifetime($0, field: "--expires")) }
                let (token, secret) = try TokenAuthority.mint(name: name, role: role, accounts: scope, expiresAt: expiresAt, now: now)
                try await withCommandStore(common.reader()) { store, _ in try await store.createApiToken(token) }
                say(secret)
                say("token \(token.id) \"\(token.name)\": \(token.role.rawValue), " + (token.accounts.map { "accounts \($0.joined(separator: ","))" } ?? "every account")
                    + (token.expiresAt.map { ", expires \(RFC3339.format(millis: $0))" } ?? "")
                    + " — shown once: kefu keeps only its SHA-256")
            } catch {
                throw CommandFailure(error)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their secrets).")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            do {
                let tokens = try await withCommandStore(common.reader()) { store, _ in try await store.apiTokens() }
                let now = SystemWallClock().nowMillis()
                if tokens.isEmpty { say("no tokens") }
                for token in tokens {
                    let state = token.revokedAt != nil ? "revoked" : token.isActive(now: now) ? "active" : "expired"
                    say("\(token.id)  \(token.role.rawValue)  \(state)  \"\(token.name)\"  "
                        + (token.accounts?.joined(separator: ",") ?? "every account")
                        + (token.expiresAt.map { "  expires \(RFC3339.format(millis: $0))" } ?? ""))
                }
            } catch {
                throw CommandFailure(error)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token for good (its console sessions end too).")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The token's id (tok_…), as `kefu tokens list` shows it.")
        var id: String

        func run() async throws {
            do {
                let revoked = try await withCommandStore(common.reader()) { store, _ in
                    try await store.revokeApiToken(id: id, now: SystemWallClock().nowMillis())
                }
                guard revoked else { throw KefuError(.notFound, "no token \(id) to revoke (kefu tokens list shows them)") }
                say("revoked \(id)")
            } catch {
                throw CommandFailure(error)
            }
        }
    }
}

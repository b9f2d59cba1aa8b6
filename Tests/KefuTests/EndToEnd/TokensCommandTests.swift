import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEnd {
/// `kefu tokens` as an operator runs it beside a running `kefu serve` on the same store.
@Suite("kefu tokens", .serialized)
struct TokensCommandTests {
    @Test("create prints the token once; it works at once on the running server, scoped; list never shows it; revoke ends it; bad values are one line",
          arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let a = TestAccounts.plain(71), b = TestAccounts.plain(72)
            try await harness.addAccount(a, mode: "plain")
            try await harness.addAccount(b, mode: "plain")
            func kefu(_ arguments: [String]) async throws -> (Int32, [String]) {
                let (code, output) = try await SecretsProcessTests.run(arguments + ["--database", harness.database], in: harness.directory)
                return (code, CommandLineTests.lines(output))
            }
            let (created, lines) = try await kefu(["tokens", "create", "--name", "运营 A", "--role", "viewer", "--accounts", a.appid, "--expires", "90d"])
            #expect(created == 0, "\(lines)")
            let secret = try #require(lines.first { $0.hasPrefix("kefu_") })
            #expect(lines.contains { $0.contains("viewer, accounts \(a.appid), expires") })
            let id = try #require(lines.first { $0.hasPrefix("token tok_") }.map { String($0.dropFirst("token ".count).prefix(16)) })

            let listed = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/accounts", headers: [("Authorization", "Bearer \(secret)")])
            #expect(listed.status == 200)
            #expect((listed.json?["accounts"] as? [[String: Any]])?.compactMap { $0["appid"] as? String } == [a.appid])
            let forbidden = try await TestHTTP.post("\(harness.server!.baseURL)/api/v1/tasks", #"{"name": "t", "appid": "\#(a.appid)", "message": {"msgtype": "text", "text": {"content": "x"}}}"#,
                                                    headers: [("Authorization", "Bearer \(secret)")])
            #expect(forbidden.status == 403)

            let (_, list) = try await kefu(["tokens", "list"])
            #expect(list.contains { $0.hasPrefix(id) && $0.contains("viewer  active  \"运营 A\"  \(a.appid)") }, "\(list)")
            #expect(!list.joined().contains(secret))
            let (revoked, revokeLines) = try await kefu(["tokens", "revoke", id])
            #expect(revoked == 0 && revokeLines == ["revoked \(id)"])
            let after = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/accounts", headers: [("Authorization", "Bearer \(secret)")])
            #expect(after.status == 401)

            for (arguments, says) in [
                (["tokens", "create", "--name", "x", "--role", "root"], "--role: must be viewer, operator or admin"),
                (["tokens", "create", "--name", "x", "--role", "viewer", "--accounts", "wxBAD"], "accounts: \"wxBAD\" is not an appid"),
                (["tokens", "create", "--name", "admin", "--role", "viewer"], "name: \"admin\" is reserved"),
                (["tokens", "create", "--name", "x", "--role", "viewer", "--expires", "1y"], "--expires: must be a whole number"),
                (["tokens", "create", "--name", "运营 A", "--role", "viewer"], "a token named \"运营 A\" exists already"),
                (["tokens", "revoke", "tok_000000000000"], "no token tok_000000000000 to revoke"),
            ] {
                let (code, output) = try await kefu(arguments)
                #expect(code == 1, "\(arguments)")
                #expect(output.count == 1 && output[0].contains(says), "\(output)")
            }
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }
}
}

import Foundation
import KefuCore
import KefuTestSupport
import Testing

/// Where schemathesis is: `KEFU_SCHEMATHESIS`, else the virtualenv scripts/test makes.
enum Schemathesis {
    static var executable: String? {
        if let path = ProcessInfo.processInfo.environment["KEFU_SCHEMATHESIS"] { return path }
        let venv = Repository.root.appendingPathComponent(".build/contract-venv/bin/st").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }
}

extension EndToEndWaiting {
/// The admin API against its OpenAPI document (docs/openapi.yaml), with schemathesis from PyPI
/// driving a real `kefu serve` on each store: no 5xx, every status, content type and body as
/// documented, schema-violating and hostile bodies refused with a 4xx in the error shape, and
/// nothing stored by a refused request (`kefu_contract_hooks.py`): 20 examples per operation on
/// SQLite, 15 on PostgreSQL (whose run adds the store's answers, not new routes). Then, on
/// SQLite, again with a viewer token scoped to the seeded account: its 403s and 404s are
/// documented too. Roles and scopes are decided before any handler runs, so the viewer run skips
/// the store-nothing check (six reads after every refused call, most of its time), and their
/// store queries have their own tests on both backends (`ScopedTokenTests`). These choices keep
/// CI within its 40 minutes.
@Suite("API contract (schemathesis)", .serialized,
       .enabled(if: Schemathesis.executable != nil || ProcessInfo.processInfo.environment["KEFU_CONTRACT_TESTS"] == "required",
                "needs schemathesis (scripts/test installs it from PyPI into .build/contract-venv)"))
struct ContractTests {
    static let seeded = TestAccounts.appid(0x51)

    @Test("schemathesis finds nothing: no 5xx, answers as documented, bad bodies refused with the error shape, refusals store nothing",
          arguments: StoreBackend.allCases)
    func schemathesis(backend: StoreBackend) async throws {
        let st = try #require(Schemathesis.executable, "schemathesis is not installed: run scripts/test, which installs it")
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, backend: backend)
        do {
            let server = try await harness.startServer(extra: ["--workers", "0"])
            try await Self.seed(harness)
            for (role, examples) in backend == .sqlite ? [("admin", 20), ("viewer", 5)] : [("admin", 15)] {
                let started = ContinuousClock.now
                // The viewer's token is made after the admin's run, which may revoke every token it finds.
                let token = role == "admin" ? harness.adminToken : try #require(try await TestHTTP.post(
                    "\(server.baseURL)/api/v1/tokens", #"{"name": "contract viewer", "role": "viewer", "accounts": ["\#(Self.seeded)"]}"#,
                    headers: harness.auth).json?["token"] as? String)
                let run = try KefuProcess(
                    executable: st,
                    arguments: ["run", "\(server.baseURL)/api/v1/openapi.json", "--header", "Authorization: Bearer \(token)",
                                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
                                    + (role == "admin" ? ",rejected_request_changes_nothing" : ""),
                                "--max-examples", "\(examples)", "--seed", "1", "--workers", "1", "--no-color",
                                "--request-timeout", "20", "--suppress-health-check", "all"],
                    environment: ["SCHEMATHESIS_HOOKS": "kefu_contract_hooks",
                                  "PYTHONPATH": Repository.root.appendingPathComponent("Tests/KefuTests/Contract").path,
                                  "KEFU_CONTRACT_BASE": server.baseURL, "KEFU_CONTRACT_TOKEN": harness.adminToken,
                                  "KEFU_CONTRACT_ACCOUNTS": Self.seeded],
                    directory: harness.directory.path, logName: "schemathesis-\(role)")
                try await eventually("schemathesis to finish", timeout: .seconds(900), poll: .milliseconds(500)) { !run.process.isRunning }
                let output = run.output
                #expect(run.process.terminationStatus == 0, "schemathesis as \(role), \(examples) examples per operation:\n\(output.suffix(6000))")
                #expect(output.contains("Tested: 32"), "every operation but the public document tested:\n\(output.suffix(2000))")
                print("schemathesis as \(role) on \(backend): \(ContinuousClock.now - started)")
            }
            #expect(!server.output.contains("unexpected error"), "\(server.output.suffix(3000))")
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    /// What the document's examples name: the account, a follower, task 1 and rule 1.
    static func seed(_ harness: ProcessHarness) async throws {
        let base = harness.server!.baseURL
        let now = RFC3339.format(millis: SystemWallClock().nowMillis())
        let calls: [(String, String)] = [
            ("/api/v1/accounts", #"{"appid": "\#(seeded)", "app_secret": "secret0123456789secret0123456789", "token": "kefutoken51"}"#),
            ("/api/v1/accounts/\(seeded)/interactions", #"{"interactions": [{"openid": "oFollower", "kind": "message", "at": "\#(now)"}]}"#),
            ("/api/v1/tasks", #"{"name": "seed", "appid": "\#(seeded)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "text", "text": {"content": "hi"}}}"#),
            ("/api/v1/rules", #"{"name": "seed", "appid": "\#(seeded)", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": {"msgtype": "text", "text": {"content": "hi"}}}"#),
        ]
        for (path, body) in calls {
            let reply = try await TestHTTP.post("\(base)\(path)", body, headers: harness.auth)
            guard (200..<300).contains(reply.status) else { throw TimedOut(description: "seeding \(path): \(reply.status) \(reply.body)") }
        }
    }
}
}

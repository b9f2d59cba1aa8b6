import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEnd {
/// The real `kefu` binary, as separate OS processes, against the simulator process.
@Suite("kefu serve and the simulator as processes", .serialized)
struct ServeProcessTests {
    /// WeChat's shape with long grants, so no window closes while the test compares.
    static let policy = #"{"grants": [{"on": "message", "sends": 5, "seconds": 7200}, {"on": "subscribe", "sends": 3, "seconds": 3600}, {"on": "scan", "sends": 3, "seconds": 3600}, {"on": "click", "sends": 3, "seconds": 3600}]}"#

    @Test("1,000 interactions from 300 followers: kefu's audience equals the simulator's own", arguments: ["safe", "plain"], StoreBackend.allCases)
    func audienceMatchesSimulator(mode: String, backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            try await harness.startServer()
            let account = mode == "safe" ? TestAccounts.aes(7) : TestAccounts.plain(8)
            try await harness.addAccount(account, mode: mode)
            let run = try await TestHTTP.post("\(harness.simulator.baseURL)/sim/run",
                TestHTTP.json(["appid": account.appid, "followers": 300, "interactions": 1000, "concurrency": 24, "seed": 42]))
            let summary = try #require(run.json, "\(run.body)")
            #expect(summary["pushed"] as? Int == 1000)
            #expect(summary["acknowledged"] as? Int == 1000)
            let expected = try await harness.simulatorAudience(account.appid)
            let actual = try await harness.kefuAudience(account.appid)
            #expect(expected.count > 50, "the mix should leave many windows open")
            #expect(Set(actual.keys) == Set(expected.keys))
            for (openid, row) in expected where actual[openid] != row {
                Issue.record("\(openid): simulator \(row), kefu \(String(describing: actual[openid]))")
            }
            let metrics = try await TestHTTP.get("\(harness.server!.baseURL)/metrics").body
            // Every push recorded exactly once: none lost, none taken for a retry.
            #expect(metrics.contains("kefu_callbacks{outcome=\"recorded\"} 1000"), "\(metrics)")
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output ?? "")")
        }
        await harness.shutdown()
    }

    @Test("a server stopped (SIGTERM) or killed (SIGKILL) and started again keeps every acknowledged interaction", arguments: StoreBackend.allCases)
    func restartKeepsEverything(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            try await harness.startServer()
            let account = TestAccounts.plain(9)
            try await harness.addAccount(account, mode: "plain")
            _ = try await TestHTTP.post("\(harness.simulator.baseURL)/sim/run",
                TestHTTP.json(["appid": account.appid, "followers": 80, "interactions": 200, "seed": 7]))
            let before = try await harness.kefuAudience(account.appid)
            #expect(!before.isEmpty)

            try await harness.server!.kill()
            try await harness.startServer()
            #expect(try await harness.kefuAudience(account.appid) == before)

            try await harness.server!.stop()
            try await harness.startServer()
            #expect(try await harness.kefuAudience(account.appid) == before)
            let accounts = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/accounts/\(account.appid)", headers: harness.auth)
            #expect(accounts.status == 200)
            let simulated = try await harness.simulatorAudience(account.appid)
            for (openid, row) in simulated where before[openid] != row {
                Issue.record("\(openid): simulator \(row), kefu \(String(describing: before[openid]))")
            }
            for openid in Set(before.keys).subtracting(simulated.keys) { Issue.record("\(openid): only kefu has it open") }
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output ?? "")")
        }
        await harness.shutdown()
    }

    /// WeChat's field names for each simulated action, as kefu logs them in `detail`.
    static let details = [
        "text": "text", "image": "image", "voice": "voice", "location": "location", "subscribe": "subscribe",
        "unsubscribe": "unsubscribe", "scan": "SCAN", "click": "CLICK", "scancode_push": "scancode_push",
        "view": "VIEW", "report_location": "LOCATION", "unknown": "hologram",
    ]

    @Test("SIGTERM while pushes arrive: the server drains, and every push it acknowledged is recorded", arguments: StoreBackend.allCases)
    func gracefulShutdownUnderLoad(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            let server = try await harness.startServer()
            let account = TestAccounts.plain(10)
            try await harness.addAccount(account, mode: "plain")
            let simulator = harness.simulator.baseURL
            async let run = TestHTTP.post("\(simulator)/sim/run", TestHTTP.json(
                ["appid": account.appid, "followers": 150, "interactions": 900, "concurrency": 32, "rate": 300, "seed": 3]))
            func pushes() async throws -> [[String: Any]] {
                try await TestHTTP.get("\(simulator)/sim/pushes?appid=\(account.appid)").json?["pushes"] as? [[String: Any]] ?? []
            }
            try await eventually("150 pushes acknowledged") { try await pushes().filter { $0["status"] as? Int == 200 }.count >= 150 }
            try await server.stop()
            #expect(server.process.terminationStatus == 0, "graceful exit")
            _ = try await run
            try await harness.startServer()
            let acknowledged = try await pushes().filter { $0["status"] as? Int == 200 }
            #expect(acknowledged.count >= 150)
            var expected: [String: [String]] = [:]
            for push in acknowledged {
                let detail = Self.details[push["action"] as! String]!
                expected[push["openid"] as! String, default: []].append("\(detail)@\(push["create_time"] as! Int)")
            }
            for (openid, wanted) in expected {
                let ledger = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/accounts/\(account.appid)/followers/\(openid)",
                                                    headers: harness.auth).json ?? [:]
                var recorded: [String: Int] = [:]
                for item in ledger["recent_interactions"] as? [[String: Any]] ?? [] {
                    let at = (RFC3339.parse(item["at"] as? String ?? "") ?? 0) / 1000
                    recorded["\(item["detail"] as? String ?? "")@\(at)", default: 0] += 1
                }
                for item in wanted {
                    if (recorded[item] ?? 0) > 0 { recorded[item]! -= 1 } else { Issue.record("\(openid): acknowledged \(item) was not recorded") }
                }
            }
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output ?? "")")
        }
        await harness.shutdown()
    }

    @Test("kefu demo shows the whole pipeline on a fresh machine and exits cleanly")
    func demo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try KefuProcess(arguments: ["demo", "--port", "0", "--simulator-port", "0", "--followers", "120", "--exit-when-done"],
                                      directory: directory.path, logName: "demo")
        try await eventually("the demo to finish", timeout: .seconds(120)) { !process.process.isRunning }
        #expect(process.process.terminationStatus == 0, "\(process.output)")
        #expect(process.output.contains("completed — audience"), "\(process.output)")
        #expect(process.output.contains("/console/sign-in/link?code="), "a one-time sign-in link: \(process.output)")
        let accepted = process.output.components(separatedBy: "accepted ").dropFirst().first?.prefix { $0.isNumber }
        #expect((Int(accepted ?? "") ?? 0) > 0, "\(process.output)")
        // The media part: an image (as an agent) and a mini-program card, each file uploaded once.
        #expect(process.output.contains("(Demo picture): sent "), "\(process.output)")
        #expect(process.output.contains("(Demo mini-program card): sent "), "\(process.output)")
        #expect(process.output.contains("(2 uploads for both tasks)"), "\(process.output)")
        #expect(process.output.contains(#""media_id":"SIM_"#) && process.output.contains(#""kf_account":"xiaomei@demo""#), "\(process.output)")
        for task in ["Demo picture", "Demo mini-program card"] {
            let line = process.output.split(separator: "\n").first { $0.contains("(\(task)): sent ") } ?? ""
            #expect(!line.contains("sent 0,") && line.contains("failed 0"), "\(line)")
        }
    }

    @Test("kefu serve refuses bad configuration with a clear message and no stack trace", arguments: [
        (["serve", "--port", "nope"], "port"),
        (["serve", "--host", "0.0.0.0", "--port", "0"], "KEFU_ADMIN_TOKEN"),
        (["serve", "--port", "0", "--window-policy", "/nonexistent.json"], "--window-policy"),
        (["serve", "--port", "0", "--database", "mysql://x"], "--database"),
        (["serve", "--port", "0", "--log-level", "loud"], "--log-level"),
        (["serve", "--port", "0", "--media-limits", "/nonexistent.json"], "--media-limits"),
        (["serve", "--port", "0", "--media-max-age", "300000"], "--media-max-age"),
        (["serve", "--port", "0", "--audit-retention-days", "0"], "--audit-retention-days"),
        (["serve", "--port", "0", "--max-pending-pushes", "0"], "--max-pending-pushes"),
        (["serve", "--port", "0", "--master-key-file", "/nonexistent/master-key"], "--master-key-file"),
        (["keys", "rotate", "--new-key-file", "/nonexistent/new-key"], "--new-key-file"),
        (["tokens", "create", "--name", "x\u{7}", "--role", "viewer"], "name"),
        (["console-link", "--minutes", "0"], "--minutes"),
        (["console-link", "--public-url", "ftp://kefu.example.cn"], "--public-url"),
    ])
    func badConfiguration(arguments: [String], mention: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try KefuProcess(arguments: arguments, directory: directory.path, logName: "bad")
        try await eventually("kefu to exit") { !process.process.isRunning }
        #expect(process.process.terminationStatus != 0)
        #expect(process.output.contains(mention), "\(process.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("kefu.db")) || arguments.contains("--log-level") == false)
    }
}
}

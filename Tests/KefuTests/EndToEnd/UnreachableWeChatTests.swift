import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEndWaiting {
/// WeChat cannot be reached at all (nothing listens where the worker sends): no delivery is
/// skipped or failed, the account shows `WeChat unreachable`, and when WeChat comes up on that
/// address every delivery is sent exactly once.
@Suite("WeChat unreachable", .serialized)
struct UnreachableWeChatTests {
    @Test("a broadcast while nothing listens at WeChat's address: paused, nothing lost, each sent once when it answers",
          arguments: StoreBackend.allCases)
    func unreachable(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, backend: backend)
        var late: KefuProcess?
        var worker: KefuProcess?
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = BroadcastProcessTests.account(31, rate: 500)
            let openids = try await BroadcastProcessTests.addAccount(account, to: harness, talkers: "oGone", count: 120)
            // Nothing listens on this port until the late simulator starts there.
            let wechatPort = try FreePort.make()
            worker = try KefuProcess(
                arguments: ["worker", "--database", harness.database, "--window-policy", harness.policyPath,
                            "--wechat-api", "http://127.0.0.1:\(wechatPort)", "--wechat-unreachable-after", "3"],
                directory: harness.directory.path, logName: "worker-unreachable")
            let started = ContinuousClock.now
            let id = try await harness.createTask(appid: account.appid, message: BroadcastProcessTests.messages[0])
            let accountURL = "\(harness.server!.baseURL)/api/v1/accounts/\(account.appid)"
            func noneLost() async throws {
                let stats = BroadcastProcessTests.stats(try await harness.task(id))
                #expect(stats["skipped"] as? Int == 0, "\(stats)")
                #expect(stats["failed"] as? Int == 0, "\(stats)")
                #expect(stats["sent"] as? Int == 0, "\(stats)")
            }
            try await eventually("the account to be paused as WeChat unreachable", timeout: .seconds(60), poll: .milliseconds(200)) {
                try await noneLost()
                let reason = try await TestHTTP.get(accountURL, headers: harness.auth).json?["pause_reason"] as? String ?? ""
                return reason.hasPrefix("WeChat unreachable: ")
            }
            // The scenario lasts 15 s of unreachability; every moment of it, nothing is lost.
            try await eventually("15 s of WeChat unreachable", timeout: .seconds(60), poll: .milliseconds(200)) {
                try await noneLost()
                return ContinuousClock.now - started >= .seconds(15)
            }
            #expect(try await harness.task(id)["status"] as? String == "running")
            let log = worker!.output
            #expect(log.components(separatedBy: "WeChat not reachable").count - 1 == 1, "logged once per state change:\n\(log)")
            #expect(log.components(separatedBy: "WeChat unreachable: pausing").count - 1 == 1, "\(log)")
            #expect(!log.contains("send outcome unknown"), "\(log)")

            // WeChat comes up at that address, knowing the followers (they had messaged it).
            late = try KefuProcess(arguments: ["simulator", "--port", "\(wechatPort)", "--window-policy", harness.policyPath],
                                   directory: harness.directory.path, logName: "simulator-late")
            try await late!.waitUntilListening()
            // The worker probes as soon as the account exists there, and a send that arrived
            // before the followers' messages would rightly be refused 45015 (window closed, as
            // far as that WeChat knows): until they have played, it answers -1 (retried).
            #expect(try await TestHTTP.post("\(late!.baseURL)/sim/faults", TestHTTP.json(["busy_rate": 1.0])).status == 200)
            var sim: [String: Any] = ["appid": account.appid, "secret": account.appSecret, "token": account.token, "mode": "plain",
                                      "callback_url": "\(harness.server!.baseURL)/wechat/\(account.appid)"]
            if let original = account.originalId { sim["original_id"] = original }
            #expect(try await TestHTTP.post("\(late!.baseURL)/sim/accounts", TestHTTP.json(sim)).status == 201)
            let played = try await TestHTTP.post("\(late!.baseURL)/sim/play", TestHTTP.json([
                "appid": account.appid, "actions": BroadcastProcessTests.actions("text", openids), "concurrency": 32]))
            #expect(played.json?["acknowledged"] as? Int == openids.count)
            #expect(try await TestHTTP.post("\(late!.baseURL)/sim/faults", TestHTTP.json(["busy_rate": 0.0])).status == 200)
            try await harness.waitForTask(id, status: "completed", timeout: .seconds(120))
            let stats = BroadcastProcessTests.stats(try await harness.task(id))
            #expect(stats["sent"] as? Int == openids.count, "\(stats)")
            let skipped = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/tasks/\(id)/deliveries?state=skipped&limit=20",
                                                 headers: harness.auth).json?["deliveries"] ?? []
            #expect(stats["skipped"] as? Int == 0, "\(stats)\n\(skipped)")
            let received = try await TestHTTP.get("\(late!.baseURL)/sim/messages?appid=\(account.appid)").json?["messages"] as? [[String: Any]] ?? []
            let counts = Dictionary(grouping: received.compactMap { $0["openid"] as? String }, by: { $0 }).mapValues(\.count)
            #expect(Set(counts.keys) == Set(openids))
            #expect(counts.values.allSatisfy { $0 == 1 }, "each exactly once")
            try await eventually("the pause to be lifted") {
                try await TestHTTP.get(accountURL, headers: harness.auth).json?["pause_reason"] == nil
            }
            #expect(worker!.output.contains("WeChat reachable again"))
        } catch {
            // What the worker saw is what explains a stall; the harness's directory goes with it.
            Issue.record("\(error)\n--- worker log ---\n\(worker?.output.suffix(6000) ?? "")")
            try? await worker?.stop()
            try? await late?.stop()
            await harness.shutdown()
        }
        try await worker?.stop()
        try await late?.stop()
        await harness.shutdown()
    }
}
}

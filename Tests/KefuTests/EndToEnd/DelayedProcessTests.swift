import Foundation
import KefuCore
import NIOHTTP1
import KefuTestSupport
import Testing

extension EndToEndWaiting {
/// Delayed rules end to end with real processes and the simulator.
@Suite("Delayed messages with real worker processes", .serialized)
struct DelayedProcessTests {
    static let policy = #"{"grants": [{"on": "message", "sends": 5, "seconds": 3600}, {"on": "subscribe", "sends": 3, "seconds": 60}, {"on": "scan", "sends": 3, "seconds": 60}, {"on": "click", "sends": 3, "seconds": 60}]}"#

    static func rule(_ harness: ProcessHarness, appid: String, trigger: [String: Any], delay: Int, text: String, extra: [String: Any] = [:]) async throws -> Int {
        var body: [String: Any] = ["name": text, "appid": appid, "trigger": trigger, "delay_seconds": delay,
                                   "message": ["msgtype": "text", "text": ["content": text]]]
        body.merge(extra) { $1 }
        let reply = try await TestHTTP.post("\(harness.server!.baseURL)/api/v1/rules", TestHTTP.json(body), headers: harness.auth)
        guard reply.status == 201, let id = reply.json?["id"] as? Int else { throw TimedOut(description: "rule not created: \(reply.body)") }
        return id
    }

    static func ruleDeliveries(_ harness: ProcessHarness, _ id: Int) async throws -> [[String: Any]] {
        try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/rules/\(id)/deliveries?limit=1000", headers: harness.auth)
            .json?["deliveries"] as? [[String: Any]] ?? []
    }

    static func push(_ harness: ProcessHarness, _ appid: String, _ openid: String, _ kind: String, key: String? = nil, content: String? = nil) async throws {
        var action: [String: Any] = ["openid": openid, "kind": kind]
        if let key { action["key"] = key }
        if let content { action["content"] = content }
        let reply = try await TestHTTP.post("\(harness.simulator.baseURL)/sim/push", TestHTTP.json(["appid": appid, "action": action]))
        guard reply.json?["status"] as? Int == 200 else { throw TimedOut(description: "push failed: \(reply.body)") }
    }

    /// Texts received per openid.
    static func texts(_ harness: ProcessHarness, _ appid: String) async throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for message in try await harness.received(appid) {
            let body = try JSONSerialization.jsonObject(with: Data((message["body"] as! String).utf8)) as! [String: Any]
            result[message["openid"] as! String, default: []].append(((body["text"] as? [String: Any])?["content"] as? String) ?? "")
        }
        return result
    }

    @Test("subscribe (30 s delay, 60 s follow grant), keyword, click key, scan scene and cooldown rules fire at their time; a rule disabled while pending cancels its deliveries", arguments: StoreBackend.allCases)
    func ruleKinds(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "1"])
            var account = TestAccounts.aes(31)
            account.sendRate = 100
            try await harness.addAccount(account, mode: "safe")
            let appid = account.appid
            let welcome = try await Self.rule(harness, appid: appid, trigger: ["kind": "subscribe"], delay: 30, text: "welcome")
            _ = try await Self.rule(harness, appid: appid, trigger: ["kind": "message", "key": "coupon"], delay: 2, text: "coupon")
            _ = try await Self.rule(harness, appid: appid, trigger: ["kind": "click", "key": "MENU_A"], delay: 2, text: "menu a")
            _ = try await Self.rule(harness, appid: appid, trigger: ["kind": "scan", "key": "7"], delay: 2, text: "scene 7")
            _ = try await Self.rule(harness, appid: appid, trigger: ["kind": "click", "key": "MENU_C"], delay: 1, text: "cool",
                                    extra: ["cooldown_seconds": 60])
            let disabled = try await Self.rule(harness, appid: appid, trigger: ["kind": "message", "key": "later"], delay: 20, text: "later")

            try await Self.push(harness, appid, "oLater", "text", content: "see you later")
            try await eventually("the 'later' delivery to be queued") { try await Self.ruleDeliveries(harness, disabled).count == 1 }
            let patched = try await TestHTTP.request(.PATCH, "\(harness.server!.baseURL)/api/v1/rules/\(disabled)", body: #"{"enabled": false}"#,
                                                     headers: harness.auth)
            #expect(patched.status == 200)
            let cancelled = try await Self.ruleDeliveries(harness, disabled)
            #expect(cancelled.first?["state"] as? String == "cancelled")
            #expect(cancelled.first?["reason"] as? String == "rule disabled")

            let subscribedAt = SystemWallClock().nowMillis()
            try await Self.push(harness, appid, "oSub", "subscribe")
            try await Self.push(harness, appid, "oKey", "text", content: "I want a COUPON please")
            try await Self.push(harness, appid, "oKey2", "text", content: "hello")
            try await Self.push(harness, appid, "oClick", "click", key: "MENU_A")
            try await Self.push(harness, appid, "oClickB", "click", key: "MENU_B")
            try await Self.push(harness, appid, "oScan", "scan", key: "7")
            try await Self.push(harness, appid, "oScan8", "scan", key: "8")
            for _ in 0..<3 { try await Self.push(harness, appid, "oCool", "click", key: "MENU_C") }

            try await eventually("the 30 s welcome", timeout: .seconds(90), poll: .milliseconds(200)) {
                try await Self.texts(harness, appid)["oSub"] != nil
            }
            let texts = try await Self.texts(harness, appid)
            #expect(texts == ["oSub": ["welcome"], "oKey": ["coupon"], "oClick": ["menu a"], "oScan": ["scene 7"], "oCool": ["cool"]])
            // WeChat (the simulator) has it; wait for kefu to record the answer.
            try await eventually("the welcome to be recorded as sent") {
                try await Self.ruleDeliveries(harness, welcome).first?["state"] as? String == "sent"
            }
            let sent = try #require(try await Self.ruleDeliveries(harness, welcome).first)
            let sentAt = RFC3339.parse(sent["sent_at"] as? String ?? "") ?? 0
            #expect(sentAt - subscribedAt >= 29_000, "sent 30 s after the follow (CreateTime has one-second resolution)")
            #expect(sent["lateness_ms"] is Int)
            let metrics = try await TestHTTP.get("\(harness.server!.baseURL)/metrics").body
            #expect(metrics.contains("kefu_delayed_lateness_seconds_count 5"), "\(metrics)")
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("3 worker processes, 1,000 matching interactions: each rule fires exactly once per interaction", arguments: StoreBackend.allCases)
    func threeWorkers(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            var account = TestAccounts.plain(32)
            account.sendRate = 2000
            try await harness.addAccount(account, mode: "plain")
            let workers = try await harness.startWorkers(processes: 3)
            let first = try await Self.rule(harness, appid: account.appid, trigger: ["kind": "message"], delay: 1, text: "r1")
            let second = try await Self.rule(harness, appid: account.appid, trigger: ["kind": "any"], delay: 2, text: "r2")
            let actions = (0..<500).flatMap { index in
                [["openid": "oMany\(index)", "kind": "text", "content": "a"], ["openid": "oMany\(index)", "kind": "text", "content": "b"]]
            }
            try await harness.play(account.appid, actions)
            try await eventually("2,000 messages", timeout: .seconds(120), poll: .milliseconds(200)) {
                try await harness.received(account.appid).count >= 2000
            }
            let texts = try await Self.texts(harness, account.appid)
            #expect(texts.count == 500)
            #expect(texts.values.allSatisfy { $0.sorted() == ["r1", "r1", "r2", "r2"] })
            for rule in [first, second] {
                try await eventually("rule \(rule)'s results to be recorded") {
                    try await Self.ruleDeliveries(harness, rule).allSatisfy { $0["state"] as? String == "sent" }
                }
                #expect(try await Self.ruleDeliveries(harness, rule).count == 1000)
            }
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("workers killed (SIGKILL) while deliveries are pending, and while interactions arrive: after a restart every one fires, once", arguments: StoreBackend.allCases)
    func killedWorkers(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            var account = TestAccounts.plain(33)
            account.sendRate = 2000
            try await harness.addAccount(account, mode: "plain")
            var workers = try await harness.startWorkers(processes: 2)
            let rule = try await Self.rule(harness, appid: account.appid, trigger: ["kind": "message"], delay: 8, text: "later")
            try await harness.play(account.appid, (0..<200).map { ["openid": "oWait\($0)", "kind": "text", "content": "x"] })
            try await eventually("200 deliveries queued") { try await Self.ruleDeliveries(harness, rule).count == 200 }
            for pid in ProcessHarness.workerPIDs(workers) { kill(pid, SIGKILL) }
            try await workers.kill()
            // Interactions keep arriving while no worker runs.
            try await harness.play(account.appid, (200..<300).map { ["openid": "oWait\($0)", "kind": "text", "content": "x"] })
            workers = try await harness.startWorkers(processes: 2)
            try await eventually("300 messages", timeout: .seconds(120), poll: .milliseconds(200)) {
                try await harness.received(account.appid).count >= 300
            }
            let texts = try await Self.texts(harness, account.appid)
            #expect(texts.count == 300)
            #expect(texts.values.allSatisfy { $0 == ["later"] })
            try await eventually("every result to be recorded") {
                try await Self.ruleDeliveries(harness, rule).allSatisfy { $0["state"] as? String == "sent" }
            }
            #expect(try await Self.ruleDeliveries(harness, rule).count == 300)
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }
}
}

import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEndWaiting {
/// Deployments that share one PostgreSQL database: several servers behind a load balancer,
/// several worker hosts, processes killed, and the database itself restarted.
@Suite("PostgreSQL deployments", .serialized)
struct PostgresDeploymentTests {
    static let policy = #"{"grants": [{"on": "message", "sends": 5, "seconds": 3600}, {"on": "subscribe", "sends": 3, "seconds": 3600}]}"#
    static let text = #"{"msgtype": "text", "text": {"content": "双十一"}}"#

    static func actions(_ kind: String, _ openids: some Sequence<String>) -> [[String: Any]] {
        openids.map { ["openid": $0, "kind": kind] }
    }

    static func stats(_ task: [String: Any]) -> [String: Any] { task["stats"] as? [String: Any] ?? [:] }

    @Test("two servers and three `kefu worker --processes 2` on one database run a broadcast and a rule; killing a server, a worker process or a worker host loses nothing and messages nobody twice")
    func manyHosts() async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: .postgres)
        var hosts: [KefuProcess] = []
        do {
            let serverA = try await harness.startServer(extra: ["--workers", "0"])
            let serverB = try await harness.startServer(extra: ["--workers", "0"])
            var account = TestAccounts.plain(41)
            account.sendRate = 400
            try await harness.addAccount(account, mode: "plain", callbackVia: [serverA, serverB])
            let appid = account.appid
            for _ in 0..<3 { hosts.append(try await harness.startWorkers(processes: 2, extra: ["--lease-seconds", "2"])) }
            let welcome = try await DelayedProcessTests.rule(harness, appid: appid, trigger: ["kind": "subscribe"], delay: 1, text: "welcome")

            // Pushes are spread over both servers; server A is killed half-way, and WeChat's
            // retries of the pushes it dropped reach server B.
            let talkers = (0..<3_000).map { "oHost\($0)" }
            async let played: Void = harness.play(appid, Self.actions("text", talkers), concurrency: 32)
            try await eventually("a third of the pushes recorded", timeout: .seconds(120)) {
                let page = try await TestHTTP.get("\(serverB.baseURL)/api/v1/accounts/\(appid)/audience?limit=1", headers: harness.auth).json
                return (page?["count"] as? Int ?? 0) >= 1_000
            }
            try await serverA.kill()
            try await played
            #expect(Set(try await harness.kefuAudience(appid).keys) == Set(talkers), "every acknowledged push is in the ledger")

            // The broadcast, with one worker process SIGKILLed mid-way.
            let task = try await harness.createTask(appid: appid, message: Self.text)
            try await eventually("a third of the broadcast", timeout: .seconds(120)) {
                try await harness.received(appid).count >= 1_000
            }
            let victim = try #require(ProcessHarness.workerPIDs(hosts[0]).first)
            kill(victim, SIGKILL)
            try await harness.waitForTask(task, status: "completed", timeout: .seconds(240))
            let sentTo = try await harness.received(appid).map { $0["openid"] as! String }
            #expect(Set(sentTo).count == sentTo.count, "nobody got the broadcast twice")
            let stats = Self.stats(try await harness.task(task))
            let sent = stats["sent"] as? Int ?? 0, skipped = stats["skipped"] as? Int ?? 0
            #expect(sent + skipped == 3_000)
            #expect(skipped <= 64, "at most the killed worker's one claimed batch is skipped as outcome unknown")
            #expect(sentTo.count >= sent && sentTo.count <= sent + skipped)

            // The rule, with a whole worker host (supervisor and children) killed as followers arrive.
            let newcomers = (0..<300).map { "oNew\($0)" }
            async let followed: Void = harness.play(appid, Self.actions("subscribe", newcomers), concurrency: 16)
            try await hosts[1].kill()
            try await followed
            try await eventually("every welcome to be decided", timeout: .seconds(120)) {
                let deliveries = try await DelayedProcessTests.ruleDeliveries(harness, welcome)
                return deliveries.count == 300 && deliveries.allSatisfy { ["sent", "skipped"].contains($0["state"] as? String) }
            }
            let welcomed = try await DelayedProcessTests.texts(harness, appid).filter { $0.value.contains("welcome") }
            #expect(welcomed.values.allSatisfy { $0.filter { $0 == "welcome" }.count == 1 }, "nobody welcomed twice")
            let deliveries = try await DelayedProcessTests.ruleDeliveries(harness, welcome)
            let welcomeSent = deliveries.filter { $0["state"] as? String == "sent" }.count
            #expect(welcomed.count == welcomeSent)
            #expect(welcomeSent >= 300 - 64 * 2, "at most the killed host's claimed batches are skipped")
            for host in hosts { try? await host.stop() }
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        for host in hosts { try? await host.kill() }
        await harness.shutdown()
    }

    @Test("PostgreSQL restarted mid-broadcast: server and workers reconnect and finish, nobody messaged twice; a callback while it is down gets 503 and is recorded once it is back")
    func databaseRestart() async throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let harness = try await ProcessHarness(policy: Self.policy, database: try await cluster.createDatabase())
        var workers: KefuProcess?
        do {
            let server = try await harness.startServer(extra: ["--workers", "0"])
            var account = TestAccounts.plain(42)
            account.sendRate = 200
            try await harness.addAccount(account, mode: "plain")
            let appid = account.appid
            let talkers = (0..<2_000).map { "oOutage\($0)" }
            try await harness.play(appid, Self.actions("text", talkers), concurrency: 32)
            workers = try await harness.startWorkers(processes: 2)
            let task = try await harness.createTask(appid: appid, message: Self.text)
            try await eventually("part of the broadcast", timeout: .seconds(120)) {
                try await harness.received(appid).count >= 300
            }

            try cluster.stopServer(mode: "fast")
            // WeChat's retries are spaced by seconds; kefu must answer 5xx, never `success`, until
            // the interaction is committed.
            async let pushed = TestHTTP.post("\(harness.simulator.baseURL)/sim/push", TestHTTP.json([
                "appid": appid, "action": ["openid": "oDuringOutage", "kind": "text", "content": "还在吗"], "retry_interval_ms": 2_000,
            ] as [String: Any]))
            try await eventually("kefu to answer a callback 503 while the database is down", timeout: .seconds(30)) {
                let metrics = try await TestHTTP.get("\(server.baseURL)/metrics").body
                return metrics.contains(#"outcome="unavailable""#)
            }
            try cluster.startServer()
            let push = try await pushed.json ?? [:]
            #expect(push["status"] as? Int == 200, "\(push)")
            #expect((push["attempts"] as? Int ?? 0) > 1, "the first attempt failed while the database was down")

            try await harness.waitForTask(task, status: "completed", timeout: .seconds(240))
            let sentTo = try await harness.received(appid).map { $0["openid"] as! String }
            #expect(Set(sentTo).count == sentTo.count, "nobody got the broadcast twice")
            let stats = Self.stats(try await harness.task(task))
            let sent = stats["sent"] as? Int ?? 0, skipped = stats["skipped"] as? Int ?? 0
            #expect(sent + skipped == 2_000)
            #expect(sentTo.count >= sent && sentTo.count <= sent + skipped)
            let follower = try await TestHTTP.get("\(server.baseURL)/api/v1/accounts/\(appid)/followers/oDuringOutage", headers: harness.auth).json
            #expect((follower?["recent_interactions"] as? [Any])?.count == 1, "recorded once, however many attempts it took")
            let stopping = ContinuousClock.now
            try await workers?.stop(timeout: .seconds(90))
            print("workers stopped after \(ContinuousClock.now - stopping)")
            // A store operation caught by the restart is given up after its timeout; it must not
            // hold a worker's shutdown until the supervisor kills it.
            #expect(workers?.output.contains("did not finish within 30 s of SIGTERM") == false, "\(workers?.output.suffix(2000) ?? "")")
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(4000) ?? "")\n--- workers ---\n\(workers?.output.suffix(3000) ?? "")")
        }
        try? await workers?.kill()
        await harness.shutdown()
    }
}
}

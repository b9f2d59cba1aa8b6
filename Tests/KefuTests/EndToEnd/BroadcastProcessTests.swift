import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEnd {
/// Broadcast tasks end to end: kefu serve, kefu worker processes and the simulator, as real
/// processes on one store (SQLite file or PostgreSQL database).
@Suite("Broadcasts with real worker processes", .serialized)
struct BroadcastProcessTests {
    static let messages = [
        #"{"msgtype": "text", "text": {"content": "双十一 专享"}}"#,
        #"{"msgtype": "image", "image": {"media_id": "MEDIA_1"}}"#,
        #"{"msgtype": "news", "news": {"articles": [{"title": "新品", "description": "看看", "url": "https://shop.example.cn/a", "picurl": "https://shop.example.cn/a.jpg"}]}}"#,
        #"{"msgtype": "mpnews", "mpnews": {"media_id": "MPNEWS_1"}}"#,
        #"{"msgtype": "mpnewsarticle", "mpnewsarticle": {"article_id": "ARTICLE_1"}}"#,
        #"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "小程序", "appid": "wx1111111111111111", "pagepath": "pages/index?x=1", "thumb_media_id": "THUMB_1"}}"#,
    ]

    static func account(_ n: Int, rate: Int, aes: Bool = false) -> Account {
        var account = aes ? TestAccounts.aes(n) : TestAccounts.plain(n)
        account.sendRate = rate
        return account
    }

    static func actions(_ kind: String, _ openids: some Sequence<String>) -> [[String: Any]] {
        openids.map { ["openid": $0, "kind": kind] }
    }

    static func stats(_ task: [String: Any]) -> [String: Any] { task["stats"] as? [String: Any] ?? [:] }

    /// A message opens 5 sends for an hour: the policy of the tests about sending itself.
    static let messagePolicy = #"{"grants": [{"on": "message", "sends": 5, "seconds": 3600}]}"#

    /// Adds `account` in plain mode, and followers `prefix0`, `prefix1`… who each send it a text
    /// message; their openids.
    @discardableResult
    static func addAccount(_ account: Account, to harness: ProcessHarness, talkers prefix: String, count: Int,
                           dailyQuota: Int = 500_000, concurrency: Int = 32) async throws -> [String] {
        try await harness.addAccount(account, mode: "plain", dailyQuota: dailyQuota)
        let openids = (0..<count).map { "\(prefix)\($0)" }
        try await harness.play(account.appid, actions("text", openids), concurrency: concurrency)
        return openids
    }

    @Test("2,000 followers in mixed states: exactly the eligible get exactly one message per task, in WeChat's exact JSON, for every message type",
          arguments: StoreBackend.allCases)
    func mixedStates(backend: StoreBackend) async throws {
        let policy = #"{"grants": [{"on": "message", "sends": 10, "seconds": 3600}, {"on": "subscribe", "sends": 3, "seconds": 3}, {"on": "click", "sends": 1, "seconds": 3600}]}"#
        let harness = try await ProcessHarness(policy: policy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "1"])
            let account = Self.account(21, rate: 2000, aes: true)
            try await harness.addAccount(account, mode: "safe")
            let talkers = (0..<800).map { "oTalk\($0)" }, followers = (0..<300).map { "oFollow\($0)" }
            let leavers = (0..<300).map { "oLeave\($0)" }, clickers = (0..<300).map { "oClick\($0)" }, viewers = (0..<300).map { "oView\($0)" }
            try await harness.play(account.appid, Self.actions("text", talkers) + Self.actions("subscribe", followers)
                + Self.actions("text", leavers) + Self.actions("unsubscribe", leavers) + Self.actions("click", clickers)
                + Self.actions("view", viewers))
            // The follow grants (3 s) close before the first send time.
            let first = try await harness.createTask(appid: account.appid, message: Self.messages[0], sendAt: SystemWallClock().nowMillis() + 4_000)
            try await harness.waitForTask(first, status: "completed")
            #expect(Self.stats(try await harness.task(first))["audience"] as? Int == 1100)
            for message in Self.messages.dropFirst() {
                let id = try await harness.createTask(appid: account.appid, message: message)
                try await harness.waitForTask(id, status: "completed")
                let stats = Self.stats(try await harness.task(id))
                #expect(stats["audience"] as? Int == 800, "clickers' one send is used up")
                #expect(stats["sent"] as? Int == 800)
            }
            var byOpenid: [String: [[String: Any]]] = [:]
            for message in try await harness.received(account.appid) {
                let body = try JSONSerialization.jsonObject(with: Data((message["body"] as! String).utf8)) as! [String: Any]
                byOpenid[message["openid"] as! String, default: []].append(body)
            }
            #expect(Set(byOpenid.keys) == Set(talkers + clickers))
            let expected = try Self.messages.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            for openid in talkers {
                let bodies = byOpenid[openid] ?? []
                #expect(bodies.count == 6)
                for (body, wanted) in zip(bodies, expected) {
                    var wanted = wanted
                    wanted["touser"] = openid
                    #expect(NSDictionary(dictionary: body) == NSDictionary(dictionary: wanted), "\(openid)")
                }
            }
            #expect(clickers.allSatisfy { byOpenid[$0]?.count == 1 })
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    /// The four-worker broadcast's audience: at the account's 1,000 sends a second, 3 s of
    /// sending shared by four loops claiming at most 100 at a time. (10,000 took over three of
    /// CI's forty minutes, pushed in and sent twice, and tested nothing more.)
    static let manyFollowers = 3_000

    @Test("4 worker processes share a 3,000-recipient broadcast: all sent, none twice, one token fetch; then one is SIGKILLed mid-way and with skip still none twice",
          arguments: StoreBackend.allCases)
    func fourWorkers(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        var supervisor: KefuProcess?
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = Self.account(22, rate: 1000)
            try await Self.addAccount(account, to: harness, talkers: "oMany", count: Self.manyFollowers, concurrency: 64)
            // A 5 s lease. Four processes on two cores under the whole suite's load once spent
            // their leases waiting on PostgreSQL, at 2 s and later at 5 s: each loop claimed a
            // fixed 256–512 it could not start in time, handed them back, and claimed them again
            // while recovering expired leases added to the wait. Claims are now sized by what a
            // loop starts in a quarter of its lease (`SendPipeline.ahead`).
            let workers = try await harness.startWorkers(processes: 4, extra: ["--lease-seconds", "5"])
            supervisor = workers

            let first = try await harness.createTask(appid: account.appid, message: Self.messages[0])
            try await harness.waitForTask(first, status: "completed", timeout: .seconds(240))
            var received = try await harness.received(account.appid)
            #expect(received.count == Self.manyFollowers)
            #expect(Set(received.map { $0["openid"] as! String }).count == Self.manyFollowers)
            #expect(Self.stats(try await harness.task(first))["sent"] as? Int == Self.manyFollowers)
            let tokens = try await TestHTTP.get("\(harness.simulator.baseURL)/sim/stats?appid=\(account.appid)").json
            #expect(tokens?["token_requests"] as? Int == 1, "four processes fetched the token once")

            let second = try await harness.createTask(appid: account.appid, message: Self.messages[1])
            try await eventually("a quarter of the second broadcast", timeout: .seconds(120)) {
                try await harness.received(account.appid).count >= Self.manyFollowers + Self.manyFollowers / 4
            }
            let victim = try #require(ProcessHarness.workerPIDs(workers).first)
            kill(victim, SIGKILL)
            try await harness.waitForTask(second, status: "completed", timeout: .seconds(240))
            received = try await harness.received(account.appid).filter { ($0["msgtype"] as? String) == "image" }
            let openidsSent = received.map { $0["openid"] as! String }
            #expect(Set(openidsSent).count == openidsSent.count, "nobody got the second broadcast twice")
            let stats = Self.stats(try await harness.task(second))
            let sent = stats["sent"] as? Int ?? 0, skipped = stats["skipped"] as? Int ?? 0
            #expect(sent + skipped == Self.manyFollowers)
            #expect(openidsSent.count >= sent && openidsSent.count <= sent + skipped)
            try await eventually("the supervisor to restart the killed worker") {
                ProcessHarness.workerPIDs(workers).count >= 5
            }
            // Not asserted (it depends on the machine's load), printed for CI's log: claims that
            // went back only through lease recovery, and results that came after their lease.
            // The victim's claims account for a recovery or two.
            let log = workers.output
            print("four workers on \(backend): \(log.components(separatedBy: "expired leases recovered").count - 1) lease recoveries, "
                  + "\(log.components(separatedBy: "results for deliveries no longer held").count - 1) late recordings logged")
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- workers log ---\n\(supervisor?.output.suffix(6000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("3 worker processes, a 3,000-recipient broadcast, one SIGKILLed mid-way: none twice, and only its started calls (≤ --send-concurrency) skipped as unknown",
          arguments: StoreBackend.allCases)
    func onlyStartedUnknown(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = Self.account(25, rate: 600)
            let openids = try await Self.addAccount(account, to: harness, talkers: "oCrash", count: 3_000, concurrency: 64)
            // Each worker process runs one send loop; it claims up to 64 at a time (8 × 8), so a
            // whole claim lost would break the bound.
            let concurrency = 8
            let workers = try await harness.startWorkers(processes: 3, extra: [
                "--lease-seconds", "2", "--send-concurrency", "\(concurrency)", "--unknown-outcome", "skip"])
            let id = try await harness.createTask(appid: account.appid, message: Self.messages[0])
            try await eventually("a third of the broadcast", timeout: .seconds(120)) {
                try await harness.received(account.appid).count >= 1_000
            }
            let victim = try #require(ProcessHarness.workerPIDs(workers).first)
            kill(victim, SIGKILL)
            try await harness.waitForTask(id, status: "completed", timeout: .seconds(240))
            let received = try await harness.received(account.appid).map { $0["openid"] as! String }
            #expect(Set(received).count == received.count, "nobody got the broadcast twice")
            let stats = Self.stats(try await harness.task(id))
            let sent = stats["sent"] as? Int ?? 0, skipped = stats["skipped"] as? Int ?? 0
            #expect(sent + skipped == openids.count)
            #expect(skipped <= concurrency, "at most the killed send loop's started calls: \(stats)")
            let log = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/tasks/\(id)/deliveries?state=skipped&limit=100",
                                             headers: harness.auth).json?["deliveries"] as? [[String: Any]] ?? []
            #expect(log.allSatisfy { ($0["reason"] as? String)?.hasPrefix("outcome unknown") == true }, "\(log)")
            #expect(received.count >= sent && received.count <= sent + skipped)
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("WeChat answering slowly: claimed deliveries that waited half their lease go back unsent, so with retry nobody gets a message twice",
          arguments: StoreBackend.allCases)
    func slowWeChat(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = Self.account(24, rate: 1000)
            let openids = try await Self.addAccount(account, to: harness, talkers: "oSlow", count: 100)
            // 4 calls in flight at 400 ms each: about 10 sends a second, while a claim takes up to
            // 64 — most of a claim would still be waiting when its 2 s lease expires.
            try await harness.simulator("/sim/faults", ["latency_ms": 400])
            let workers = try await harness.startWorkers(processes: 1, extra: [
                "--lease-seconds", "2", "--send-concurrency", "4", "--unknown-outcome", "retry"])
            let id = try await harness.createTask(appid: account.appid, message: Self.messages[0])
            try await harness.waitForTask(id, status: "completed", timeout: .seconds(120))
            let received = try await harness.received(account.appid).map { $0["openid"] as! String }
            #expect(received.count == 100, "each follower exactly once")
            #expect(Set(received) == Set(openids))
            #expect(Self.stats(try await harness.task(id))["sent"] as? Int == 100)
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("the per-account send rate holds across 3 worker processes (from the simulator's receive times): never above it by more than 10%, and at least 70% of it",
          arguments: StoreBackend.allCases)
    func rateAcrossProcesses(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = Self.account(23, rate: 50)
            try await Self.addAccount(account, to: harness, talkers: "oRate", count: 400)
            let workers = try await harness.startWorkers(processes: 3)
            let id = try await harness.createTask(appid: account.appid, message: Self.messages[0])
            try await harness.waitForTask(id, status: "completed")
            let times = try await harness.received(account.appid).map { ($0["received_at"] as! NSNumber).int64Value }.sorted()
            #expect(times.count == 400)
            let measured = Double(times.count - 1) * 1000 / Double(times.last! - times.first!)
            // Never faster than the account's rate is the promise (WeChat's frequency limits). The
            // rate is reached within 10% on an idle machine, but the bucket holds a tenth of a
            // second's sends, and under CI's load (PostgreSQL's claims far apart) tokens past that
            // were lost: 43.5/s here on 2026-12-02. The README says so; the fix is its next step.
            #expect(measured <= 55, "measured \(measured) messages/s for send_rate 50: above the rate")
            #expect(measured >= 35, "measured \(measured) messages/s for send_rate 50: far below the rate")
            try await workers.stop()
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("WeChat's errors: 45009 pauses the account; 40001 triggers one token refresh; -1 is retried until sent", arguments: StoreBackend.allCases)
    func errorPolicy(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "1"])
            // 45009: the simulator's daily quota is 30.
            let limited = Self.account(24, rate: 500)
            try await Self.addAccount(limited, to: harness, talkers: "oQuota", count: 100, dailyQuota: 30)
            let quota = try await harness.createTask(appid: limited.appid, message: Self.messages[0])
            try await eventually("the account to pause on 45009") {
                let account = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/accounts/\(limited.appid)", headers: harness.auth).json
                return (account?["pause_reason"] as? String)?.contains("45009") == true
            }
            let stats = Self.stats(try await harness.task(quota))
            #expect(stats["sent"] as? Int == 30)
            #expect(stats["pending"] as? Int == 70, "the rest waits for tomorrow, not failed")
            #expect(try await harness.task(quota)["status"] as? String == "running")
            #expect(try await harness.received(limited.appid).count == 30)

            // 40001 once: one forced refresh, then everything is sent.
            let forced = Self.account(25, rate: 500)
            try await Self.addAccount(forced, to: harness, talkers: "oToken", count: 50)
            try await harness.simulator("/sim/faults", ["force_40001": 1])
            let token = try await harness.createTask(appid: forced.appid, message: Self.messages[0])
            try await harness.waitForTask(token, status: "completed")
            #expect(Self.stats(try await harness.task(token))["sent"] as? Int == 50)
            let requests = try await TestHTTP.get("\(harness.simulator.baseURL)/sim/stats?appid=\(forced.appid)").json
            #expect(requests?["token_requests"] as? Int == 2, "the first fetch and one forced refresh")

            // -1 on a third of the calls: retried with back-off, all end sent.
            let busy = Self.account(26, rate: 500)
            try await Self.addAccount(busy, to: harness, talkers: "oBusy", count: 60)
            try await harness.simulator("/sim/faults", ["busy_rate": 0.33])
            let retried = try await harness.createTask(appid: busy.appid, message: Self.messages[0])
            try await harness.waitForTask(retried, status: "completed", timeout: .seconds(120))
            try await harness.simulator("/sim/faults", [:])
            #expect(Self.stats(try await harness.task(retried))["sent"] as? Int == 60)
            let log = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/tasks/\(retried)/deliveries?limit=100", headers: harness.auth).json
            let attempts = (log?["deliveries"] as? [[String: Any]] ?? []).compactMap { $0["attempts"] as? Int }
            #expect(attempts.contains { $0 > 1 }, "some needed more than one attempt")
            #expect(try await harness.received(busy.appid).count == 60)
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("cancel stops sending promptly; pause then resume finishes without re-sending anyone", arguments: StoreBackend.allCases)
    func cancelPauseResume(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: Self.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "1"])
            let account = Self.account(27, rate: 20)
            try await Self.addAccount(account, to: harness, talkers: "oCancel", count: 200)
            let server = harness.server!.baseURL

            let cancelled = try await harness.createTask(appid: account.appid, message: Self.messages[0])
            try await eventually("20 sent") { try await harness.received(account.appid).count >= 20 }
            let answer = try await TestHTTP.post("\(server)/api/v1/tasks/\(cancelled)/cancel", "", headers: harness.auth)
            #expect(answer.status == 200)
            let atCancel = try await harness.received(account.appid).count
            try await eventually("nothing left in flight") { Self.stats(try await harness.task(cancelled))["pending"] as? Int == 0 }
            let stats = Self.stats(try await harness.task(cancelled))
            let after = try await harness.received(account.appid).count
            #expect(after - atCancel <= 5, "only calls already in flight finish after a cancel (\(after - atCancel))")
            #expect(stats["sent"] as? Int == after)
            #expect((stats["cancelled"] as? Int ?? 0) >= 150)
            #expect(try await harness.task(cancelled)["status"] as? String == "cancelled")

            let paused = try await harness.createTask(appid: account.appid, message: Self.messages[1])
            func images() async throws -> [String] {
                try await harness.received(account.appid).filter { $0["msgtype"] as? String == "image" }.map { $0["openid"] as! String }
            }
            try await eventually("20 images sent") { try await images().count >= 20 }
            #expect(try await TestHTTP.post("\(server)/api/v1/tasks/\(paused)/pause", "", headers: harness.auth).status == 200)
            try await eventually("sending to stop") { Self.stats(try await harness.task(paused))["pending"] as? Int == 200 - (try await images().count) }
            let whilePaused = try await images().count
            #expect(whilePaused < 200)
            #expect(try await harness.task(paused)["status"] as? String == "paused")
            #expect(try await TestHTTP.post("\(server)/api/v1/tasks/\(paused)/resume", "", headers: harness.auth).status == 200)
            try await harness.waitForTask(paused, status: "completed")
            let all = try await images()
            #expect(all.count == 200)
            #expect(Set(all).count == 200, "nobody received it twice")
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }
}
}

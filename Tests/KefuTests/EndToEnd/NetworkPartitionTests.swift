import Foundation
import KefuApp
import KefuCore
import KefuTestSupport
import Testing

extension EndToEndWaiting {
/// Several hosts (#20): PostgreSQL in one network namespace, two `kefu serve` and two
/// `kefu worker --processes 2` hosts in others, the simulator in the test's own, all on bridges
/// the test creates (`NetworkLab`). Mid-broadcast one worker host's link to PostgreSQL is cut —
/// its link to WeChat stays — for over twice the lease, then restored. w1 sends alone until
/// the cut, so that it holds claims when cut; w2 starts right after it.
@Suite("Hosts cut off from PostgreSQL (network namespaces)", .serialized,
       .enabled(if: NetworkLab.available || ProcessInfo.processInfo.environment["KEFU_NETNS_TESTS"] == "required",
                "needs root to create network namespaces (scripts/test and CI run as root)"))
struct NetworkPartitionTests {
    static let leaseSeconds = 5
    static let followers = 2_000

    // `clockAhead`: the same with w1's clock 120 s ahead (Debian's faketime around its whole
    // process tree, the wall clock only: see `FakeTime.wallClockOnly`). w1 sends alone until the
    // cut, so the broadcast being under way shows that the skewed host works, not only that the
    // others cover for it.
    @Test("a worker host cut off from PostgreSQL for over twice the lease mid-broadcast, still reaching WeChat: the broadcast completes, nobody gets it twice, and only the calls it had started when cut are left unknown",
          arguments: [false, true])
    func partition(clockAhead: Bool) async throws {
        if clockAhead, FakeTime.wrapper == nil {
            try #require(ProcessInfo.processInfo.environment["KEFU_FAKETIME_TESTS"] != "required", "faketime is missing")
            return
        }
        let lab = try NetworkLab()
        let directory = try TemporaryDirectory(prefix: "kefu-netns")
        var processes: [KefuProcess] = []
        var cluster: PostgresCluster?
        do {
            let db = try lab.addHost("db", index: 2, app: false)
            let servers = [try lab.addHost("s1", index: 3), try lab.addHost("s2", index: 4)]
            let workerHosts = [try lab.addHost("w1", index: 5), try lab.addHost("w2", index: 6)]
            cluster = try PostgresCluster(namespace: db.namespace, host: db.dbAddress)
            let database = try await cluster!.createDatabase()
            let policyPath = directory.file("policy.json")
            try BroadcastProcessTests.messagePolicy.write(toFile: policyPath, atomically: true, encoding: .utf8)
            let admin = "netns-admin-token-0123456789"
            let auth = [("Authorization", "Bearer \(admin)")]

            let simulator = try KefuProcess(arguments: ["simulator", "--host", NetworkLab.rootApp, "--port", "0", "--window-policy", policyPath],
                                            directory: directory.path, logName: "simulator")
            processes.append(simulator)
            try await simulator.waitUntilListening()
            var serves: [KefuProcess] = []
            for host in servers {
                let command = lab.command(on: host, KefuProcess.binary, [
                    "serve", "--host", host.appAddress, "--port", "0", "--workers", "0", "--database", database,
                    "--window-policy", policyPath, "--wechat-api", simulator.baseURL])
                let serve = try KefuProcess(executable: command.executable, arguments: command.arguments,
                                            environment: ["KEFU_ADMIN_TOKEN": admin], directory: directory.path, logName: "serve-\(host.name)")
                processes.append(serve)
                try await serve.waitUntilListening()
                serves.append(serve)
            }
            #expect(serves.allSatisfy { !$0.baseURL.contains("127.0.0.1") }, "each server is reached at its host's address")

            var account = TestAccounts.plain(95)
            account.sendRate = 60
            let created = try await TestHTTP.post("\(serves[0].baseURL)/api/v1/accounts", TestHTTP.json([
                "appid": account.appid, "app_secret": account.appSecret, "token": account.token, "send_rate": account.sendRate,
            ] as [String: Any]), headers: auth)
            #expect(created.status == 201, "\(created.body)")
            let added = try await TestHTTP.post("\(simulator.baseURL)/sim/accounts", TestHTTP.json([
                "appid": account.appid, "secret": account.appSecret, "token": account.token, "mode": "plain",
                "callback_url": serves.map { "\($0.baseURL)/wechat/\(account.appid)" }.joined(separator: ","),
            ] as [String: Any]))
            #expect(added.status == 201, "\(added.body)")
            let openids = (0..<Self.followers).map { "oPart\($0)" }
            let played = try await TestHTTP.post("\(simulator.baseURL)/sim/play", TestHTTP.json([
                "appid": account.appid, "actions": BroadcastProcessTests.actions("text", openids), "concurrency": 32,
            ] as [String: Any]))
            #expect(played.json?["acknowledged"] as? Int == Self.followers, "\(played.body.prefix(300))")

            var workers: [KefuProcess] = []
            func startWorkers(on index: Int) async throws {
                let host = workerHosts[index]
                let kefu = ["worker", "--processes", "2", "--database", database, "--window-policy", policyPath,
                            "--wechat-api", simulator.baseURL, "--lease-seconds", "\(Self.leaseSeconds)"]
                // w1's clock 120 s ahead: Debian's faketime around the whole process tree.
                let command = clockAhead && index == 0
                    ? lab.command(on: host, FakeTime.wrapper!, ["-m", "-f", "+120s", KefuProcess.binary] + kefu)
                    : lab.command(on: host, KefuProcess.binary, kefu)
                let worker = try KefuProcess(executable: command.executable, arguments: command.arguments,
                                             environment: clockAhead && index == 0 ? FakeTime.wallClockOnly : [:],
                                             directory: directory.path, logName: "workers-\(host.name)")
                processes.append(worker)
                workers.append(worker)
                try await eventually("2 worker processes on \(host.name)") { worker.output.components(separatedBy: "kefu worker running").count - 1 >= 2 }
            }
            // w1 alone first, so that it certainly holds claims (leased, some started) when cut.
            try await startWorkers(on: 0)

            let reply = try await TestHTTP.post("\(serves[1].baseURL)/api/v1/tasks",
                #"{"name": "partition", "appid": "\#(account.appid)", "send_at": "\#(RFC3339.format(millis: SystemWallClock().nowMillis()))", "message": \#(BroadcastProcessTests.messages[0])}"#,
                headers: auth)
            let id = try #require(reply.json?["id"] as? Int, "\(reply.body)")
            func received() async throws -> [String] {
                try await TestHTTP.get("\(simulator.baseURL)/sim/messages?appid=\(account.appid)").json?["messages"]
                    .flatMap { $0 as? [[String: Any]] }?.compactMap { $0["openid"] as? String } ?? []
            }
            try await eventually("the broadcast to be under way", timeout: .seconds(120)) { try await received().count >= 300 }

            // The cut: w1's packets to PostgreSQL vanish; WeChat is still reachable. Then w2.
            try lab.cut(workerHosts[0])
            let cutAt = ContinuousClock.now
            let atCut = try await received().count
            try await startWorkers(on: 1)
            try await eventually("w2 to take over once w1's leases expire", timeout: .seconds(120)) { try await received().count >= atCut + 300 }
            try await eventually("over twice the lease with w1 cut off", timeout: .seconds(120)) {
                ContinuousClock.now - cutAt >= .seconds(Self.leaseSeconds * 2 + 3)
            }
            try lab.restore(workerHosts[0])

            try await eventually("the broadcast to complete", timeout: .seconds(240), poll: .milliseconds(250)) {
                try await TestHTTP.get("\(serves[0].baseURL)/api/v1/tasks/\(id)", headers: auth).json?["status"] as? String == "completed"
            }
            let task = try await TestHTTP.get("\(serves[0].baseURL)/api/v1/tasks/\(id)", headers: auth).json ?? [:]
            let stats = BroadcastProcessTests.stats(task)
            let messages = try await received()
            let counts = Dictionary(grouping: messages, by: { $0 }).mapValues(\.count)
            let twice = counts.filter { $0.value > 1 }
            print("partition (clock ahead: \(clockAhead)): \(stats); \(messages.count) messages, \(counts.count) followers reached")
            #expect(twice.isEmpty, "nobody twice: \(twice.prefix(5))")
            #expect(Set(counts.keys) == Set(openids), "everyone reached: \(Self.followers - counts.count) missed")
            let sent = stats["sent"] as? Int ?? 0, skipped = stats["skipped"] as? Int ?? 0
            #expect(sent + skipped == Self.followers, "\(stats)")
            // Skipped as "outcome unknown": only what w1 had started and not recorded when cut,
            // at most its two processes' send concurrency (the default, each).
            #expect(skipped <= 2 * KefuConfiguration().sendConcurrency, "\(stats)")
            let w1 = workers[0].output
            let recovered = processes.filter { $0.output.contains("expired leases recovered") }.map(\.logPath)
            print("leases recovered by: \(recovered); w1 after the cut: \(w1.components(separatedBy: "store failure").count - 1) store-failure lines; fenced results logged: \(w1.contains("no longer held were not recorded")); lost claims logged: \(w1.contains("claims lost before their calls went out"))")
            if clockAhead {
                #expect(w1.contains("this host's clock is off from the store's"), "the skewed host noticed: \(w1.suffix(1500))")
            }
        } catch {
            let logs = processes.map { process in "--- \(process.logPath) ---\n" + String(process.output.suffix(1500)) }
            Issue.record("\(String(reflecting: error))\n\(logs.joined(separator: "\n"))")
        }
        for process in processes.reversed() { try? await process.stop() }
        cluster?.stop()
        lab.tearDown()
        directory.remove()
    }
}
}

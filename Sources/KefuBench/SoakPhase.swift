import Foundation
import KefuCore
import KefuTestSupport

/// The soak phase: `kefu serve` and `kefu worker --processes 2` under a steady load for
/// `soakMinutes` — the simulator pushes `soakPushRate` text messages a second from a pool of
/// followers, and a delayed rule answers each 10 s later, so about as many sends a second go out
/// — sampling at each minute every kefu process's resident memory and open file descriptors and
/// the store's connections (PostgreSQL: sessions on the database; SQLite: descriptors open on the
/// database file). A leak shows as a line that keeps rising; flat lines are what is expected.
extension BenchRunner {
    func soak(url: String, directory: TemporaryDirectory) async throws -> SoakReport {
        let simulator = try KefuProcess(arguments: ["simulator", "--port", "0", "--log-level", "warning"], directory: directory.path,
                                        logName: "simulator-soak")
        try await simulator.waitUntilListening()
        let serve = try KefuProcess(arguments: ["serve", "--port", "0", "--workers", "0", "--database", url, "--log-level", "warning",
                                                "--wechat-api", simulator.baseURL],
                                    environment: ["KEFU_ADMIN_TOKEN": adminToken], directory: directory.path, logName: "serve-soak")
        try await serve.waitUntilListening()
        let workers = try KefuProcess(arguments: ["worker", "--processes", "2", "--database", url, "--log-level", "warning",
                                                  "--wechat-api", simulator.baseURL, "--metrics-port", "0"],
                                      directory: directory.path, logName: "workers-soak")
        var account = TestAccounts.plain(77)
        account.sendRate = 10_000
        try await createAccount(account, on: serve)
        let added = try await TestHTTP.post("\(simulator.baseURL)/sim/accounts", TestHTTP.json([
            "appid": account.appid, "secret": account.appSecret, "token": account.token, "daily_quota": 100_000_000,
            "callback_url": "\(serve.baseURL)/wechat/\(account.appid)",
        ] as [String: Any]))
        guard added.status == 201 else { throw BenchError(message: "simulator account not created: \(added.body)") }
        let rule = try await TestHTTP.post("\(serve.baseURL)/api/v1/rules", TestHTTP.json([
            "appid": account.appid, "name": "soak", "trigger": ["kind": "message"], "delay_seconds": 10,
            "message": ["msgtype": "text", "text": ["content": "收到，谢谢"]],
        ] as [String: Any]), headers: [("Authorization", "Bearer \(adminToken)")])
        guard rule.status == 201 else { throw BenchError(message: "rule not created: \(rule.body)") }

        let minutes = configuration.soakMinutes, rate = configuration.soakPushRate, pool = 5_000
        say("soak: \(minutes) min, \(rate) pushes/s through the simulator from \(pool) followers, each answered by a rule 10 s later")
        var samples: [SoakReport.Minute] = []
        var pushed = 0, refused = 0, lastSent = 0
        let start = ContinuousClock.now
        do {
            for minute in 1...minutes {
                // Paced by the clock from the start: by the end of each second, `rate` pushes a
                // second are due, played through the simulator (which retries a 503 as WeChat
                // does). A round that overran its second (a busy machine) is made up in the next,
                // so each minute pushes `rate` × 60 whenever the machine can keep the average; a
                // minute that cannot finish in time runs long and says so.
                let minuteEnd = start + .seconds(60 * minute), quota = rate * 60 * minute
                while pushed < quota {
                    let second = (ContinuousClock.now - start).components.seconds
                    let count = min(quota, rate * Int(second + 1)) - pushed
                    if count > 0 {
                        let actions = (0..<count).map { i -> [String: Any] in
                            ["openid": "oSoak\((pushed + i) % pool)", "kind": "text", "content": "soak \(pushed + i)"]
                        }
                        let played = try await TestHTTP.post("\(simulator.baseURL)/sim/play", TestHTTP.json([
                            "appid": account.appid, "actions": actions, "concurrency": 16,
                        ] as [String: Any]))
                        pushed += count
                        refused += count - (played.json?["acknowledged"] as? Int ?? 0)
                    }
                    let next = start + .seconds(second + 1)
                    if ContinuousClock.now < next { try await Task.sleep(for: next - ContinuousClock.now) }  // pacing, not a wait for a condition
                }
                let late = Self.seconds(between: minuteEnd, ContinuousClock.now)
                if late > 1 {
                    say(String(format: "soak: minute %d ended %.1f s late: this machine could not keep %d pushes/s", minute, late, rate))
                }
                let sent = try await simulatorMessages(account, simulator: simulator)
                var sample = try await Self.sample(serve: serve.process.processIdentifier, supervisor: workers.process.processIdentifier, url: url)
                sample.minute = minute
                sample.pushes = pushed
                sample.sends = sent
                sample.sendsThisMinute = sent - lastSent
                lastSent = sent
                samples.append(sample)
                say(String(format: "soak %2d min: %7d pushes (%d unanswered), %7d sent (%5d this minute) | serve %5.1f MiB %3d fds | workers %5.1f MiB %3d fds | store connections %d",
                           minute, pushed, refused, sent, sample.sendsThisMinute, sample.serveResidentMiB, sample.serveDescriptors,
                           sample.workersResidentMiB, sample.workersDescriptors, sample.storeConnections))
            }
        } catch {
            try? await workers.stop()
            try? await serve.stop()
            try? await simulator.stop()
            throw error
        }
        try await workers.stop()
        try await serve.stop()
        try await simulator.stop()
        let report = SoakReport(minutes: minutes, pushRate: rate, pushes: pushed, unanswered: refused, samples: samples)
        say(report.summary)
        return report
    }

    /// One minute's sample of the processes and the store.
    static func sample(serve: Int32, supervisor: Int32, url: String) async throws -> SoakReport.Minute {
        let workers = [supervisor] + ProcessStatus.children(of: supervisor)
        var sample = SoakReport.Minute()
        sample.serveResidentMiB = ProcessStatus.residentMiB(serve)
        sample.serveDescriptors = ProcessStatus.descriptors(serve).count
        sample.workersResidentMiB = workers.map(ProcessStatus.residentMiB).reduce(0, +)
        sample.workersDescriptors = workers.map { ProcessStatus.descriptors($0).count }.reduce(0, +)
        sample.workerProcesses = workers.count
        if url.hasPrefix("postgres") {
            let name = URL(string: url)?.lastPathComponent ?? ""
            let count = try await PostgresCluster.shared().column("SELECT count(*)::text FROM pg_stat_activity WHERE datname = '\(name)'",
                                                                  database: "postgres")
            sample.storeConnections = Int(count.first.flatMap { $0 } ?? "0") ?? 0
        } else {
            let file = String(url.dropFirst("sqlite:".count))
            sample.storeConnections = ([serve] + workers).flatMap(ProcessStatus.descriptors).filter { $0 == file }.count
        }
        return sample
    }
}

/// What the soak phase saw, minute by minute.
public struct SoakReport: Codable, Sendable {
    public struct Minute: Codable, Sendable {
        var minute = 0
        var pushes = 0
        var sends = 0
        var sendsThisMinute = 0
        var serveResidentMiB = 0.0
        var serveDescriptors = 0
        /// The worker supervisor and its processes, summed.
        var workersResidentMiB = 0.0
        var workersDescriptors = 0
        var workerProcesses = 0
        var storeConnections = 0
    }

    var minutes: Int
    var pushRate: Int
    var pushes: Int
    /// Pushes the simulator gave up on (kefu never answered success within its retries).
    var unanswered: Int
    var samples: [Minute]

    /// From the second minute (the first includes start-up and warming) to the last.
    var summary: String {
        guard let first = samples.dropFirst().first ?? samples.first, let last = samples.last else { return "soak: no samples" }
        func range(_ values: [Double]) -> String { String(format: "%.1f–%.1f", values.min() ?? 0, values.max() ?? 0) }
        let steady = samples.dropFirst()
        return String(format: """
            soak summary (minute %d to %d): serve RSS %@ MiB (%+.1f), workers RSS %@ MiB (%+.1f), \
            serve fds %d–%d, worker fds %d–%d, store connections %d–%d, %d of %d pushes unanswered
            """,
            first.minute, last.minute,
            range(steady.map(\.serveResidentMiB)), last.serveResidentMiB - first.serveResidentMiB,
            range(steady.map(\.workersResidentMiB)), last.workersResidentMiB - first.workersResidentMiB,
            steady.map(\.serveDescriptors).min() ?? 0, steady.map(\.serveDescriptors).max() ?? 0,
            steady.map(\.workersDescriptors).min() ?? 0, steady.map(\.workersDescriptors).max() ?? 0,
            steady.map(\.storeConnections).min() ?? 0, steady.map(\.storeConnections).max() ?? 0,
            unanswered, pushes)
    }
}

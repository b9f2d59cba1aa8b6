import AsyncHTTPClient
import Foundation
import KefuStoreFactory
import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import WeChatSimulator

/// `kefu-bench`: ingestion, fan-out and delayed timeliness measured in one run, on each store
/// backend, each figure beside a baseline measured in the same run on the same machine — the raw
/// HTTP server for ingestion, the simulator's own capacity for sending. Every component is a real
/// OS process: of the `kefu` binary beside it (serve, worker, simulator) or of `kefu-bench` (the raw
/// echo server); the bench process only generates load, seeds stores and reads results.
public struct BenchRunner: Sendable {
    public struct Configuration: Sendable {
        public var followers = 1_000_000
        public var pushes = 20_000
        public var rounds = 3
        public var concurrency = 64
        public var delayed = 100_000
        public var delaySeconds = 60
        public var sendSeconds = 20
        /// Fan-out: how long the simulator waits before each answer once its capacity is
        /// measured (0: at once, as on loopback). WeChat answers from across the internet.
        public var wechatLatencyMillis = 0
        /// Interactions per round of the store phase, at each batch size.
        public var storeInteractions = 5_000
        /// The soak phase: how long, and how many pushes a second.
        public var soakMinutes = 30
        public var soakPushRate = 100
        public var backends: [StoreBackend] = StoreBackend.allCases
        public var phases: Set<BenchPhase> = Set(BenchPhase.allCases).subtracting([.soak])
        public var jsonPath = "bench.json"
        public init() {}
    }

    let configuration: Configuration
    let say: @Sendable (String) -> Void
    let adminToken = "bench-admin-token-0123456789"

    public init(configuration: Configuration, say: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.say = say
    }

    public func run() async throws -> BenchReport {
        // The `kefu` binary beside this `kefu-bench` (same build), unless KEFU_BINARY names one.
        let bench = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let executable = ProcessInfo.processInfo.environment["KEFU_BINARY"]
            ?? URL(fileURLWithPath: bench).deletingLastPathComponent().appendingPathComponent("kefu").path
        setenv("KEFU_BINARY", executable, 1)
        // PostgreSQL as deployed: durable commits (not the test suite's throwaway settings).
        PostgresCluster.setSharedSettings(.durable)
        let directory = try TemporaryDirectory(prefix: "kefu-bench")
        defer { directory.remove() }
        let echo = try KefuProcess(executable: bench, arguments: ["echo", "--port", "0"], directory: directory.path, logName: "echo")
        try await echo.waitUntilListening()
        let client = LoadGenerator.makeClient(concurrency: configuration.concurrency)
        var report = BenchReport(machine: Self.machine(), binary: executable, configuration: .init(configuration))
        do {
            for backend in configuration.backends {
                say("== \(backend) ==")
                let url = try await backend.freshURL(in: directory)
                var result = BackendReport(backend: backend.rawValue)
                if backend == .postgres {
                    result.storeSettings = try await PostgresCluster.shared().settings(
                        ["fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "wal_buffers", "max_wal_size"])
                    say("postgres: " + result.storeSettings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
                }
                if configuration.phases.contains(.ingestion) {
                    result.ingestion = try await ingestion(url: url, echo: echo, client: client, directory: directory)
                }
                if configuration.phases.contains(.store) { result.store = try await storeCost(url: url) }
                if configuration.phases.contains(.fanOut) { result.fanOut = try await fanOut(url: url, directory: directory) }
                if configuration.phases.contains(.delayed) { result.delayed = try await delayed(url: url, directory: directory) }
                if configuration.phases.contains(.soak) { result.soak = try await soak(url: url, directory: directory) }
                report.backends.append(result)
            }
        } catch {
            try? await echo.stop()
            try? await client.shutdown()
            throw error
        }
        try? await echo.stop()
        try await client.shutdown()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: configuration.jsonPath))
        return report
    }

    // MARK: Ingestion

    func ingestion(url: String, echo: KefuProcess, client: HTTPClient, directory: TemporaryDirectory) async throws -> [String: IngestionReport] {
        let serve = try KefuProcess(arguments: ["serve", "--port", "0", "--workers", "0", "--database", url, "--log-level", "warning"],
                                    environment: ["KEFU_ADMIN_TOKEN": adminToken], directory: directory.path, logName: "serve")
        try await serve.waitUntilListening()
        let generator = LoadGenerator(client: client, concurrency: configuration.concurrency)
        var reports: [String: IngestionReport] = [:]
        for (mode, account) in [(CallbackMode.plain, TestAccounts.plain(71)), (CallbackMode.safe, TestAccounts.aes(72))] {
            try await createAccount(account, on: serve)
            var raw: [LoadGenerator.Result] = [], kefu: [LoadGenerator.Result] = []
            _ = await generator.run(pushes(account, mode: mode, base: serve.baseURL, round: 99, count: 500))  // warm-up
            for round in 0..<configuration.rounds {
                raw.append(await generator.run(pushes(account, mode: mode, base: echo.baseURL, round: round, count: configuration.pushes)))
                kefu.append(await generator.run(pushes(account, mode: mode, base: serve.baseURL, round: round, count: configuration.pushes)))
            }
            let report = IngestionReport(raw: Self.median(raw), kefu: Self.median(kefu))
            say(String(format: "ingestion %@: kefu %.0f/s (p50 %.1f ms, p99 %.1f ms) vs raw %.0f/s: ratio %.2f",
                       mode.rawValue, report.kefu.perSecond, report.kefu.p50Millis, report.kefu.p99Millis, report.raw.perSecond, report.ratio))
            reports[mode.rawValue] = report
        }
        try await serve.stop()
        return reports
    }

    /// Signed pushes of text messages from distinct followers, each with its own MsgId.
    func pushes(_ account: Account, mode: CallbackMode, base: String, round: Int, count: Int) -> [LoadGenerator.Request] {
        let simulated = TestAccounts.simulated(account, mode: mode, callbackURL: nil)
        let now = SystemWallClock().nowMillis() / 1000
        return (0..<count).map { index in
            let action = FollowerAction(openid: "oBench\(round)_\(index)", kind: .text, content: "你好 \(index)")
            let xml = PushBuilder.xml(action, account: simulated, createTime: now, msgId: Int64(round * 10_000_000 + index + 1))
            let signed = PushBuilder.signed(xml: xml, account: simulated, timestamp: now, nonce: "\(100_000 + index)")
            return .init(url: "\(base)/wechat/\(account.appid)?\(signed.query)", body: signed.body)
        }
    }

    // MARK: Store

    /// Batches of 5, 25 and 100 interactions from distinct followers recorded straight into the
    /// store (see `StoreCostReport`); five rounds each, the medians kept.
    func storeCost(url: String) async throws -> StoreCostReport {
        let store = try await KefuAppStore.open(url)
        do {
            try await store.migrate()
            var points: [StoreCostReport.Point] = []
            for size in [5, 25, 100] {
                var walls: [Double] = [], cpus: [Double] = []
                let batches = max(configuration.storeInteractions / size, 1)
                for round in 0..<5 {
                    let now = SystemWallClock().nowMillis()
                    let work = (0..<batches).map { batch in
                        (0..<size).map { index in
                            Interaction(appid: "wxbenchstore", openid: "oStore\(size)_\(round)_\(batch)_\(index)", kind: .message,
                                        detail: "text", at: now, dedupeKey: "m:\(size):\(round):\(batch):\(index)")
                        }
                    }
                    let cpuStart = Self.processCPUSeconds(), start = ContinuousClock.now
                    for batch in work { _ = try await store.record(batch, policy: .wechatDefault, now: now) }
                    let interactions = Double(batches * size)
                    walls.append(Self.seconds(since: start) * 1e6 / interactions)
                    cpus.append((Self.processCPUSeconds() - cpuStart) * 1e6 / interactions)
                }
                points.append(.init(batchSize: size, wallMicrosPerInteraction: Self.median(walls), cpuMicrosPerInteraction: Self.median(cpus)))
            }
            try await store.close()
            let report = StoreCostReport(points: points)
            say("store: µs per interaction in batches of " + points.map { "\($0.batchSize)" }.joined(separator: " / ") + ": wall "
                + points.map { String(format: "%.0f", $0.wallMicrosPerInteraction) }.joined(separator: " / ") + ", CPU "
                + points.map { String(format: "%.0f", $0.cpuMicrosPerInteraction) }.joined(separator: " / ")
                + String(format: "; a batch ≈ %.0f µs + %.1f µs per interaction (wall), %.0f + %.1f (CPU)",
                         report.wallFixedMicrosPerBatch, report.wallMicrosPerInteraction,
                         report.cpuFixedMicrosPerBatch, report.cpuMicrosPerInteraction))
            return report
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// User and system CPU of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    // MARK: Fan-out

    func fanOut(url: String, directory: TemporaryDirectory) async throws -> FanOutReport {
        let (store, simulator, account) = try await sendingAccount(73, url: url, directory: directory, logName: "simulator-fan",
                                                                  followers: [("oFan", configuration.followers), ("oCap", 200_000)])

        let seedStart = ContinuousClock.now
        try await seed(store, appid: account.appid, prefix: "oFan", count: configuration.followers)
        let seedSeconds = Self.seconds(since: seedStart)
        say(String(format: "fan-out: %d followers seeded in %.1f s", configuration.followers, seedSeconds))
        try await drainTriggers(store)
        try await settle(url)

        let now = SystemWallClock().nowMillis()
        let task = try await store.createTask(BroadcastTask(appid: account.appid, name: "bench", sendAt: now,
                                                            message: .text(content: "双十一 专享"), createdAt: now, updatedAt: now))
        let snapshotStart = ContinuousClock.now
        let started = try await store.startDueTasks(now: SystemWallClock().nowMillis())
        let snapshotSeconds = Self.seconds(since: snapshotStart)
        let queued = started.first { $0.0 == task }?.1 ?? 0
        say(String(format: "fan-out: snapshot of %d deliveries in %.2f s", queued, snapshotSeconds))

        // The simulator's capacity, with the client kefu's sender uses, at its concurrency.
        let rounds = try await simulatorCapacity(account, simulator: simulator)
        let capacity = Self.median(rounds)
        say(String(format: "fan-out: simulator capacity %.0f sends/s (median of %@)", capacity,
                   rounds.map { String(format: "%.0f", $0) }.joined(separator: ", ")))

        if configuration.wechatLatencyMillis > 0 {
            let set = try await TestHTTP.post("\(simulator.baseURL)/sim/faults",
                                              TestHTTP.json(["latency_ms": configuration.wechatLatencyMillis] as [String: Any]))
            guard set.status == 200 else { throw BenchError(message: "simulator latency not set: \(set.body)") }
            say("fan-out: the simulator answers each call after \(configuration.wechatLatencyMillis) ms from here on")
        }
        // Progress is read from the simulator (what WeChat accepted), not from the store, so the
        // measurement adds no load to the database it measures.
        let before = try await simulatorMessages(account, simulator: simulator)
        let worker = try KefuProcess(arguments: ["worker", "--database", url, "--wechat-api", simulator.baseURL, "--log-level", "warning"],
                                     directory: directory.path, logName: "worker-fan")
        var firstSent: (ContinuousClock.Instant, Int)?
        var last: (ContinuousClock.Instant, Int) = (.now, 0)
        var peakMiB = 0.0
        let deadline = ContinuousClock.now + .seconds(configuration.sendSeconds + 60)
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            peakMiB = max(peakMiB, ProcessStatus.peakResidentMiB(worker.process.processIdentifier))
            let sent = try await simulatorMessages(account, simulator: simulator) - before
            last = (.now, sent)
            if firstSent == nil, sent > 0 { firstSent = last }
            if let firstSent, ContinuousClock.now - firstSent.0 >= .seconds(configuration.sendSeconds) { break }
            if sent >= queued { break }
        }
        try await worker.stop()
        _ = try await store.cancelTask(id: task, now: SystemWallClock().nowMillis())
        // What the cancel's 5 s left pending, finished here as the trimmer would, so that the
        // next phase does not measure it (about 900,000 updates).
        while try await store.cancelLeftovers(limit: 10_000) > 0 {}
        try await simulator.stop()
        try await store.close()
        let sendRate = firstSent.map { Double(last.1 - $0.1) / max(Self.seconds(between: $0.0, last.0), 0.001) } ?? 0
        let report = FanOutReport(followers: configuration.followers, seedSeconds: seedSeconds, snapshotSeconds: snapshotSeconds,
                                  queued: queued, simulatorCapacityPerSecond: capacity, simulatorCapacityRounds: rounds,
                                  sendPerSecond: sendRate,
                                  sendRatio: capacity > 0 ? sendRate / capacity : 0, workerPeakResidentMiB: peakMiB,
                                  wechatLatencyMillis: configuration.wechatLatencyMillis)
        if configuration.wechatLatencyMillis > 0 {
            say(String(format: "fan-out: kefu sent %.0f/s with each answer after %d ms; worker peak RSS %.0f MiB",
                       sendRate, configuration.wechatLatencyMillis, peakMiB))
        } else {
            say(String(format: "fan-out: kefu sent %.0f/s (ratio %.2f of the simulator's capacity); worker peak RSS %.0f MiB",
                       sendRate, report.sendRatio, peakMiB))
        }
        return report
    }

    func seed(_ store: any KefuStore, appid: String, prefix: String, count: Int, at: Int64? = nil) async throws {
        let batch = 2_000
        var index = 0
        while index < count {
            let now = SystemWallClock().nowMillis()
            let items = (index..<min(index + batch, count)).map { i in
                Interaction(appid: appid, openid: "\(prefix)\(i)", kind: .message, detail: "text", at: at ?? now, dedupeKey: "m:\(prefix)\(i)")
            }
            _ = try await store.record(items, policy: .wechatDefault, now: now)
            index += batch
        }
    }

    /// Sends per second in each measured round.
    func simulatorCapacity(_ account: Account, simulator: KefuProcess) async throws -> [Double] {
        let client = WeChatAPI.makeHTTPClient(connections: 32)
        let api = WeChatAPI(baseURL: simulator.baseURL, client: client)
        let token: String
        switch try await api.stableToken(appid: account.appid, secret: account.appSecret, forceRefresh: false) {
        case .success(let (value, _)): token = value
        case .failure(let error):
            try await client.shutdown()
            throw BenchError(message: "simulator refused a token: \(error)")
        }
        // A warm-up opens the connections; then the median of three rounds, as a single
        // two-second sample moved by a fifth between runs on this shared machine. Each round is
        // sized from the warm-up's rate to last about 2.5 s (20,000 sends at the release build's
        // rate here; a debug build's would otherwise take 20 s a round).
        var rates: [Double] = []
        var sent = 0
        var count = 2_000
        for round in 0..<4 {
            let start = ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func add() {
                    let body = Array(CustomMessage.text(content: "双十一 专享").sendBody(to: "oCap\((sent + next) % 200_000)"))
                    next += 1
                    group.addTask { _ = try? await api.customSend(accessToken: token, body: body) }
                }
                for _ in 0..<32 { add() }
                while await group.next() != nil { if next < count { add() } }
            }
            sent += count
            let rate = Double(count) / Self.seconds(since: start)
            if round == 0 {
                count = min(max(Int(rate * 2.5), 2_000), 50_000)
            } else {
                rates.append(rate)
            }
        }
        try await client.shutdown()
        return rates
    }

    // MARK: Delayed timeliness

    func delayed(url: String, directory: TemporaryDirectory) async throws -> DelayedReport {
        let (store, simulator, account) = try await sendingAccount(74, url: url, directory: directory, logName: "simulator-delayed",
                                                                  followers: [("oDue", configuration.delayed)])
        let created = SystemWallClock().nowMillis()
        let rule = try await store.createRule(DelayedRule(
            appid: account.appid, name: "bench", trigger: .init(kind: .message), delaySeconds: configuration.delaySeconds,
            message: .text(content: "欢迎回来"), createdAt: created, updatedAt: created))
        let worker = try KefuProcess(arguments: ["worker", "--database", url, "--wechat-api", simulator.baseURL, "--log-level", "warning"],
                                     directory: directory.path, logName: "worker-delayed")
        // Every interaction at the same second, so every delivery falls due in the same second.
        let at = SystemWallClock().nowMillis() / 1000 * 1000 + 1000
        try await seed(store, appid: account.appid, prefix: "oDue", count: configuration.delayed, at: at)
        let due = at + Int64(configuration.delaySeconds) * 1000
        var enqueuedAt: Int64?
        var promoted: [(Int64, Int)] = []  // (ms after due, deliveries promoted by then)
        let deadline = ContinuousClock.now + .seconds(configuration.delaySeconds + 600)
        // Counted in the store every 100 ms until everything is in the send queue (the promotion
        // percentiles have that resolution), then the simulator tells when all were sent.
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let now = SystemWallClock().nowMillis()
            if let last = promoted.last, last.1 >= configuration.delayed {
                if try await simulatorMessages(account, simulator: simulator) >= configuration.delayed { break }
                continue
            }
            if enqueuedAt != nil && now < due - 200 { continue }
            let counts = try await store.ruleDeliveryCounts(id: rule)
            let total = counts.values.reduce(0, +)
            if enqueuedAt == nil, total >= configuration.delayed { enqueuedAt = now }
            if now >= due { promoted.append((now - due, total - (counts[.waiting] ?? 0))) }
        }
        // Wait for kefu to record the last answers.
        try await Task.sleep(for: .milliseconds(500))
        try await worker.stop()
        try await simulator.stop()
        var lateness: [Double] = []
        var after: Int64?
        while true {
            let page = try await store.ruleDeliveries(ruleId: rule, state: .sent, limit: 5_000, afterId: after)
            for delivery in page { if let sent = delivery.sentAt { lateness.append(Double(sent - delivery.dueAt)) } }
            guard let last = page.last, page.count == 5_000 else { break }
            after = last.id
        }
        try await store.close()
        lateness.sort()
        func promotion(_ share: Double) -> Double {
            let wanted = Int((share * Double(configuration.delayed)).rounded(.up))
            return Double(promoted.first { $0.1 >= wanted }?.0 ?? -1)
        }
        let report = DelayedReport(
            deliveries: configuration.delayed, sent: lateness.count,
            enqueuedBeforeDueSeconds: enqueuedAt.map { Double(due - $0) / 1000 },
            promotionP50Millis: promotion(0.5), promotionP99Millis: promotion(0.99),
            sendLatenessP50Millis: LoadGenerator.percentile(lateness, 0.5), sendLatenessP99Millis: LoadGenerator.percentile(lateness, 0.99))
        say(String(format: "delayed: %d due in one second; in the send queue p50 %.0f ms, p99 %.0f ms after due; sent p50 %.0f ms, p99 %.0f ms after due",
                   configuration.delayed, report.promotionP50Millis, report.promotionP99Millis,
                   report.sendLatenessP50Millis, report.sendLatenessP99Millis))
        return report
    }

    // MARK: Helpers

    /// The seeded interactions wait for the trigger evaluator, which a `kefu worker` would start
    /// on in the middle of the send measurement. A database whose followers arrived over weeks
    /// evaluated them as they came: evaluate them now (no account has rules), outside the
    /// measured time.
    func drainTriggers(_ store: any KefuStore) async throws {
        let start = ContinuousClock.now
        let generation = try await store.rulesGeneration()
        var total = 0
        while let (evaluated, _) = try await store.evaluateTriggers(rules: [:], generation: generation, limit: 10_000,
                                                                     now: SystemWallClock().nowMillis()), evaluated > 0 {
            total += evaluated
        }
        say(String(format: "fan-out: %d interactions waiting for trigger evaluation evaluated in %.1f s (not measured)",
                   total, Self.seconds(since: start)))
    }

    /// After bulk seeding, PostgreSQL's autovacuum has a million fresh rows in each ledger table
    /// to visit, and would do it in the middle of the next measurement, on the same two cores.
    /// A database whose followers arrived over weeks has long been vacuumed: do it now, outside
    /// the measured time. (SQLite has no background maintenance.)
    func settle(_ url: String) async throws {
        guard url.hasPrefix("postgres") else { return }
        let start = ContinuousClock.now
        try await PostgresCluster.shared().execute("VACUUM ANALYZE", database: url)
        // And its pages long written out: no checkpoint left over from seeding runs beside the
        // next measurement.
        try await PostgresCluster.shared().execute("CHECKPOINT", database: url)
        say(String(format: "postgres: VACUUM ANALYZE and CHECKPOINT after seeding, %.1f s (not measured)", Self.seconds(since: start)))
    }

    func createAccount(_ account: Account, on serve: KefuProcess) async throws {
        var body: [String: Any] = ["appid": account.appid, "app_secret": account.appSecret, "token": account.token,
                                   "send_rate": account.sendRate]
        if let key = account.encodingAESKey { body["encoding_aes_key"] = key }
        let reply = try await TestHTTP.post("\(serve.baseURL)/api/v1/accounts", TestHTTP.json(body),
                                            headers: [("Authorization", "Bearer \(adminToken)")])
        guard reply.status == 201 else { throw BenchError(message: "account not created: \(reply.body)") }
    }

    /// The store, a simulator process and test account `n` in both, with a send rate and budget
    /// that never limit the measurement, and the simulator's followers `(prefix, count)`.
    func sendingAccount(_ n: Int, url: String, directory: TemporaryDirectory, logName: String,
                        followers: [(String, Int)]) async throws -> (any KefuStore, KefuProcess, Account) {
        let store = try await KefuAppStore.open(url)
        // Migrated here too: with --phases, no `kefu serve` may have run on this store yet.
        try await store.migrate()
        let simulator = try KefuProcess(arguments: ["simulator", "--port", "0", "--log-level", "warning"], directory: directory.path, logName: logName)
        try await simulator.waitUntilListening()
        var account = TestAccounts.plain(n)
        account.sendRate = 10_000
        account.dailyBudget = 100_000_000
        try await store.createAccount(account)
        try await simulatorAccount(account, simulator: simulator, followers: followers)
        return (store, simulator, account)
    }

    func simulatorAccount(_ account: Account, simulator: KefuProcess, followers: [(String, Int)]) async throws {
        let added = try await TestHTTP.post("\(simulator.baseURL)/sim/accounts", TestHTTP.json([
            "appid": account.appid, "secret": account.appSecret, "token": account.token, "daily_quota": 100_000_000,
        ] as [String: Any]))
        guard added.status == 201 else { throw BenchError(message: "simulator account not created: \(added.body)") }
        for (prefix, count) in followers {
            let seeded = try await TestHTTP.post("\(simulator.baseURL)/sim/followers",
                                                 TestHTTP.json(["appid": account.appid, "prefix": prefix, "count": count] as [String: Any]))
            guard seeded.status == 200 else { throw BenchError(message: "simulator followers not seeded: \(seeded.body)") }
        }
    }

    func simulatorMessages(_ account: Account, simulator: KefuProcess) async throws -> Int {
        try await TestHTTP.get("\(simulator.baseURL)/sim/stats?appid=\(account.appid)").json?["messages"] as? Int ?? 0
    }

    static func median(_ results: [LoadGenerator.Result]) -> LoadGenerator.Result {
        results.sorted { $0.perSecond < $1.perSecond }[results.count / 2]
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func seconds(since start: ContinuousClock.Instant) -> Double { seconds(between: start, .now) }
    static func seconds(between start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) -> Double {
        LoadGenerator.millis(end - start) / 1000
    }

    static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        return "\(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(memory) GiB"
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

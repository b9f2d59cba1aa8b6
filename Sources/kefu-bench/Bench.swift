import ArgumentParser
import Foundation
import Hummingbird
import KefuBench
import KefuCore
import Logging

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Measure ingestion, fan-out and delayed timeliness on each store, against baselines measured in the same run, and what a recorded batch costs the store.",
        discussion: """
            Starts real processes of the kefu binary beside it (serve, worker, simulator) and a raw Hummingbird echo \
            server (kefu-bench echo) on fresh \
            stores: a SQLite file, and a database in a throwaway PostgreSQL cluster (installed packages needed). \
            Prints a table and writes JSON. Build with -c release for figures worth quoting.
            """)

    @Option(help: "Followers in the fan-out audience.")
    var followers = 1_000_000
    @Option(help: "Signed pushes per ingestion round.")
    var pushes = 20_000
    @Option(help: "Ingestion rounds; the median is reported.")
    var rounds = 3
    @Option(help: "Requests in flight from the load generator.")
    var concurrency = 64
    @Option(help: "Delayed deliveries due in the same second.")
    var delayed = 100_000
    @Option(help: "Delay of the benchmark's rule in seconds; every delivery must be queued before it.")
    var delaySeconds = 60
    @Option(help: "Seconds of sending measured against the simulator.")
    var sendSeconds = 20
    @Option(help: "Fan-out: milliseconds the simulator waits before each answer once its capacity is measured (WeChat's latency; 0: none).")
    var wechatLatencyMs = 0
    @Option(help: "Interactions per round of the store phase, at each batch size.")
    var storeInteractions = 5_000
    @Option(help: "Backends, comma-separated: sqlite, postgres.")
    var backends = "sqlite,postgres"
    @Option(help: "Parts to measure, comma-separated: ingestion, fan-out, delayed, store, soak (not run unless named).")
    var phases = "ingestion,fan-out,delayed,store"
    @Option(help: "Soak phase: minutes of steady pushes and sends, sampled each minute.")
    var minutes = 30
    @Option(help: "Soak phase: pushes a second (each answered by a delayed rule's send).")
    var soakPushRate = 100
    @Option(help: "Where to write the JSON report.")
    var json = "bench.json"

    func run() async throws {
        var configuration = BenchRunner.Configuration()
        func check(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
            guard range.contains(value) else {
                throw CommandFailure(KefuError(.badConfiguration, "--\(name): must be between \(range.lowerBound) and \(range.upperBound)"))
            }
            return value
        }
        configuration.followers = try check(followers, "followers", 1...50_000_000)
        configuration.pushes = try check(pushes, "pushes", 1...10_000_000)
        configuration.rounds = try check(rounds, "rounds", 1...99)
        configuration.concurrency = try check(concurrency, "concurrency", 1...1024)
        configuration.delayed = try check(delayed, "delayed", 1...10_000_000)
        configuration.delaySeconds = try check(delaySeconds, "delay-seconds", 1...3600)
        configuration.sendSeconds = try check(sendSeconds, "send-seconds", 1...3600)
        configuration.wechatLatencyMillis = try check(wechatLatencyMs, "wechat-latency-ms", 0...10_000)
        configuration.storeInteractions = try check(storeInteractions, "store-interactions", 100...1_000_000)
        configuration.soakMinutes = try check(minutes, "minutes", 1...1440)
        configuration.soakPushRate = try check(soakPushRate, "soak-push-rate", 1...5_000)
        configuration.jsonPath = json
        configuration.backends = try Self.list(backends, option: "backends")
        configuration.phases = Set(try Self.list(phases, option: "phases"))
        do {
            let report = try await BenchRunner(configuration: configuration, say: { say($0) }).run()
            say("\nkefu bench on \(report.machine)\n\n\(report.table)\n\nJSON: \(json)")
        } catch {
            throw CommandFailure(error, withCause: true)
        }
    }
}

extension Bench {
    /// A comma-separated option's values, each the raw value of one of `T`'s cases.
    static func list<T: RawRepresentable & CaseIterable>(_ text: String, option: String) throws -> [T] where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        let expected = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        return try text.split(separator: ",").map { name in
            guard let value = T(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw CommandFailure(KefuError(.badConfiguration, "--\(option): \(name) is not \(expected)"))
            }
            return value
        }
    }
}

/// The raw baseline for ingestion: a trivial Hummingbird handler answering `success`, run as its
/// own process like `kefu serve`, so the load generator meets the same process layout.
struct BenchEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo", abstract: "The benchmark's raw HTTP baseline.",
                                                    shouldDisplay: false)

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 0

    func run() async throws {
        var logger = Logger(label: "bench-echo")
        logger.logLevel = .warning
        let router = Router()
        router.post("/wechat/:appid") { request, _ -> String in
            _ = try await request.body.collect(upTo: 1 << 16)
            return "success"
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in say("bench echo listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)") },
                              logger: logger)
        try await app.runService()
    }
}

import Foundation

/// The parts of `kefu bench`, each measured on each backend.
public enum BenchPhase: String, Sendable, Codable, CaseIterable {
    case ingestion
    case fanOut = "fan-out"
    case delayed
}

/// What `kefu bench` measured, written as JSON and printed as a table.
public struct BenchReport: Codable, Sendable {
    public struct Settings: Codable, Sendable {
        var followers, pushes, rounds, concurrency, delayed, delaySeconds, sendSeconds: Int
        var phases: [String]
        init(_ configuration: BenchRunner.Configuration) {
            followers = configuration.followers
            pushes = configuration.pushes
            rounds = configuration.rounds
            concurrency = configuration.concurrency
            delayed = configuration.delayed
            delaySeconds = configuration.delaySeconds
            sendSeconds = configuration.sendSeconds
            phases = BenchPhase.allCases.filter(configuration.phases.contains).map(\.rawValue)
        }
    }

    public var machine: String
    public var binary: String
    public var configuration: Settings
    public var backends: [BackendReport] = []

    /// The table for the terminal and the README, with each target beside its figure.
    public var table: String {
        var lines = ["| measure | target | " + backends.map(\.backend).joined(separator: " | ") + " |",
                     "|---|---|" + backends.map { _ in "---|" }.joined()]
        func row(_ name: String, _ target: String, _ value: (BackendReport) -> String) {
            lines.append("| \(name) | \(target) | " + backends.map(value).joined(separator: " | ") + " |")
        }
        func f(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        for mode in ["plain", "safe"] {
            let target = mode == "plain" ? "≥ 0.5" : "≥ 0.4"
            row("ingestion \(mode): kefu pushes/s ÷ raw server", target) { b in
                guard let i = b.ingestion[mode] else { return "–" }
                return "\(f(i.ratio, 2)) (\(f(i.kefu.perSecond)) ÷ \(f(i.raw.perSecond)))"
            }
            row("ingestion \(mode): p50 / p99 latency", "") { b in
                guard let i = b.ingestion[mode] else { return "–" }
                return "\(f(i.kefu.p50Millis, 1)) / \(f(i.kefu.p99Millis, 1)) ms"
            }
        }
        row("snapshot of the audience into the queue", "≤ 10 s") { b in
            b.fanOut.map { "\(f($0.snapshotSeconds, 2)) s (\($0.queued))" } ?? "–"
        }
        row("send throughput ÷ simulator capacity", "≥ 0.5") { b in
            b.fanOut.map { "\(f($0.sendRatio, 2)) (\(f($0.sendPerSecond)) ÷ \(f($0.simulatorCapacityPerSecond)))" } ?? "–"
        }
        row("worker peak resident memory", "≤ 256 MiB") { b in b.fanOut.map { "\(f($0.workerPeakResidentMiB)) MiB" } ?? "–" }
        row("delayed: in the send queue after due, p50 / p99", "p99 ≤ 1 s") { b in
            b.delayed.map { "\(f($0.promotionP50Millis)) / \(f($0.promotionP99Millis)) ms" } ?? "–"
        }
        row("delayed: sent after due, p50 / p99", "") { b in
            b.delayed.map { "\(f($0.sendLatenessP50Millis)) / \(f($0.sendLatenessP99Millis)) ms" } ?? "–"
        }
        return lines.joined(separator: "\n")
    }
}

public struct BackendReport: Codable, Sendable {
    public var backend: String
    /// The store's server settings that bear on the figures (PostgreSQL's durability, memory, WAL).
    public var storeSettings: [String: String] = [:]
    public var ingestion: [String: IngestionReport] = [:]
    public var fanOut: FanOutReport?
    public var delayed: DelayedReport?
}

public struct IngestionReport: Codable, Sendable {
    var raw: LoadGenerator.Result
    var kefu: LoadGenerator.Result
    var ratio: Double { raw.perSecond > 0 ? kefu.perSecond / raw.perSecond : 0 }

    enum CodingKeys: String, CodingKey { case raw, kefu, ratio }
    init(raw: LoadGenerator.Result, kefu: LoadGenerator.Result) {
        self.raw = raw
        self.kefu = kefu
    }
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        raw = try container.decode(LoadGenerator.Result.self, forKey: .raw)
        kefu = try container.decode(LoadGenerator.Result.self, forKey: .kefu)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(raw, forKey: .raw)
        try container.encode(kefu, forKey: .kefu)
        try container.encode(ratio, forKey: .ratio)
    }
}

public struct FanOutReport: Codable, Sendable {
    var followers: Int
    var seedSeconds: Double
    var snapshotSeconds: Double
    var queued: Int
    /// The median of `simulatorCapacityRounds`.
    var simulatorCapacityPerSecond: Double
    var simulatorCapacityRounds: [Double]
    var sendPerSecond: Double
    var sendRatio: Double
    var workerPeakResidentMiB: Double
}

public struct DelayedReport: Codable, Sendable {
    var deliveries: Int
    var sent: Int
    /// How long before the due second every delivery had been queued (negative: after).
    var enqueuedBeforeDueSeconds: Double?
    var promotionP50Millis: Double
    var promotionP99Millis: Double
    var sendLatenessP50Millis: Double
    var sendLatenessP99Millis: Double
}

import Foundation

/// The parts of `kefu bench`, each measured on each backend.
public enum BenchPhase: String, Sendable, Codable, CaseIterable {
    case ingestion
    case fanOut = "fan-out"
    case delayed
    case store
    /// Not in the default run: `--phases soak --minutes N`.
    case soak
}

/// What `kefu bench` measured, written as JSON and printed as a table.
public struct BenchReport: Codable, Sendable {
    public struct Settings: Codable, Sendable {
        var followers, pushes, rounds, concurrency, delayed, delaySeconds, sendSeconds, storeInteractions: Int
        var phases: [String]
        init(_ configuration: BenchRunner.Configuration) {
            followers = configuration.followers
            pushes = configuration.pushes
            rounds = configuration.rounds
            concurrency = configuration.concurrency
            delayed = configuration.delayed
            delaySeconds = configuration.delaySeconds
            sendSeconds = configuration.sendSeconds
            storeInteractions = configuration.storeInteractions
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
            b.fanOut.map {
                $0.wechatLatencyMillis > 0 ? "\(f($0.sendPerSecond))/s with each answer after \($0.wechatLatencyMillis) ms"
                    : "\(f($0.sendRatio, 2)) (\(f($0.sendPerSecond)) ÷ \(f($0.simulatorCapacityPerSecond)))"
            } ?? "–"
        }
        row("worker peak resident memory", "≤ 256 MiB") { b in b.fanOut.map { "\(f($0.workerPeakResidentMiB)) MiB" } ?? "–" }
        row("delayed: in the send queue after due, p50 / p99", "p99 ≤ 1 s") { b in
            b.delayed.map { "\(f($0.promotionP50Millis)) / \(f($0.promotionP99Millis)) ms" } ?? "–"
        }
        row("delayed: sent after due, p50 / p99", "") { b in
            b.delayed.map { "\(f($0.sendLatenessP50Millis)) / \(f($0.sendLatenessP99Millis)) ms" } ?? "–"
        }
        row("store: a batch recorded, fixed + per interaction (wall)", "") { b in
            b.store.map { "\(f($0.wallFixedMicrosPerBatch)) + \(f($0.wallMicrosPerInteraction, 1)) µs" } ?? "–"
        }
        row("store: the same in this process's CPU", "") { b in
            b.store.map { "\(f($0.cpuFixedMicrosPerBatch)) + \(f($0.cpuMicrosPerInteraction, 1)) µs" } ?? "–"
        }
        row("soak: serve / workers RSS, minute 2 → last", "flat") { b in
            b.soak.map { s in
                guard let first = s.samples.dropFirst().first, let last = s.samples.last else { return "–" }
                return "\(f(first.serveResidentMiB)) → \(f(last.serveResidentMiB)) / \(f(first.workersResidentMiB)) → \(f(last.workersResidentMiB)) MiB"
            } ?? "–"
        }
        row("soak: fds serve / workers, store connections, minute 2 → last", "flat") { b in
            b.soak.map { s in
                guard let first = s.samples.dropFirst().first, let last = s.samples.last else { return "–" }
                return "\(first.serveDescriptors) → \(last.serveDescriptors) / \(first.workersDescriptors) → \(last.workersDescriptors), \(first.storeConnections) → \(last.storeConnections)"
            } ?? "–"
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
    public var store: StoreCostReport?
    public var soak: SoakReport?
}

/// What recording a batch costs the store, measured without HTTP: batches of several sizes go
/// straight to `record`, as the group committer sends them, and a least-squares line through
/// (size, cost per batch) splits the cost into a fixed part per batch and a part per
/// interaction. CPU is the bench process's own: on SQLite all of the store's work, on PostgreSQL
/// the client side only; wall time includes the server's work and the commit's flush.
public struct StoreCostReport: Codable, Sendable {
    public struct Point: Codable, Sendable {
        var batchSize: Int
        /// Medians over the rounds.
        var wallMicrosPerInteraction: Double
        var cpuMicrosPerInteraction: Double
    }
    var points: [Point]
    var wallFixedMicrosPerBatch: Double
    var wallMicrosPerInteraction: Double
    var cpuFixedMicrosPerBatch: Double
    var cpuMicrosPerInteraction: Double

    init(points: [Point]) {
        self.points = points
        (wallFixedMicrosPerBatch, wallMicrosPerInteraction) = Self.line(points.map { (Double($0.batchSize), $0.wallMicrosPerInteraction * Double($0.batchSize)) })
        (cpuFixedMicrosPerBatch, cpuMicrosPerInteraction) = Self.line(points.map { (Double($0.batchSize), $0.cpuMicrosPerInteraction * Double($0.batchSize)) })
    }

    /// Intercept and slope of the least-squares line through `points`.
    static func line(_ points: [(x: Double, y: Double)]) -> (Double, Double) {
        let n = Double(points.count)
        let meanX = points.map(\.x).reduce(0, +) / n, meanY = points.map(\.y).reduce(0, +) / n
        let sxx = points.map { ($0.x - meanX) * ($0.x - meanX) }.reduce(0, +)
        let sxy = points.map { ($0.x - meanX) * ($0.y - meanY) }.reduce(0, +)
        let slope = sxx > 0 ? sxy / sxx : 0
        return (meanY - slope * meanX, slope)
    }
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
    /// The simulator's wait before each answer while kefu sent (0: none; then the ratio to its
    /// loopback capacity means nothing, and `sendPerSecond` is the figure).
    var wechatLatencyMillis: Int = 0
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

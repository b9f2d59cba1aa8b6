import Foundation
import KefuTestSupport
import Testing

extension EndToEnd {
/// `kefu-bench` is part of the product: at a small size it runs every phase on both stores and
/// writes a complete report. (Its figures are not asserted: speed is measured, not tested.)
@Suite("The benchmark program", .serialized)
struct BenchProcessTests {
    /// Runs `kefu-bench` with `arguments` to the end; its output and JSON report.
    static func bench(_ arguments: [String], in directory: TemporaryDirectory, logName: String) async throws -> (String, [String: Any]) {
        let json = directory.file("\(logName).json")
        let bench = try KefuProcess(executable: KefuProcess.benchBinary, arguments: arguments + ["--json", json], directory: directory.path, logName: logName)
        try await eventually("the benchmark to finish", timeout: .seconds(300), poll: .milliseconds(200)) { !bench.process.isRunning }
        #expect(bench.process.terminationStatus == 0, "\(bench.output.suffix(3000))")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any] ?? [:]
        return (bench.output, report)
    }

    @Test("kefu bench at a small size runs ingestion, fan-out, delayed and store phases on both backends and writes the JSON report")
    func smallRun() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-bench-test")
        defer { directory.remove() }
        let (output, report) = try await Self.bench(
            ["--followers", "3000", "--pushes", "300", "--rounds", "1", "--delayed", "300", "--delay-seconds", "5", "--send-seconds", "2",
             "--store-interactions", "200"],
            in: directory, logName: "bench")
        let backends = report["backends"] as? [[String: Any]] ?? []
        #expect(backends.map { $0["backend"] as? String } == ["sqlite", "postgres"])
        for backend in backends {
            let ingestion = backend["ingestion"] as? [String: [String: Any]] ?? [:]
            #expect(Set(ingestion.keys) == ["plain", "safe"])
            for (_, mode) in ingestion {
                let kefu = mode["kefu"] as? [String: Any] ?? [:]
                #expect(kefu["failures"] as? Int == 0, "every push acknowledged")
                #expect((mode["ratio"] as? Double ?? 0) > 0)
            }
            let fanOut = backend["fanOut"] as? [String: Any] ?? [:]
            #expect(fanOut["queued"] as? Int == 3000, "the whole audience snapshotted")
            #expect((fanOut["sendPerSecond"] as? Double ?? 0) > 0)
            #expect((fanOut["workerPeakResidentMiB"] as? Double ?? 0) > 0)
            let delayed = backend["delayed"] as? [String: Any] ?? [:]
            #expect(delayed["sent"] as? Int == 300, "every delayed delivery sent")
            let store = backend["store"] as? [String: Any] ?? [:]
            let points = store["points"] as? [[String: Any]] ?? []
            #expect(points.map { $0["batchSize"] as? Int } == [5, 25, 100])
            for point in points {
                #expect((point["wallMicrosPerInteraction"] as? Double ?? 0) > 0 && (point["cpuMicrosPerInteraction"] as? Double ?? 0) > 0)
            }
            #expect((store["wallMicrosPerInteraction"] as? Double) != nil && (store["cpuFixedMicrosPerBatch"] as? Double) != nil)
        }
        #expect(output.contains("| measure | target | sqlite | postgres |"))
    }

    @Test("--phases runs only the parts named, on a store no kefu serve has migrated; an unknown part is refused")
    func phases() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-bench-test")
        defer { directory.remove() }
        let (_, report) = try await Self.bench(
            ["--backends", "postgres", "--phases", "fan-out", "--followers", "500", "--send-seconds", "1", "--wechat-latency-ms", "20"],
            in: directory, logName: "bench-phases")
        #expect((report["configuration"] as? [String: Any])?["phases"] as? [String] == ["fan-out"])
        let backends = report["backends"] as? [[String: Any]] ?? []
        #expect(backends.map { $0["backend"] as? String } == ["postgres"])
        let backend = try #require(backends.first)
        let settings = backend["storeSettings"] as? [String: String] ?? [:]
        #expect(settings["fsync"] == "on" && settings["synchronous_commit"] == "on", "measured on durable commits: \(settings)")
        #expect((backend["ingestion"] as? [String: Any] ?? [:]).isEmpty)
        #expect(backend["delayed"] == nil && backend["store"] == nil)
        let fanOut = backend["fanOut"] as? [String: Any] ?? [:]
        #expect(fanOut["queued"] as? Int == 500, "the whole audience snapshotted")
        #expect((fanOut["simulatorCapacityRounds"] as? [Double])?.count == 3)
        // Sent with WeChat's latency: the simulator waited before every answer.
        #expect(fanOut["wechatLatencyMillis"] as? Int == 20 && (fanOut["sendPerSecond"] as? Double ?? 0) > 0)

        let refused = try KefuProcess(executable: KefuProcess.benchBinary, arguments: ["--phases", "ingestion,warp"], directory: directory.path, logName: "bench-refused")
        try await eventually("the refusal", timeout: .seconds(30), poll: .milliseconds(50)) { !refused.process.isRunning }
        #expect(refused.process.terminationStatus != 0)
        #expect(refused.output.contains("--phases: warp is not ingestion, fan-out, delayed, store or soak"), "\(refused.output.suffix(500))")
        for latency in ["-1", "10001"] {
            let bad = try KefuProcess(executable: KefuProcess.benchBinary, arguments: ["--wechat-latency-ms=\(latency)"], directory: directory.path,
                                      logName: "bench-refused-latency")
            try await eventually("the refusal", timeout: .seconds(30), poll: .milliseconds(50)) { !bad.process.isRunning }
            #expect(bad.process.terminationStatus != 0)
            #expect(bad.output.contains("--wechat-latency-ms: must be between 0 and 10000"), "\(bad.output.suffix(500))")
        }
    }
}
}

extension EndToEndWaiting {
/// The soak phase runs for whole minutes at a steady rate, mostly waiting: it goes in the chain
/// of suites that wait on time.
@Suite("The benchmark's soak phase")
struct BenchSoakProcessTests {
    @Test("--phases soak --minutes 1: steady pushes through the simulator answered by a rule's sends, and a sample of memory, descriptors and store connections at the minute")
    func soak() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-bench-test")
        defer { directory.remove() }
        let (output, report) = try await EndToEnd.BenchProcessTests.bench(
            ["--backends", "sqlite", "--phases", "soak", "--minutes", "1", "--soak-push-rate", "20"], in: directory, logName: "bench-soak")
        let backend = try #require((report["backends"] as? [[String: Any]])?.first)
        let soak = try #require(backend["soak"] as? [String: Any], "\(output.suffix(2000))")
        #expect(soak["pushes"] as? Int == 1_200)
        #expect(soak["unanswered"] as? Int == 0, "every push acknowledged")
        let sample = try #require((soak["samples"] as? [[String: Any]])?.first)
        #expect(sample["minute"] as? Int == 1)
        #expect((sample["sends"] as? Int ?? 0) > 0, "the rule's sends went out: \(sample)")
        #expect((sample["serveResidentMiB"] as? Double ?? 0) > 0 && (sample["workersResidentMiB"] as? Double ?? 0) > 0)
        #expect((sample["serveDescriptors"] as? Int ?? 0) > 0 && (sample["workersDescriptors"] as? Int ?? 0) > 0)
        #expect(sample["workerProcesses"] as? Int == 3, "the supervisor and its two processes")
        #expect((sample["storeConnections"] as? Int ?? 0) > 0, "descriptors open on the SQLite file")
        #expect(output.contains("soak  1 min:") && output.contains("soak summary"))
        #expect(backend["fanOut"] == nil && (backend["ingestion"] as? [String: Any] ?? [:]).isEmpty)
    }
}
}

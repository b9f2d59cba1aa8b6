import Foundation
import KefuCore
import KefuTestSupport
import Testing

/// Debian's `faketime`, which runs a command with its clock shifted (libfaketime; `scripts/test`
/// installs it). Through its wrapper: with the library preloaded by hand, a Swift program's
/// command line arrives empty.
enum FakeTime {
    static var wrapper: String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime") ? "/usr/bin/faketime" : nil
    }

    /// A host whose wall clock is wrong still counts time since boot rightly: libfaketime shifts
    /// CLOCK_MONOTONIC as well unless told not to, and then every timer armed at an absolute
    /// monotonic time (libdispatch's, which `Task.sleep` uses) fires the shift late — a worker
    /// 120 s ahead slept 120 s at every wait and sent nothing.
    ///
    /// Even so, libfaketime's timer conversion arms libdispatch's `timerfd`s at times already past
    /// (strace: thousands of `timerfd_settime` a second), so a skewed worker busy-spins through its
    /// waits, about 20 % of a core. It still waits the right time and sends correctly, which the
    /// tests assert; that CPU is libfaketime's, not kefu's.
    static let wallClockOnly = ["FAKETIME_DONT_FAKE_MONOTONIC": "1"]
}

extension EndToEndWaiting {
/// Clocks that disagree across hosts (#20 item 1): on PostgreSQL every process compares times
/// against the database's clock, so a worker host whose clock runs ahead behaves like the others.
@Suite("Clock skew across hosts (PostgreSQL)", .serialized,
       .enabled(if: FakeTime.wrapper != nil || ProcessInfo.processInfo.environment["KEFU_FAKETIME_TESTS"] == "required",
                "needs Debian's faketime (scripts/test installs it)"))
struct ClockSkewTests {
    @Test("a worker whose clock runs 120 s ahead follows the database's: alone, it starts the task at its time, not early, and sends; beside another it takes over none of its live leases; everyone gets the broadcast once")
    func skewedWorker() async throws {
        let faketime = try #require(FakeTime.wrapper, "faketime is not installed: run scripts/test, which installs it")
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, backend: .postgres)
        var workers: [KefuProcess] = []
        do {
            try await harness.startServer(extra: ["--workers", "0"])
            let account = BroadcastProcessTests.account(91, rate: 100)
            let openids = try await BroadcastProcessTests.addAccount(account, to: harness, talkers: "oSkew", count: 1_200)
            let skewed = try KefuProcess(
                executable: faketime,
                arguments: ["-m", "-f", "+120s", KefuProcess.binary, "worker", "--database", harness.database, "--window-policy", harness.policyPath,
                            "--wechat-api", harness.simulator.baseURL],
                environment: FakeTime.wallClockOnly, directory: harness.directory.path, logName: "worker-skewed")
            workers.append(skewed)
            try await eventually("the skewed worker to start") { skewed.output.contains("kefu worker running") }
            #expect(skewed.output.contains("this host's clock is off from the store's"), "it noticed: \(skewed.output.suffix(2000))")

            // Due in 15 s by the database's clock: 105 s overdue by the skewed worker's own. It
            // runs alone until it has sent part of the broadcast, so it is the one that starts the
            // task, and a worker that only waited (as one did when its monotonic clock was shifted
            // too) fails here rather than being covered for by the other.
            let sendAt = SystemWallClock().nowMillis() + 15_000
            let id = try await harness.createTask(appid: account.appid, message: BroadcastProcessTests.messages[0], sendAt: sendAt)
            try await eventually("the skewed worker to send part of the broadcast", timeout: .seconds(90)) {
                try await harness.received(account.appid).count >= 200
            }
            print("clock skew: 200 sent by the skewed worker alone, \(SystemWallClock().nowMillis() - sendAt) ms after the send time")
            let started = try #require((try await harness.task(id)["started_at"] as? String).flatMap(RFC3339.parse))
            #expect(started >= sendAt - 1_000, "started at its time, not early: \(started - sendAt) ms")

            // Then a worker with the right clock beside it, while most of the broadcast is to go:
            // to the skewed worker's own clock the other's leases look 120 s old.
            workers.append(try await harness.startWorkers(processes: 1))
            try await harness.waitForTask(id, status: "completed", timeout: .seconds(180))
            print("clock skew: completed \(SystemWallClock().nowMillis() - sendAt) ms after the send time")
            let stats = BroadcastProcessTests.stats(try await harness.task(id))
            #expect(stats["sent"] as? Int == 1_200 && stats["skipped"] as? Int == 0, "\(stats)")
            let received = try await harness.received(account.appid)
            #expect(received.count == 1_200)
            #expect(Set(received.map { $0["openid"] as! String }) == Set(openids), "everyone once")
            for worker in workers {
                #expect(!worker.output.contains("expired leases recovered"), "no live lease taken over: \(worker.output.suffix(1500))")
            }
        } catch {
            Issue.record("\(error)\n--- skewed worker ---\n\(workers.first?.output.suffix(3000) ?? "")")
        }
        for worker in workers { try? await worker.stop() }
        await harness.shutdown()
    }
}
}

import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import ServiceLifecycle
import Testing

/// How workers meet a store that keeps failing (#20 item 4): waits that double up to a cap, a
/// log thinned to the first failure and each doubling, one line when the store answers again.
@Suite("Failure streaks")
struct FailureStreakTests {
    @Test("the wait doubles from the base up to the cap and stays there; the first failure and each doubling are logged")
    func doubling() {
        var streak = FailureStreak(base: .milliseconds(200), cap: .seconds(5))
        var waits: [Duration] = [], logged: [Int] = []
        for n in 1...70 {
            let (wait, log) = streak.failed()
            waits.append(wait)
            if log { logged.append(n) }
        }
        #expect(Array(waits.prefix(6)) == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                                            .milliseconds(3200), .seconds(5)])
        #expect(waits.dropFirst(5).allSatisfy { $0 == .seconds(5) }, "capped, without overflow after many failures")
        #expect(logged == [1, 2, 4, 8, 16, 32, 64])
        #expect(streak.succeeded() == 70)
        #expect(streak.count == 0)
        #expect(streak.failed() == (.milliseconds(200), true), "a new streak starts from the base")
    }

    @Test("a scheduler whose store fails five times in a row logs three failures, then once that the store answers, and does its work")
    func schedulerLog() async throws {
        let store = MemorySchedulingStore(), clock = ManualWallClock(100_000)
        store.schedule(task: 7, at: 50_000)
        store.fail(next: 5)
        let log = LogCapture()
        let scheduler = Scheduler(store: store, clock: clock,
                                  configuration: .init(interval: .milliseconds(5),
                                                       failureBackoff: FailureStreak(base: .milliseconds(1), cap: .milliseconds(4))),
                                  logger: log.logger)
        let group = ServiceGroup(configuration: .init(services: [scheduler], logger: .test()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("the task to start after the failures") { store.started == [7] }
            try await eventually("the end of the streak to be logged") { log.messages.contains { $0.contains("store answers again") } }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let failures = log.messages.filter { $0.contains("store failure: the scheduler's tick failed; backing off") }
        #expect(failures.count == 3, "failures 1, 2 and 4 of 5:\n\(log.messages.joined(separator: "\n"))")
        #expect(failures.allSatisfy { $0.hasPrefix("warning") })
        #expect(log.messages.filter { $0.contains("store answers again: the scheduler's tick works after 5 failures in a row") }.count == 1)
    }
}

import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import ServiceLifecycle
import Testing

/// The scheduler against an in-memory scheduling store and a manual clock.
@Suite("Scheduler")
struct SchedulerTests {
    @Test("a tick starts due tasks, moves delayed deliveries in within the lead time, recovers leases with the policy, and says when to wake")
    func tick() async throws {
        let store = MemorySchedulingStore(), clock = ManualWallClock(100_000)
        store.schedule(task: 1, at: 99_000)
        store.schedule(task: 2, at: 200_000)
        store.delay(dueAt: [104_000, 105_000, 106_000, 150_000])
        let scheduler = Scheduler(store: store, clock: clock,
                                  configuration: .init(unknownOutcome: .retry, promotionLeadMillis: 5_000), logger: .test())
        let wake = try await scheduler.tick()
        #expect(store.started == [1])
        #expect(store.promoted == [104_000, 105_000], "due within 5 s of now")
        #expect(store.recoveries == [.retry])
        #expect(wake == 101_000, "5 s before the next delayed delivery (106 s)")
        clock.set(200_000)
        try await scheduler.tick()
        #expect(store.started == [1, 2])
        #expect(store.promoted == [104_000, 105_000, 106_000, 150_000])
    }

    @Test("the loop survives store failures and does its work once the store answers")
    func survives() async throws {
        let store = MemorySchedulingStore(), clock = ManualWallClock(100_000)
        store.schedule(task: 7, at: 50_000)
        store.fail(next: 5)
        let scheduler = Scheduler(store: store, clock: clock, configuration: .init(interval: .milliseconds(5), failureBackoff: FailureStreak(base: .milliseconds(1), cap: .milliseconds(2))),
                                  logger: .test())
        let group = ServiceGroup(configuration: .init(services: [scheduler], logger: .test()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("the task to start after the failures") { store.started == [7] }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(store.calls > 5)
    }
}

import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// Starts broadcast tasks at their send time (one set-based snapshot each, exactly once across
/// processes), moves delayed deliveries into the send queue shortly before they fall due (waking
/// for the next one rather than polling coarsely; the queue holds them until due), completes
/// tasks with nothing left to send, and applies the unknown-outcome policy to deliveries whose
/// worker died mid-send (expired leases).
public struct Scheduler: Service {
    public struct Configuration: Sendable {
        public var interval: Duration
        public var unknownOutcome: UnknownOutcomePolicy
        /// How long before they fall due delayed deliveries move into the send queue. The queue
        /// never sends before `due_at`; moving them early means a wave of many thousands due in
        /// one second is already claimable when that second comes.
        public var promotionLeadMillis: Int64
        /// How a tick that fails again and again is retried (200 ms doubling to 5 s).
        public var failureBackoff: FailureStreak
        public init(interval: Duration = .milliseconds(200), unknownOutcome: UnknownOutcomePolicy = .skip,
                    promotionLeadMillis: Int64 = 5_000, failureBackoff: FailureStreak = FailureStreak()) {
            self.interval = interval
            self.unknownOutcome = unknownOutcome
            self.promotionLeadMillis = promotionLeadMillis
            self.failureBackoff = failureBackoff
        }
    }

    let store: any SchedulingStore
    let clock: any WallClock
    let configuration: Configuration
    let logger: Logger

    public init(store: any SchedulingStore, clock: any WallClock, configuration: Configuration, logger: Logger) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let failures = StoreFailures("the scheduler's tick", backoff: configuration.failureBackoff)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var dueIn: Duration?
            do {
                // Wake for the next delayed delivery or task start, if that is sooner than the poll.
                let nextDelayed = try await tick()
                let nextTask = store.wakesAcrossProcesses ? try await store.nextTaskStart() : nil
                if let next = [nextDelayed, nextTask].compactMap({ $0 }).min() {
                    dueIn = .milliseconds(max(next - clock.nowMillis(), 5))
                }
                failures.succeeded(logger: logger)
            } catch {
                // A store that keeps failing is tried less and less often (up to every 5 s), and
                // wake-ups do not cut the wait short.
                await backOff(after: error, failures, logger: logger)
                continue
            }
            await idleWait(store, .schedule, poll: configuration.interval, dueIn: dueIn)
        }
    }

    /// One pass; returns when the next delayed delivery is to move into the send queue.
    @discardableResult
    public func tick() async throws -> Int64? {
        let now = clock.nowMillis()
        let horizon = now + configuration.promotionLeadMillis
        var promotion = try await store.promoteDueDeliveries(now: horizon, limit: 5_000)
        while promotion.promoted == 5_000 { promotion = try await store.promoteDueDeliveries(now: horizon, limit: 5_000) }
        for (task, count) in try await store.startDueTasks(now: now) {
            logger.info("task started", metadata: ["kefu.task.id": "\(task)", "kefu.task.audience": "\(count)"])
        }
        let recovered = try await store.recoverExpiredLeases(now: now, policy: configuration.unknownOutcome)
        if recovered > 0 {
            logger.warning("expired leases recovered", metadata: ["kefu.deliveries": "\(recovered)",
                                                                  "kefu.unknown_outcome": "\(configuration.unknownOutcome.rawValue)"])
        }
        for task in try await store.completeFinishedTasks(now: now) {
            logger.info("task completed", metadata: ["kefu.task.id": "\(task)"])
        }
        return promotion.nextDue.map { $0 - configuration.promotionLeadMillis }
    }
}

import KefuCore
import KefuStore
import Synchronization

/// A `SchedulingStore` in memory for unit tests of the scheduler: scheduled tasks (id → send
/// time), delayed deliveries (due times), and a count of every call; the next calls can fail.
public final class MemorySchedulingStore: SchedulingStore {
    struct State {
        var tasks: [Int64: Int64] = [:]
        var started: [Int64] = []
        var delayed: [Int64] = []
        var promoted: [Int64] = []
        var recoveries: [(Int64, UnknownOutcomePolicy)] = []
        var failures = 0
        var calls = 0
    }
    private let state = Mutex(State())

    public init() {}

    public func schedule(task id: Int64, at: Int64) { state.withLock { $0.tasks[id] = at } }
    public func delay(dueAt: [Int64]) { state.withLock { $0.delayed += dueAt } }
    public func fail(next count: Int) { state.withLock { $0.failures = count } }

    public var started: [Int64] { state.withLock { $0.started } }
    public var promoted: [Int64] { state.withLock { $0.promoted } }
    public var recoveries: [UnknownOutcomePolicy] { state.withLock { $0.recoveries.map(\.1) } }
    public var calls: Int { state.withLock { $0.calls } }

    private func call() throws {
        try state.withLock { state in
            state.calls += 1
            if state.failures > 0 {
                state.failures -= 1
                throw KefuError(.unavailable, "the memory store refuses this call (test)")
            }
        }
    }

    public func nextTaskStart() async throws -> Int64? {
        try call()
        return state.withLock { $0.tasks.values.min() }
    }

    public func startDueTasks(now: Int64) async throws -> [(Int64, Int)] {
        try call()
        return state.withLock { state in
            let due = state.tasks.filter { $0.value <= now }.keys.sorted()
            for id in due { state.tasks.removeValue(forKey: id) }
            state.started += due
            return due.map { ($0, 0) }
        }
    }

    public func completeFinishedTasks(now: Int64) async throws -> [Int64] {
        try call()
        return []
    }

    public func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?) {
        try call()
        return state.withLock { state in
            let due = state.delayed.filter { $0 <= now }.sorted().prefix(limit)
            for value in due { state.delayed.remove(at: state.delayed.firstIndex(of: value)!) }
            state.promoted += due
            return (due.count, state.delayed.min())
        }
    }

    public func recoverExpiredLeases(now: Int64, policy: UnknownOutcomePolicy) async throws -> Int {
        try call()
        state.withLock { $0.recoveries.append((now, policy)) }
        return 0
    }
}

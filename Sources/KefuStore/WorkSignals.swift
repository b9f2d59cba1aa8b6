import Synchronization

/// What a worker waits for when it has nothing to do.
public enum WorkTopic: String, Sendable, CaseIterable {
    /// Deliveries became claimable (a snapshot, a promotion, a retry, a test send).
    case deliveries
    /// The schedule changed: a task was created or resumed, a delayed delivery was queued.
    case schedule
    /// Interactions were recorded (the trigger evaluator's input).
    case interactions
}

/// Wake-ups for idle workers: `wait` returns when the topic is signalled or after the timeout,
/// whichever is first. A signal with nobody waiting is remembered until the next `wait`, so a
/// wake-up that arrives between two waits is not lost.
public final class WorkSignals: Sendable {
    private struct State {
        var waiters: [WorkTopic: [Int: CheckedContinuation<Void, Never>]] = [:]
        var pending: Set<WorkTopic> = []
        var nextID = 0
    }
    private let state = Mutex(State())

    public init() {}

    public func signal(_ topic: WorkTopic) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let waiting = state.waiters.removeValue(forKey: topic) ?? [:]
            if waiting.isEmpty { state.pending.insert(topic) }
            return Array(waiting.values)
        }
        for continuation in woken { continuation.resume() }
    }

    public func signalAll() {
        for topic in WorkTopic.allCases { signal(topic) }
    }

    public func wait(_ topic: WorkTopic, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.next(topic) }
            await group.next()
            group.cancelAll()
        }
    }

    private func next(_ topic: WorkTopic) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.pending.remove(topic) != nil || Task.isCancelled { return true }
                    state.waiters[topic, default: [:]][id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiters[topic]?.removeValue(forKey: id) }
            continuation?.resume()
        }
    }
}

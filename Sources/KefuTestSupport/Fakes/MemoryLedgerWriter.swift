import KefuCore
import KefuStore
import Synchronization

/// A `LedgerWriter` in memory for unit tests of the group committer: keeps each batch it was
/// given, can hold a batch until released, and can fail the next batches. An interaction seen
/// before (same dedupe key) is reported not new, as the stores do.
public final class MemoryLedgerWriter: LedgerWriter {
    struct State {
        var batches: [[Interaction]] = []
        var seen: Set<String> = []
        var failures = 0
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var heldInteractions = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var batches: [[Interaction]] { state.withLock { $0.batches } }
    /// Batches held waiting for `release()`.
    public var heldCount: Int { state.withLock { $0.held.count } }
    /// Interactions in the held batches.
    public var heldInteractions: Int { state.withLock { $0.heldInteractions } }

    public func hold() { state.withLock { $0.holding = true } }

    public func release() {
        let held = state.withLock { state in
            state.holding = false
            defer { state.held = []; state.heldInteractions = 0 }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    public func fail(next count: Int) { state.withLock { $0.failures = count } }

    public func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = state.withLock { state in
                guard state.holding else { return false }
                state.held.append(continuation)
                state.heldInteractions += interactions.count
                return true
            }
            if !wait { continuation.resume() }
        }
        return try state.withLock { state in
            if state.failures > 0 {
                state.failures -= 1
                throw KefuError(.unavailable, "the memory ledger refuses this batch (test)")
            }
            state.batches.append(interactions)
            return interactions.map { state.seen.insert("\($0.appid)/\($0.dedupeKey)").inserted }
        }
    }
}

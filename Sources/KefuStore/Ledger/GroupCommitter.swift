import DequeModule
import KefuCore
import Logging
import Synchronization

/// Group commit for callbacks: every interaction waiting while a transaction runs goes into the
/// next one, and each caller is resumed only after the transaction holding its interaction has
/// committed. It stops accepting on shutdown after draining. Its queue is bounded
/// (`Configuration.maxPending`, `maxWaitMillis`): when the store cannot keep up, new interactions
/// are refused at once (`Overloaded`; the callback answers 503 and WeChat retries), so memory
/// and every push's wait stay bounded whatever the push rate.
///
/// One transaction runs at a time per process, on both stores. On PostgreSQL four concurrent
/// writers used to run, each with smaller batches; `kefu bench` measured one writer 25–30 %
/// faster (README, Performance): a batch costs PostgreSQL and the client a fixed share of CPU
/// (a call of `kefu_record`, a commit, a round trip) besides its rows, so under load
/// fewer, larger batches do more with the same cores, and the batch grows by itself with the
/// load (up to `maxBatch`) while a commit runs.
public final class GroupCommitter: Sendable {
    public struct Configuration: Sendable {
        /// Interactions per transaction at most.
        public var maxBatch: Int
        /// Interactions waiting for a transaction at most: past it, new ones are refused at once
        /// (`Overloaded`) instead of piling up in memory.
        public var maxPending: Int
        /// How long the oldest waiting interaction may have waited, with a transaction's worth
        /// (`maxBatch`) or more waiting, before new ones are refused: when the store falls behind,
        /// a push is answered (503, WeChat retries) well within WeChat's 5 s rather than after it.
        public var maxWaitMillis: Int64

        public init(maxBatch: Int = 512, maxPending: Int = 8 * 512, maxWaitMillis: Int64 = 2_000) {
            self.maxBatch = maxBatch
            self.maxPending = maxPending
            self.maxWaitMillis = maxWaitMillis
        }
    }

    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the interaction writer is shutting down" }
    }

    /// The store is not keeping up: the interaction was not taken (nothing recorded).
    public struct Overloaded: Error, CustomStringConvertible {
        public var description: String { "the interaction writer is behind; try again" }
    }

    private typealias Waiter = CheckedContinuation<Bool, any Error>

    private struct State {
        var pending: Deque<(interaction: Interaction, waiter: Waiter, since: Int64)> = []
        var writerWaiting: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let store: any LedgerWriter
    private let policy: WindowPolicy
    private let clock: any WallClock
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// Called after each commit with the batch size (metrics).
    private let onCommit: @Sendable (Int) -> Void

    public init(
        store: any LedgerWriter, policy: WindowPolicy, clock: any WallClock,
        configuration: Configuration = .init(), logger: Logger,
        onCommit: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.store = store
        self.policy = policy
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
    }

    /// Records one interaction; returns once it is durably committed (true) or found to be a
    /// retry already recorded (false).
    public func record(_ interaction: Interaction) async throws -> Bool {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            enum Admission { case accepted(CheckedContinuation<Void, Never>?), closed, overloaded }
            let now = clock.nowMillis()
            let admission: Admission = state.withLock { state in
                if state.closed { return .closed }
                if state.pending.count >= configuration.maxPending { return .overloaded }
                // Behind: more waiting than the next transaction takes, the oldest waiting long.
                // (A slow commit with a batch's worth or less waiting is not overload: the next
                // transaction takes them all.)
                if state.pending.count >= configuration.maxBatch, let oldest = state.pending.first?.since,
                   now - oldest > configuration.maxWaitMillis {
                    return .overloaded
                }
                state.pending.append((interaction, waiter, now))
                defer { state.writerWaiting = nil }
                return .accepted(state.writerWaiting)
            }
            switch admission {
            case .closed: waiter.resume(throwing: Closed())
            case .overloaded: waiter.resume(throwing: Overloaded())
            case .accepted(let wake): wake?.resume()
            }
        }
    }

    /// Interactions waiting for the next transaction (not counting the one running).
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// The writer loop; call once. Runs until `close()` is called and every pending interaction
    /// is written.
    public func run() async {
        while let batch = await nextBatch() { await commit(batch) }
    }

    /// Stops accepting; `run()` returns after writing what is already pending.
    public func close() {
        let wake = state.withLock { state in
            state.closed = true
            defer { state.writerWaiting = nil }
            return state.writerWaiting
        }
        wake?.resume()
    }

    private func nextBatch() async -> [(Interaction, Waiter)]? {
        while true {
            enum Step { case batch([(Interaction, Waiter)]), finished, wait }
            let step: Step = state.withLock { state in
                if !state.pending.isEmpty {
                    let count = min(state.pending.count, configuration.maxBatch)
                    let batch = state.pending.prefix(count).map { ($0.interaction, $0.waiter) }
                    state.pending.removeFirst(count)
                    return .batch(batch)
                }
                return state.closed ? .finished : .wait
            }
            switch step {
            case .batch(let batch): return batch
            case .finished: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if !state.pending.isEmpty || state.closed { return true }
                        state.writerWaiting = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    private func commit(_ batch: [(Interaction, Waiter)]) async {
        do {
            let fresh = try await store.record(batch.map(\.0), policy: policy, now: clock.nowMillis())
            onCommit(batch.count)
            for (index, item) in batch.enumerated() { item.1.resume(returning: fresh[index]) }
        } catch {
            logger.error("interaction batch failed", metadata: [
                "kefu.batch.size": "\(batch.count)", "error": "\(String(reflecting: error))",
            ])
            for item in batch { item.1.resume(throwing: error) }
        }
    }
}

import DequeModule
import KefuCore
import Logging
import Synchronization

/// Group commit for callbacks: every interaction waiting while a transaction runs goes into the
/// next one, and each caller is resumed only after the transaction holding its interaction has
/// committed — or after `answerWithinMillis` at most, refused (503) when it was not. It stops
/// accepting on shutdown after draining. Its queue is bounded
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
        /// How long a caller waits at most, whatever the store does: a push still waiting for a
        /// transaction then is refused (nothing recorded), and one whose transaction has not come
        /// back (a connection the server dropped without a word) is answered as unknown. WeChat
        /// gives a push 5 s; kefu answers within 4, 503 when it cannot say `success`.
        public var answerWithinMillis: Int64
        /// How often `run()` sweeps for callers that have waited too long.
        public var sweepInterval: Duration

        public init(maxBatch: Int = 512, maxPending: Int = 8 * 512, maxWaitMillis: Int64 = 2_000, answerWithinMillis: Int64 = 4_000,
                    sweepInterval: Duration = .milliseconds(250)) {
            self.maxBatch = maxBatch
            self.maxPending = maxPending
            self.maxWaitMillis = maxWaitMillis
            self.answerWithinMillis = answerWithinMillis
            self.sweepInterval = sweepInterval
        }
    }

    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the interaction writer is shutting down" }
    }

    /// The store is not keeping up: the interaction was not taken (nothing recorded).
    public struct Overloaded: Error, CustomStringConvertible {
        public var description: String { "the interaction writer is behind; try again" }
    }

    /// The transaction holding the interaction did not come back within `answerWithinMillis`:
    /// it may yet commit or not. The push is answered 503; WeChat's retry is recognised by its
    /// key if the first did commit.
    public struct Unanswered: Error, CustomStringConvertible {
        public var description: String { "the store did not answer in time; the interaction may or may not be recorded" }
    }

    /// A caller, resumed once: by its transaction's outcome, or by the sweep when it has waited
    /// past `answerWithinMillis` — whichever comes first; the other is dropped.
    private final class Waiter: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, any Error>?>
        init(_ continuation: CheckedContinuation<Bool, any Error>) { self.continuation = Mutex(continuation) }
        func resume(with result: Result<Bool, any Error>) {
            continuation.withLock { state in defer { state = nil }; return state }?.resume(with: result)
        }
    }

    private struct State {
        var pending: Deque<(interaction: Interaction, waiter: Waiter, since: Int64)> = []
        /// The callers of the transaction running, with when each arrived.
        var inFlight: [(waiter: Waiter, since: Int64)] = []
        var writerWaiting: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let store: any LedgerWriter
    private let policy: WindowPolicy
    private let clock: any WallClock
    private let waits: any WallClock
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    /// A store that cannot write (a full disk, a read-only database) fails every batch: each
    /// push is answered 503 at once, and the log gets the first failure and each doubling.
    private let failures = StoreFailures("recording interactions")
    /// Called after each commit with the batch size (metrics).
    private let onCommit: @Sendable (Int) -> Void

    /// `clock` is the time recorded interactions are compared with (the store's); `waits`
    /// measures how long callers wait (monotonic unless a test injects one), so a correction of
    /// the store's clock cannot hold a push past WeChat's 5 s.
    public init(
        store: any LedgerWriter, policy: WindowPolicy, clock: any WallClock, waits: (any WallClock)? = nil,
        configuration: Configuration = .init(), logger: Logger,
        onCommit: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.store = store
        self.policy = policy
        self.clock = clock
        self.waits = waits ?? MonotonicMillis()
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
    }

    /// Records one interaction; returns once it is durably committed (true) or found to be a
    /// retry already recorded (false).
    public func record(_ interaction: Interaction) async throws -> Bool {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            let waiter = Waiter(continuation)
            enum Admission { case accepted(CheckedContinuation<Void, Never>?), closed, overloaded }
            let now = waits.nowMillis()
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
            case .closed: waiter.resume(with: .failure(Closed()))
            case .overloaded: waiter.resume(with: .failure(Overloaded()))
            case .accepted(let wake): wake?.resume()
            }
        }
    }

    /// Interactions waiting for the next transaction (not counting the one running).
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// The writer loop; call once. Runs until `close()` is called and every pending interaction
    /// is written.
    public func run() async {
        await withDiscardingTaskGroup { group in
            // The sweep, four times a second, answers whoever has waited too long (`sweep()`).
            let interval = configuration.sweepInterval
            group.addTask {
                while true {
                    do { try await Task.sleep(for: interval) } catch { return }
                    self.sweep()
                }
            }
            while let batch = await nextBatch() { await commit(batch) }
            group.cancelAll()
        }
    }

    /// Answers every caller that has waited `answerWithinMillis`: one still queued is refused
    /// (`Overloaded`: nothing of it was written), one in the running transaction is answered
    /// `Unanswered`. Returns how many were answered. `run()` calls it; tests call it with an
    /// injected clock.
    @discardableResult
    public func sweep() -> (refused: Int, unanswered: Int) {
        let cutoff = waits.nowMillis() - configuration.answerWithinMillis
        let (late, stuck) = state.withLock { state -> ([Waiter], [Waiter]) in
            var late: [Waiter] = []
            while let first = state.pending.first, first.since <= cutoff { late.append(state.pending.removeFirst().waiter) }
            let stuck = state.inFlight.filter { $0.since <= cutoff }.map(\.waiter)
            if !stuck.isEmpty { state.inFlight.removeAll { $0.since <= cutoff } }
            return (late, stuck)
        }
        for waiter in late { waiter.resume(with: .failure(Overloaded())) }
        for waiter in stuck { waiter.resume(with: .failure(Unanswered())) }
        if !stuck.isEmpty {
            logger.warning("the store has not answered a transaction in time; its pushes were answered 503",
                           metadata: ["kefu.pushes": "\(stuck.count)", "kefu.answer_within_ms": "\(configuration.answerWithinMillis)"])
        }
        return (late.count, stuck.count)
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
                    state.inFlight = state.pending.prefix(count).map { ($0.waiter, $0.since) }
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
            failures.succeeded(logger: logger)
            state.withLock { $0.inFlight = [] }
            for (index, item) in batch.enumerated() { item.1.resume(with: .success(fresh[index])) }
        } catch {
            state.withLock { $0.inFlight = [] }
            // No wait here: the next batch is tried at once, so pushes keep being answered (503
            // while the store fails) rather than piling up; only the log is thinned.
            failures.failed(error, logger: logger, metadata: ["kefu.batch.size": "\(batch.count)"])
            for item in batch { item.1.resume(with: .failure(error)) }
        }
    }
}

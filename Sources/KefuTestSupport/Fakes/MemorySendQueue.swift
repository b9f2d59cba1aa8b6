import KefuCore
import KefuStore
import Synchronization

/// The send queue, accounts and pauses in memory: what a `Sender` needs of a store, for unit
/// tests of its pipeline. Deliveries are pending until claimed (leased to the claimer), marked
/// started, then whatever the recorded result says; `maxStarted` tells the most ever
/// started and unrecorded at once. Claims skip paused accounts, as the stores do.
public final class MemorySendQueue: SendQueue, AccountReader, AccountPauses {
    public struct Row: Sendable, Equatable {
        public var delivery: ClaimedDelivery
        public var state: DeliveryState
        public var dueAt: Int64
        public var owner: String?
        public var outcome: DeliveryResult.Outcome?
        /// Marked started (its call about to go out) and not yet recorded.
        public var started = false
    }

    struct State {
        var rows: [Int64: Row] = [:]
        var order: [Int64] = []
        var accounts: [String: Account] = [:]
        var pauses: [String: AccountPause] = [:]
        var recordFailures = 0
        var claims = 0
        var recordings: [[DeliveryResult]] = []
        var maxStarted = 0
        var startedNow = 0
    }

    private let state = Mutex(State())
    private let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    public func add(account: Account) {
        state.withLock { $0.accounts[account.appid] = account }
    }

    /// Queues deliveries of `message` to `openids` for `appid`, due now.
    public func enqueue(appid: String, openids: [String], message: String) {
        state.withLock { state in
            for openid in openids {
                let id = Int64(state.order.count + 1)
                state.rows[id] = Row(delivery: ClaimedDelivery(id: id, appid: appid, openid: openid, message: message, attempts: 0,
                                                               grantKind: "message"),
                                     state: .pending, dueAt: 0)
                state.order.append(id)
            }
        }
    }

    /// The next `count` recordings fail (the store "cannot write").
    public func failRecordings(_ count: Int) {
        state.withLock { $0.recordFailures = count }
    }

    public var rows: [Row] { state.withLock { state in state.order.compactMap { state.rows[$0] } } }
    public var claims: Int { state.withLock { $0.claims } }
    public var recordings: [[DeliveryResult]] { state.withLock { $0.recordings } }
    /// The most deliveries ever started and not yet recorded at once: what a crash could leave
    /// as "outcome unknown".
    public var maxStarted: Int { state.withLock { $0.maxStarted } }
    public func count(_ wanted: DeliveryState) -> Int { rows.filter { $0.state == wanted }.count }

    public func claimDeliveries(owner: String, now: Int64, limit: Int, leaseMillis: Int64) async throws -> [ClaimedDelivery] {
        state.withLock { state in
            state.claims += 1
            var claimed: [ClaimedDelivery] = []
            for id in state.order where claimed.count < limit {
                guard var row = state.rows[id], row.state == .pending, row.dueAt <= now else { continue }
                if let pause = state.pauses[row.delivery.appid], pause.until > now { continue }
                row.state = .sending
                row.owner = owner
                row.started = false
                state.rows[id] = row
                claimed.append(row.delivery)
            }
            return claimed
        }
    }

    public func markStarted(_ ids: [Int64], owner: String, now: Int64) async throws -> [Int64] {
        state.withLock { state in
            var kept: [Int64] = []
            for id in ids {
                guard var row = state.rows[id], row.state == .sending, row.owner == owner, !row.started else { continue }
                row.started = true
                state.startedNow += 1
                state.rows[id] = row
                kept.append(id)
            }
            state.maxStarted = max(state.maxStarted, state.startedNow)
            return kept
        }
    }

    @discardableResult
    public func recordResults(_ results: [DeliveryResult], owner: String) async throws -> [Int64] {
        try state.withLock { state in
            var notOwned: [Int64] = []
            if state.recordFailures > 0 {
                state.recordFailures -= 1
                throw KefuError(.unavailable, "the memory store refuses this write (test)")
            }
            state.recordings.append(results)
            for result in results {
                guard var row = state.rows[result.delivery.id], row.state == .sending, row.owner == owner else {
                    notOwned.append(result.delivery.id)
                    continue
                }
                if row.started { state.startedNow -= 1 }
                row.owner = nil
                row.started = false
                row.outcome = result.outcome
                switch result.outcome {
                case .sent: row.state = .sent
                case .skipped: row.state = .skipped
                case .failed: row.state = .failed
                case .retry(let dueAt, _, let counts):
                    row.state = .pending
                    row.dueAt = dueAt
                    if counts { row.delivery.attempts += 1 }
                }
                state.rows[result.delivery.id] = row
            }
            return notOwned
        }
    }

    /// A lease taken over by another worker (what a worker cut off from the store meets).
    public func steal(ids: [Int64]) {
        state.withLock { state in
            for id in ids where state.rows[id]?.state == .sending {
                if state.rows[id]?.started == true { state.startedNow -= 1 }
                state.rows[id]?.owner = "another-worker"
                state.rows[id]?.started = false
            }
        }
    }

    public func account(appid: String) async throws -> Account? { state.withLock { $0.accounts[appid] } }
    public func accounts() async throws -> [Account] { state.withLock { Array($0.accounts.values) } }

    public func pauseAccount(appid: String, pause: AccountPause) async throws {
        state.withLock { state in
            if let current = state.pauses[appid], current.until > pause.until { return }
            state.pauses[appid] = pause
        }
    }

    public func accountPause(appid: String, now: Int64) async throws -> AccountPause? {
        state.withLock { state in state.pauses[appid].flatMap { $0.until > now ? $0 : nil } }
    }

    public func clearAccountPause(appid: String) async throws {
        _ = state.withLock { $0.pauses.removeValue(forKey: appid) }
    }

    public func liftAccountPauses(reasonPrefix: String) async throws {
        state.withLock { state in state.pauses = state.pauses.filter { !$0.value.reason.hasPrefix(reasonPrefix) } }
    }
}

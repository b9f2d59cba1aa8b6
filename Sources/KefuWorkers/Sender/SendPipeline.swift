import KefuCore

/// The sender's pipeline as a value-type state machine: claim → start → send → record, and hand
/// back what cannot be sent. The `Sender` runs the actions it asks for and feeds their outcomes
/// back as events; every rule of the pipeline lives here, without I/O, unit-tested transition by
/// transition (`SendPipelineTests`).
///
/// Deliveries move through four places:
/// - `waiting`: claimed (leased), not started — after a crash they go back to the queue;
/// - `ready`: marked started in the store, call not made yet (only until the next step);
/// - in flight: the call to WeChat is out;
/// - `results`: the call ended, or never went out; the outcome not yet recorded.
///
/// Deliveries are marked started in groups (a statement per group of calls, not per delivery),
/// and at most `concurrency` are ever started and unrecorded at once — so a worker killed at any
/// moment leaves at most `concurrency` deliveries whose outcome is unknown. Starting and
/// recording are separate streams, each with at most one statement in flight, so calls go out
/// while results are written; a slow store batches more rather than queueing more.
///
/// Claims are sized by how fast this loop has started deliveries lately: no more waits claimed
/// than it starts in a quarter of the lease (`ahead`). With a fixed claim size, a loop slowed
/// down (a loaded machine, a slow database) held claims it could not start within half their
/// lease; they went back unsent, were claimed again, and their leases ran out while the results
/// handing them back waited for the store: the queue churned and the broadcast stalled.
struct SendPipeline {
    struct Configuration {
        /// Deliveries started and not yet recorded at once: calls to WeChat in flight, and
        /// those whose results are still to be written.
        var concurrency: Int
        /// Claimed deliveries waiting to be started below which the next claim starts, when the
        /// loop keeps up (a slow loop claims when fewer than half of `ahead` wait).
        var lowWater: Int
        var leaseMillis: Int64
        /// Deliveries claimed at once at most.
        var batchSize: Int
    }

    /// How long the start rate that sizes claims is measured over.
    static let rateWindowMillis: Int64 = 2_000

    enum Action: Equatable {
        /// Claim up to `limit` deliveries (after an empty claim, first wait for work).
        case claim(afterIdle: Bool, limit: Int)
        /// Mark these started; the store answers which this sender still holds.
        case start([ClaimedDelivery])
        case send(ClaimedDelivery)
        /// Record `results` in one transaction, then the account pauses; `retry`: a failure
        /// hands them back to be recorded with the next batch.
        case record(results: [DeliveryResult], pauses: [String: AccountPause], retry: Bool)
    }

    struct Pending: Equatable {
        var delivery: ClaimedDelivery
        var claimedAt: Int64
    }

    /// A result not yet recorded; `started`: its delivery counts in `startedOpen`.
    struct Unrecorded {
        var result: DeliveryResult
        var started: Bool
    }

    let configuration: Configuration
    private(set) var waiting: [Pending] = []
    private(set) var ready: [Pending] = []
    private(set) var inFlight = 0
    private var inFlightByAccount: [String: Int] = [:]
    private(set) var results: [Unrecorded] = []
    private var pauses: [String: AccountPause] = [:]
    /// Accounts this sender paused; their deliveries go straight back until the pause is stored.
    private(set) var pausedHere: Set<String> = []
    /// Deliveries marked started in the store whose results are not recorded yet.
    private(set) var startedOpen = 0
    private(set) var claiming = false
    /// The last claim came back empty: nothing was due.
    private var idle = false
    /// A claim has brought deliveries since the loop began.
    private var hasClaimed = false
    /// The start in flight.
    private var starting: [Pending]?
    /// The recording in flight: what it records, to hand back if it fails.
    private var recording: (results: [Unrecorded], pauses: [String: AccountPause])?
    /// Starts within the last `rateWindowMillis`: when, and how many deliveries.
    private var recentStarts: [(at: Int64, count: Int)] = []

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Nothing claimed, started, in flight or unrecorded, and nothing being claimed, started or
    /// recorded.
    var isDrained: Bool {
        waiting.isEmpty && ready.isEmpty && inFlight == 0 && results.isEmpty && starting == nil && recording == nil && !claiming
    }

    /// What to do now. `stopping`: graceful shutdown — claim and start nothing more, hand back
    /// what was not sent, let the calls in flight finish and record everything.
    mutating func next(now: Int64, stopping: Bool) -> [Action] {
        var actions: [Action] = []
        if stopping {
            release(waiting, started: false, now: now)
            release(ready, started: true, now: now)
            waiting.removeAll()
            ready.removeAll()
        }
        if !stopping, !claiming {
            // The start rate is measured only when a claim could go out, not at every event.
            let unstarted = waiting.count + ready.count, ahead = ahead(now: now)
            if unstarted < min(configuration.lowWater, max(1, ahead / 2)) {
                claiming = true
                actions.append(.claim(afterIdle: idle, limit: min(configuration.batchSize, ahead - unstarted)))
            }
        }
        for next in ready {
            inFlight += 1
            inFlightByAccount[next.delivery.appid, default: 0] += 1
            actions.append(.send(next.delivery))
        }
        ready.removeAll()
        if !stopping, starting == nil, let start = start(now: now) { actions.append(start) }
        if recording == nil, !results.isEmpty {
            // An account's pause is recorded with the results of every call to it that was in
            // flight when it was decided: whoever sees the pause sees those sends.
            let batchPauses = pauses.filter { inFlightByAccount[$0.key, default: 0] == 0 }
            for appid in batchPauses.keys { pauses.removeValue(forKey: appid) }
            recording = (results, batchPauses)
            actions.append(.record(results: results.map(\.result), pauses: batchPauses, retry: !stopping))
            results.removeAll()
        }
        return actions
    }

    /// Claimed deliveries that may wait unstarted: what this loop starts in a quarter of the lease
    /// at its recent rate, at least `concurrency` (enough to fill every place), at most what a
    /// loop that keeps up holds (`lowWater + batchSize`). A loop that has started nothing lately
    /// because nothing was due (or it just began) is idle, not slow: the most. One whose claims
    /// all went back unstarted is slow, and gets the least: that it holds nothing now does not
    /// mean it would start a full claim in time.
    func ahead(now: Int64) -> Int {
        let most = configuration.lowWater + configuration.batchSize
        let started = recentStarts.lazy.filter { now - $0.at < Self.rateWindowMillis }.map(\.count).reduce(0, +)
        if started == 0, idle || !hasClaimed, waiting.isEmpty, ready.isEmpty, startedOpen == 0, starting == nil { return most }
        let inQuarterLease = Double(started) * Double(configuration.leaseMillis / 4) / Double(Self.rateWindowMillis)
        return max(configuration.concurrency, min(most, Int(inQuarterLease)))
    }

    /// A start of as many waiting deliveries as there are places, when it is worth a statement.
    private mutating func start(now: Int64) -> Action? {
        // A claim that has waited half its lease (WeChat answering slowly) goes back unsent:
        // sent after the lease expired, it could be sent twice. `waiting` is in claim order, so
        // the stale are at its front (this runs at every step: it must not walk the whole line).
        let stale = waiting.prefix { now - $0.claimedAt >= configuration.leaseMillis / 2 }.count
        if stale > 0 {
            release(Array(waiting.prefix(stale)), started: false, now: now)
            waiting.removeFirst(stale)
        }
        let count = min(configuration.concurrency - startedOpen, waiting.count)
        guard count > 0 else { return nil }
        // A handful at a time while others are out would be a statement per call or two: a start
        // waits for a quarter of the places, unless it takes everything waiting or nothing is out.
        guard count >= max(1, configuration.concurrency / 4) || count == waiting.count || startedOpen == 0 else { return nil }
        let group = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        starting = group
        recentStarts.removeFirst(recentStarts.prefix { now - $0.at >= Self.rateWindowMillis }.count)
        recentStarts.append((now, count))
        return .start(group.map(\.delivery))
    }

    /// A claim came back (empty when nothing was due or the claim failed).
    mutating func claimed(_ deliveries: [ClaimedDelivery], at: Int64) {
        claiming = false
        idle = deliveries.isEmpty
        if !deliveries.isEmpty { hasClaimed = true }
        for delivery in deliveries {
            let pending = Pending(delivery: delivery, claimedAt: at)
            // Deliveries of an account this sender just paused go straight back.
            if pausedHere.contains(delivery.appid) { release([pending], started: false, now: at) } else { waiting.append(pending) }
        }
    }

    /// The start in flight returned: `started`, the ids this sender still holds (a lease lost
    /// meanwhile: another worker, or the lease recovery, has the delivery now); nil when nothing
    /// was written — then they go back to the front of the line, unstarted.
    mutating func started(_ kept: [Int64]?, at now: Int64) {
        guard let group = starting else { return }
        starting = nil
        guard let kept else {
            waiting = group + waiting
            return
        }
        let owned = Set(kept)
        let started = group.filter { owned.contains($0.delivery.id) }
        startedOpen += started.count
        // An account paused while the start was out: its deliveries go back unsent.
        let (held, sendable) = started.partitioned { pausedHere.contains($0.delivery.appid) }
        ready += sendable
        release(held, started: true, now: now)
    }

    /// A call ended (or never went out), with what to record and possibly a pause of its
    /// account: then that account's deliveries not yet sent go back.
    mutating func sent(_ result: DeliveryResult, pause: AccountPause?) {
        inFlight -= 1
        let appid = result.delivery.appid
        inFlightByAccount[appid, default: 1] -= 1
        if inFlightByAccount[appid] == 0 { inFlightByAccount.removeValue(forKey: appid) }
        results.append(Unrecorded(result: result, started: true))
        guard let pause else { return }
        pauses[appid] = pause
        pausedHere.insert(appid)
        let (heldWaiting, keptWaiting) = waiting.partitioned { $0.delivery.appid == appid }
        let (heldReady, keptReady) = ready.partitioned { $0.delivery.appid == appid }
        waiting = keptWaiting
        ready = keptReady
        release(heldWaiting, started: false, now: result.at)
        release(heldReady, started: true, now: result.at)
    }

    /// The recording in flight returned. `ok: false`: nothing was written — with `retry`, its
    /// results and pauses wait for the next recording (ahead of newer ones); without (shutting
    /// down), they are given up and the leases' expiry decides.
    mutating func recorded(ok: Bool, retry: Bool) {
        guard let batch = recording else { return }
        recording = nil
        if ok {
            startedOpen -= batch.results.lazy.filter(\.started).count
            // The store now keeps those accounts out of claims.
            pausedHere.subtract(batch.pauses.keys)
        } else if retry {
            results = batch.results + results
            pauses.merge(batch.pauses) { newer, _ in newer }
        }
    }

    /// Hands deliveries back to the queue unsent: not attempted, unit and budget refunded.
    private mutating func release(_ deliveries: [Pending], started: Bool, now: Int64) {
        results += deliveries.map {
            Unrecorded(result: DeliveryResult(delivery: $0.delivery, outcome: .retry(dueAt: now, errcode: nil, countsAsAttempt: false), at: now),
                       started: started)
        }
    }
}

import KefuCore

/// The sender's pipeline as a value-type state machine: claim → send → record, and hand back
/// what cannot be sent. The `Sender` runs the actions it asks for and feeds their outcomes back
/// as events; every rule of the pipeline lives here, without I/O, unit-tested transition by
/// transition (`SendPipelineTests`).
///
/// Deliveries move through three places: `waiting` (claimed and leased, call not made), in
/// flight (the call to WeChat is out), `results` (the call ended or never went out; the outcome
/// not yet recorded). At most one claim and one recording are in flight at a time, so a slow
/// store batches more rather than queueing more.
struct SendPipeline {
    struct Configuration {
        /// Calls to WeChat in flight at once.
        var concurrency: Int
        /// Claimed deliveries waiting to be sent below which the next claim starts.
        var lowWater: Int
        var leaseMillis: Int64
    }

    enum Action: Equatable {
        /// Claim the next batch (after an empty claim, first wait for work).
        case claim(afterIdle: Bool)
        case send(ClaimedDelivery)
        /// Record `results` in one transaction, then the account pauses; `retry`: a failure
        /// hands them back to be recorded with the next batch.
        case record(results: [DeliveryResult], pauses: [String: AccountPause], retry: Bool)
    }

    struct Waiting: Equatable {
        var delivery: ClaimedDelivery
        var claimedAt: Int64
    }

    let configuration: Configuration
    private(set) var waiting: [Waiting] = []
    private(set) var inFlight = 0
    private var inFlightByAccount: [String: Int] = [:]
    private(set) var results: [DeliveryResult] = []
    private var pauses: [String: AccountPause] = [:]
    /// Accounts this sender paused; their deliveries go straight back until the pause is stored.
    private(set) var pausedHere: Set<String> = []
    private(set) var claiming = false
    private var idle = false
    /// The recording in flight: what it records, to hand back if it fails.
    private var recording: (results: [DeliveryResult], pauses: [String: AccountPause])?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Nothing claimed, in flight or unrecorded, and nothing being claimed or recorded.
    var isDrained: Bool { waiting.isEmpty && inFlight == 0 && results.isEmpty && recording == nil && !claiming }

    /// What to do now. `stopping`: graceful shutdown — claim nothing more, hand back what was not
    /// sent, let the calls in flight finish and record everything.
    mutating func next(now: Int64, stopping: Bool) -> [Action] {
        var actions: [Action] = []
        if stopping, !waiting.isEmpty {
            release(waiting, now: now)
            waiting.removeAll()
        }
        if !stopping, !claiming, waiting.count < configuration.lowWater {
            claiming = true
            actions.append(.claim(afterIdle: idle))
        }
        while inFlight < configuration.concurrency, !waiting.isEmpty {
            let next = waiting.removeFirst()
            // A claim that has waited half its lease (WeChat answering slowly) goes back unsent:
            // sent after the lease expired, it could be sent twice.
            guard now - next.claimedAt < configuration.leaseMillis / 2 else {
                release([next], now: now)
                continue
            }
            inFlight += 1
            inFlightByAccount[next.delivery.appid, default: 0] += 1
            actions.append(.send(next.delivery))
        }
        if recording == nil, !results.isEmpty {
            // An account's pause is recorded with the results of every call to it that was in
            // flight when it was decided: whoever sees the pause sees those sends.
            let batchPauses = pauses.filter { inFlightByAccount[$0.key, default: 0] == 0 }
            for appid in batchPauses.keys { pauses.removeValue(forKey: appid) }
            recording = (results, batchPauses)
            actions.append(.record(results: results, pauses: batchPauses, retry: !stopping))
            results.removeAll()
        }
        return actions
    }

    /// A claim came back (empty when nothing was due or the claim failed).
    mutating func claimed(_ deliveries: [ClaimedDelivery], at: Int64) {
        claiming = false
        idle = deliveries.isEmpty
        for delivery in deliveries {
            let entry = Waiting(delivery: delivery, claimedAt: at)
            // Deliveries of an account this sender just paused go straight back.
            if pausedHere.contains(delivery.appid) { release([entry], now: at) } else { waiting.append(entry) }
        }
    }

    /// A call ended (or never went out), with what to record and possibly a pause of its
    /// account: then that account's waiting deliveries go back unsent.
    mutating func sent(_ result: DeliveryResult, pause: AccountPause?) {
        inFlight -= 1
        let appid = result.delivery.appid
        inFlightByAccount[appid, default: 1] -= 1
        if inFlightByAccount[appid] == 0 { inFlightByAccount.removeValue(forKey: appid) }
        results.append(result)
        guard let pause else { return }
        pauses[appid] = pause
        pausedHere.insert(appid)
        let (held, kept) = waiting.partitioned { $0.delivery.appid == appid }
        waiting = kept
        release(held, now: result.at)
    }

    /// The recording in flight returned. `ok: false`: nothing was written — with `retry`, its
    /// results and pauses wait for the next recording (ahead of newer ones); without (shutting
    /// down), they are given up and the leases' expiry decides.
    mutating func recorded(ok: Bool, retry: Bool) {
        guard let batch = recording else { return }
        recording = nil
        if ok {
            // The store now keeps those accounts out of claims.
            pausedHere.subtract(batch.pauses.keys)
        } else if retry {
            results = batch.results + results
            pauses.merge(batch.pauses) { newer, _ in newer }
        }
    }

    /// Hands deliveries back to the queue unsent: not attempted, unit and budget refunded.
    private mutating func release(_ entries: [Waiting], now: Int64) {
        results += entries.map {
            DeliveryResult(delivery: $0.delivery, outcome: .retry(dueAt: now, errcode: nil, countsAsAttempt: false), at: now)
        }
    }
}

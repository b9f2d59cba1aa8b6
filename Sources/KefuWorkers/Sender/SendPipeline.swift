import KefuCore

/// The sender's pipeline as a value-type state machine: claim → start → send → settle, and
/// hand back what cannot be sent. The `Sender` runs the actions it asks for and feeds their
/// outcomes back as events; every rule of the pipeline lives here, without I/O.
///
/// Deliveries move through four places:
/// - `waiting`: claimed (leased), not started — after a crash they go back to the queue;
/// - `ready`: marked started in the store, call not made yet;
/// - in flight: the call to WeChat is out;
/// - `results`: the call ended, the outcome not yet recorded.
///
/// A delivery is marked started in the same transaction that records earlier results (one
/// `settle` per group of calls, not per delivery), and at most `concurrency` deliveries are ever
/// started and unrecorded at once — so a worker killed at any moment leaves at most
/// `concurrency` deliveries whose outcome is unknown.
struct SendPipeline {
    struct Configuration {
        var concurrency: Int
        /// Claimed deliveries waiting to be sent below which the next claim starts.
        var lowWater: Int
        var leaseMillis: Int64
    }

    enum Action: Equatable {
        case claim(afterIdle: Bool)
        /// Record `results` (then the pauses) and mark `start` started, in one transaction.
        case settle(results: [DeliveryResult], pauses: [String: AccountPause], start: [ClaimedDelivery], retry: Bool)
        case send(ClaimedDelivery)
    }

    struct Pending: Equatable {
        var delivery: ClaimedDelivery
        var claimedAt: Int64
    }

    let configuration: Configuration
    private(set) var waiting: [Pending] = []
    private(set) var ready: [Pending] = []
    private(set) var inFlight = 0
    private var inFlightByAccount: [String: Int] = [:]
    /// Results not yet recorded; `started` tells whether the delivery counts in `startedOpen`.
    private var results: [(result: DeliveryResult, started: Bool)] = []
    private var pauses: [String: AccountPause] = [:]
    /// Accounts this sender paused; their deliveries go straight back until the pause is stored.
    private var pausedHere: Set<String> = []
    /// Deliveries started (in the store) whose results are not recorded yet.
    private(set) var startedOpen = 0
    private var claiming = false
    private var idle = false
    /// The settle in flight: what it records and starts, to undo or apply when it returns.
    private var settling: (results: [(result: DeliveryResult, started: Bool)], pauses: [String: AccountPause], start: [Pending])?

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Nothing claimed, started, in flight or unrecorded.
    var isDrained: Bool { waiting.isEmpty && ready.isEmpty && inFlight == 0 && results.isEmpty && settling == nil && !claiming }

    /// What to do now. `stopping`: graceful shutdown — claim nothing more, hand back what was
    /// not sent, let the calls in flight finish and record everything.
    mutating func next(now: Int64, stopping: Bool) -> [Action] {
        var actions: [Action] = []
        if stopping {
            release(waiting, started: false, now: now)
            release(ready, started: true, now: now)
            waiting.removeAll()
            ready.removeAll()
        }
        if !stopping, !claiming, waiting.count + ready.count < configuration.lowWater {
            claiming = true
            actions.append(.claim(afterIdle: idle))
        }
        while inFlight < configuration.concurrency, !ready.isEmpty {
            let next = ready.removeFirst()
            // A claim that has waited half its lease (WeChat answering slowly) goes back unsent:
            // sent after the lease expired, it could be sent twice.
            guard now - next.claimedAt < configuration.leaseMillis / 2 else {
                release([next], started: true, now: now)
                continue
            }
            inFlight += 1
            inFlightByAccount[next.delivery.appid, default: 0] += 1
            actions.append(.send(next.delivery))
        }
        if settling == nil, let settle = settle(stopping: stopping) { actions.append(settle) }
        return actions
    }

    /// A settle when there is something to record, or enough to start.
    private mutating func settle(stopping: Bool) -> Action? {
        let recordedStarted = results.filter(\.started).count
        let room = stopping ? 0 : configuration.concurrency - (startedOpen - recordedStarted)
        let count = max(0, min(room, waiting.count))
        // Starting a handful while calls are still out would mean a statement per call or two;
        // wait until a quarter of the slots can be filled, unless nothing is out at all.
        let worthStarting = count > 0 && (count >= max(1, configuration.concurrency / 4) || inFlight + ready.count == 0)
        guard !results.isEmpty || worthStarting else { return nil }
        let start = worthStarting ? Array(waiting.prefix(count)) : []
        waiting.removeFirst(start.count)
        // An account's pause is recorded with the results of every call to it that was in flight
        // when it was decided: whoever sees the pause sees those sends.
        let batchPauses = pauses.filter { inFlightByAccount[$0.key, default: 0] == 0 }
        for appid in batchPauses.keys { pauses.removeValue(forKey: appid) }
        settling = (results, batchPauses, start)
        let recording = results.map(\.result)
        results.removeAll()
        return .settle(results: recording, pauses: batchPauses, start: start.map(\.delivery), retry: !stopping)
    }

    /// A claim came back.
    mutating func claimed(_ deliveries: [ClaimedDelivery], at: Int64) {
        claiming = false
        idle = deliveries.isEmpty
        for delivery in deliveries {
            let pending = Pending(delivery: delivery, claimedAt: at)
            // Deliveries of an account this sender just paused go straight back.
            if pausedHere.contains(delivery.appid) { release([pending], started: false, now: at) } else { waiting.append(pending) }
        }
    }

    /// A call ended (or never went out), with what to record and possibly a pause of its account.
    mutating func sent(_ result: DeliveryResult, pause: AccountPause?) {
        inFlight -= 1
        let appid = result.delivery.appid
        inFlightByAccount[appid, default: 1] -= 1
        if inFlightByAccount[appid] == 0 { inFlightByAccount.removeValue(forKey: appid) }
        results.append((result, true))
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

    /// The settle in flight returned: `started` are the deliveries this sender still holds
    /// (in order), nil when the transaction failed.
    mutating func settled(started kept: [Int64]?) {
        guard let batch = settling else { return }
        settling = nil
        guard let kept else {
            // Nothing was written: the results wait for the next settle, the starts go back to
            // the front of the line, unstarted.
            results = batch.results + results
            pauses.merge(batch.pauses) { newer, _ in newer }
            waiting = batch.start + waiting
            return
        }
        startedOpen -= batch.results.filter(\.started).count
        // The store now keeps those accounts out of claims.
        pausedHere.subtract(batch.pauses.keys)
        let owned = Set(kept)
        // A lease lost meanwhile: another worker (or the lease recovery) has the delivery now.
        let started = batch.start.filter { owned.contains($0.delivery.id) }
        startedOpen += started.count
        ready += started
    }

    /// A settle that failed while stopping is given up: the leases' expiry decides (never-started
    /// deliveries go back to the queue, started ones follow the unknown-outcome policy).
    mutating func abandonSettle() {
        settling = nil
    }

    /// Hands deliveries back to the queue unsent: not attempted, unit and budget refunded.
    private mutating func release(_ deliveries: [Pending], started: Bool, now: Int64) {
        results += deliveries.map {
            (DeliveryResult(delivery: $0.delivery, outcome: .retry(dueAt: now, errcode: nil, countsAsAttempt: false), at: now), started)
        }
    }
}

extension Array {
    /// The elements that match, and those that don't, each in their original order.
    func partitioned(by matches: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = [], rest: [Element] = []
        for element in self {
            if matches(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}

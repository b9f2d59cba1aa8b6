import KefuCore
import Testing
@testable import KefuWorkers

/// The sender's state machine, transition by transition, without I/O.
@Suite("Send pipeline state machine")
struct SendPipelineTests {
    static let appid = "wx0000000000000001"

    static func deliveries(_ count: Int, appid: String = appid, from: Int64 = 1) -> [ClaimedDelivery] {
        (0..<count).map {
            ClaimedDelivery(id: from + Int64($0), appid: appid, openid: "o\(from + Int64($0))", message: "{}", attempts: 0, grantKind: "message")
        }
    }

    static func pipeline(concurrency: Int = 4, lowWater: Int = 8, leaseMillis: Int64 = 60_000, batchSize: Int = 16) -> SendPipeline {
        SendPipeline(configuration: .init(concurrency: concurrency, lowWater: lowWater, leaseMillis: leaseMillis, batchSize: batchSize))
    }

    static func claims(_ actions: [SendPipeline.Action]) -> [Int] {
        actions.compactMap { if case .claim(_, let limit) = $0 { limit } else { nil } }
    }

    /// A pipeline that claimed `claimed`, and whose first start the store answered with `started`.
    static func running(_ claimed: [ClaimedDelivery], started: [Int64], concurrency: Int = 4, lowWater: Int = 8) -> SendPipeline {
        var pipeline = Self.pipeline(concurrency: concurrency, lowWater: lowWater)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(claimed, at: 0)
        _ = pipeline.next(now: 1, stopping: false)
        pipeline.started(started, at: 1)
        return pipeline
    }

    static func sends(_ actions: [SendPipeline.Action]) -> [Int64] {
        actions.compactMap { if case .send(let delivery) = $0 { delivery.id } else { nil } }
    }

    static func start(_ actions: [SendPipeline.Action]) -> [Int64]? {
        for action in actions { if case .start(let deliveries) = action { return deliveries.map(\.id) } }
        return nil
    }

    static func record(_ actions: [SendPipeline.Action]) -> (results: [DeliveryResult], pauses: [String: AccountPause], retry: Bool)? {
        for action in actions { if case .record(let results, let pauses, let retry) = action { return (results, pauses, retry) } }
        return nil
    }

    static func handedBack(_ result: DeliveryResult) -> Bool {
        if case .retry(_, nil, false) = result.outcome { true } else { false }
    }

    static func sent(_ id: Int64, at: Int64, appid: String = appid) -> DeliveryResult {
        DeliveryResult(delivery: deliveries(1, appid: appid, from: id)[0], outcome: .sent, at: at)
    }

    @Test("claims first; nothing is sent before the store marks it started; then exactly the started ones go out")
    func startThenSend() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 8)
        #expect(pipeline.next(now: 0, stopping: false) == [.claim(afterIdle: false, limit: 16)], "idle: a whole batch")
        #expect(pipeline.next(now: 0, stopping: false).isEmpty, "one claim at a time")
        pipeline.claimed(Self.deliveries(10), at: 0)
        let actions = pipeline.next(now: 1, stopping: false)
        #expect(Self.sends(actions).isEmpty, "nothing is sent before it is marked started")
        #expect(Self.start(actions) == [1, 2, 3, 4], "a group as large as the concurrency, in claim order")
        #expect(pipeline.next(now: 1, stopping: false) == [.claim(afterIdle: false, limit: 16)], "6 waiting is below the low-water mark of 8")
        pipeline.started([1, 2, 3, 4], at: 2)
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [1, 2, 3, 4])
        #expect(pipeline.inFlight == 4)
        #expect(pipeline.startedOpen == 4)
    }

    @Test("a loop whose claims all went back unstarted is slow, not idle: its next claim fills its places, not a batch")
    func handedBackIsNotIdle() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 256, leaseMillis: 4_000, batchSize: 512)
        #expect(Self.claims(pipeline.next(now: 0, stopping: false)) == [512])
        pipeline.claimed(Self.deliveries(40), at: 0)
        pipeline.started(Self.start(pipeline.next(now: 0, stopping: false)) ?? [], at: 0)
        for id in Self.sends(pipeline.next(now: 0, stopping: false)) { pipeline.sent(Self.sent(id, at: 1_000), pause: nil) }
        #expect(Self.record(pipeline.next(now: 1_000, stopping: false))?.results.count == 4)
        pipeline.recorded(ok: true, retry: true)
        // The next start's statement fails after a while (a loaded store): nothing more starts,
        // and at half the lease every claim goes back.
        #expect(Self.start(pipeline.next(now: 1_000, stopping: false)) == [5, 6, 7, 8])
        pipeline.started(nil, at: 2_500)
        #expect(Self.record(pipeline.next(now: 2_500, stopping: false))?.results.count == 36, "all 36 waited half the lease")
        pipeline.recorded(ok: true, retry: true)
        #expect(pipeline.waiting.isEmpty && pipeline.startedOpen == 0)
        #expect(Self.claims(pipeline.next(now: 3_100, stopping: false)) == [4], "nothing started for 2 s: enough for the places")
    }

    @Test("a slow loop claims what it starts in a quarter of its lease, not a whole batch; one that starts nothing claims only enough to fill its places")
    func claimsFollowTheStartRate() {
        // 4 places, a 4 s lease, batches of 512: one group of 4 started every 200 ms is 20 a
        // second, 20 in the quarter lease.
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 256, leaseMillis: 4_000, batchSize: 512)
        #expect(pipeline.ahead(now: 0) == 256 + 512, "idle: as much as a loop that keeps up holds")
        #expect(Self.claims(pipeline.next(now: 0, stopping: false)) == [512])
        pipeline.claimed(Self.deliveries(40), at: 0)
        #expect(pipeline.ahead(now: 0) == 4, "claimed, nothing started yet: enough to fill the places")
        var later: [Int] = []
        for step in 0..<10 {
            let now = Int64(step) * 200
            var actions = pipeline.next(now: now, stopping: false)
            later += Self.claims(actions)
            let group = Self.start(actions) ?? []
            #expect(group.count == 4)
            pipeline.started(group, at: now)
            actions = pipeline.next(now: now, stopping: false)
            later += Self.claims(actions)
            for id in Self.sends(actions) { pipeline.sent(Self.sent(id, at: now), pause: nil) }
            actions = pipeline.next(now: now, stopping: false)
            later += Self.claims(actions)
            #expect(Self.record(actions)?.results.count == 4)
            pipeline.recorded(ok: true, retry: true)
        }
        #expect(pipeline.ahead(now: 1_800) == 20, "40 started in the last 2 s: 20 a second, a quarter of the 4 s lease")
        #expect(later == [10], "one claim, at 1.6 s once 36 were started (18 in a quarter lease) and 8 wait: of 18 less those 8")

        // Claimed work and no start for the whole measuring window: only enough to fill the places.
        #expect(pipeline.ahead(now: 10_000) == 4, "drained, nothing started for 2 s, no empty claim yet: not known to be idle")
        pipeline.claimed([], at: 10_000)  // the claim made at 1.6 s comes back empty
        #expect(pipeline.ahead(now: 10_000) == 256 + 512, "a claim came back empty: idle")
        pipeline.claimed(Self.deliveries(8, from: 100), at: 10_000)
        #expect(pipeline.ahead(now: 12_500) == 4)
        // 64 started in the last 2 s is 32 a second: 480 in the quarter of a 60 s lease, and with
        // a 10-minute lease more than a loop that keeps up holds, so the cap.
        for (lease, ahead) in [(Int64(60_000), 480), (600_000, 256 + 512)] {
            var fast = Self.pipeline(concurrency: 64, lowWater: 256, leaseMillis: lease, batchSize: 512)
            _ = fast.next(now: 0, stopping: false)
            fast.claimed(Self.deliveries(512), at: 0)
            #expect(Self.start(fast.next(now: 0, stopping: false))?.count == 64)
            #expect(fast.ahead(now: 0) == ahead)
        }
    }

    @Test("after an empty claim the next one waits for work first")
    func idleClaim() {
        var pipeline = Self.pipeline()
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed([], at: 0)
        #expect(pipeline.next(now: 1, stopping: false) == [.claim(afterIdle: true, limit: 16)])
    }

    @Test("a place is free only once its result is recorded; recording and starting run side by side")
    func placesFreeOnRecord() {
        var pipeline = Self.running(Self.deliveries(10), started: [1, 2, 3, 4])
        _ = pipeline.next(now: 2, stopping: false)
        pipeline.sent(Self.sent(1, at: 3), pause: nil)
        pipeline.sent(Self.sent(3, at: 3), pause: nil)
        var actions = pipeline.next(now: 3, stopping: false)
        #expect(Self.record(actions)?.results.map(\.delivery.id) == [1, 3])
        #expect(Self.start(actions) == nil, "1 and 3 are not recorded yet: 4 started and unrecorded")
        pipeline.recorded(ok: true, retry: true)
        #expect(pipeline.startedOpen == 2)
        actions = pipeline.next(now: 4, stopping: false)
        #expect(Self.start(actions) == [5, 6])
        // While the start is out, results are recorded.
        pipeline.sent(Self.sent(2, at: 5), pause: nil)
        #expect(Self.record(pipeline.next(now: 5, stopping: false))?.results.map(\.delivery.id) == [2])
        pipeline.started([5, 6], at: 6)
        #expect(Self.sends(pipeline.next(now: 6, stopping: false)) == [5, 6])
        #expect(pipeline.startedOpen == 4)
    }

    @Test("a start waits for a quarter of the places, unless it takes everything waiting or nothing is out: a statement per group of calls")
    func startWaitsForAGroup() {
        var pipeline = Self.running(Self.deliveries(20), started: Array(1...8), concurrency: 8, lowWater: 0)
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)).count == 8)
        pipeline.sent(Self.sent(1, at: 3), pause: nil)
        _ = pipeline.next(now: 3, stopping: false)
        pipeline.recorded(ok: true, retry: true)
        #expect(Self.start(pipeline.next(now: 4, stopping: false)) == nil, "one place free of 8, 12 waiting: not worth a statement")
        pipeline.sent(Self.sent(2, at: 5), pause: nil)
        _ = pipeline.next(now: 5, stopping: false)
        pipeline.recorded(ok: true, retry: true)
        #expect(Self.start(pipeline.next(now: 6, stopping: false)) == [9, 10], "two places: a quarter")

        var tail = Self.running(Self.deliveries(9), started: Array(1...8), concurrency: 8, lowWater: 0)
        _ = tail.next(now: 2, stopping: false)
        tail.sent(Self.sent(1, at: 3), pause: nil)
        _ = tail.next(now: 3, stopping: false)
        tail.recorded(ok: true, retry: true)
        #expect(Self.start(tail.next(now: 4, stopping: false)) == [9], "the last one waiting goes at once")
    }

    @Test("started and unrecorded never exceed the concurrency, whatever order calls, starts and recordings end in; each delivery recorded once")
    func bound() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 8)
        var generator = SystemRandomNumberGenerator()
        var inFlight: [ClaimedDelivery] = []
        var starting: [Int64]?, recording: [DeliveryResult]?
        var recorded: [Int64] = [], now: Int64 = 0, next: Int64 = 1
        var steps = 0
        while recorded.count < 200, steps < 100_000 {
            steps += 1
            now += 1
            for action in pipeline.next(now: now, stopping: false) {
                switch action {
                case .claim(_, let limit):
                    #expect(limit > 0)
                    let count = Int(min(Int64(min(50, limit)), 201 - next))
                    pipeline.claimed(Self.deliveries(count, from: next), at: now)
                    next += Int64(count)
                case .start(let group):
                    #expect(starting == nil, "a second start while one is in flight")
                    starting = group.map(\.id)
                case .send(let delivery):
                    inFlight.append(delivery)
                case .record(let results, _, _):
                    #expect(recording == nil, "a second recording while one is in flight")
                    recording = results
                }
            }
            #expect(inFlight.count <= 4)
            // A call ends, the start returns or the recording returns, at random.
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where starting != nil:
                pipeline.started(starting, at: now)
                starting = nil
            case 1 where recording != nil:
                recorded += recording!.map(\.delivery.id)
                recording = nil
                pipeline.recorded(ok: true, retry: true)
            default:
                if !inFlight.isEmpty {
                    let delivery = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &generator))
                    pipeline.sent(DeliveryResult(delivery: delivery, outcome: .sent, at: now), pause: nil)
                }
            }
            #expect(pipeline.startedOpen <= 4)
        }
        #expect(recorded.sorted() == Array(1...200))
    }

    @Test("a lease lost before the call: only what the store says is still held is sent")
    func fencing() {
        var pipeline = Self.running(Self.deliveries(4), started: [2, 4])
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [2, 4])
        #expect(pipeline.startedOpen == 2)
    }

    @Test("a failed start: the group goes back unstarted, first in line")
    func failedStart() {
        var pipeline = Self.pipeline(concurrency: 2, lowWater: 0)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(3), at: 0)
        #expect(Self.start(pipeline.next(now: 1, stopping: false)) == [1, 2])
        pipeline.started(nil, at: 2)
        #expect(pipeline.startedOpen == 0)
        #expect(Self.start(pipeline.next(now: 2, stopping: false)) == [1, 2])
    }

    @Test("a claim that waited half its lease goes back unstarted and unsent")
    func staleClaim() {
        var pipeline = Self.pipeline(concurrency: 1, lowWater: 0, leaseMillis: 1_000)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(2), at: 0)
        #expect(Self.start(pipeline.next(now: 10, stopping: false)) == [1])
        pipeline.started([1], at: 10)
        #expect(Self.sends(pipeline.next(now: 10, stopping: false)) == [1])
        pipeline.sent(Self.sent(1, at: 600), pause: nil)
        let actions = pipeline.next(now: 600, stopping: false)
        #expect(Self.start(actions) == nil, "delivery 2 waited 600 ms of a 1,000 ms lease")
        let batch = Self.record(actions)?.results ?? []
        #expect(batch.map(\.delivery.id) == [1, 2])
        #expect(batch.last.map(Self.handedBack) == true)
        pipeline.recorded(ok: true, retry: true)
        #expect(pipeline.startedOpen == 0)
    }

    @Test("a pause hands back the account's waiting deliveries and those claimed or started later, and is recorded once no call to it is out")
    func pause() {
        let other = "wx0000000000000002"
        var pipeline = Self.running(Self.deliveries(4) + Self.deliveries(1, appid: other, from: 10), started: [1, 2], concurrency: 2, lowWater: 0)
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [1, 2])
        let pause = AccountPause(until: 60_000, reason: "45009: daily quota")
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1)[0], outcome: .retry(dueAt: 60_000, errcode: 45009, countsAsAttempt: false), at: 3),
                      pause: pause)
        #expect(pipeline.waiting.map(\.delivery.id) == [10], "3 and 4 went back; the other account's stays")
        var actions = pipeline.next(now: 3, stopping: false)
        var batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [1, 3, 4])
        #expect(batch?.results.dropFirst().allSatisfy(Self.handedBack) == true)
        #expect(batch?.pauses.isEmpty == true, "delivery 2 of the paused account is still out")
        pipeline.recorded(ok: true, retry: true)
        #expect(Self.start(pipeline.next(now: 4, stopping: false)) == [10])
        pipeline.started([10], at: 4)
        #expect(Self.sends(pipeline.next(now: 4, stopping: false)) == [10])
        // A later claim brings more of the paused account: straight back.
        pipeline.claimed(Self.deliveries(1, from: 20), at: 5)
        pipeline.sent(Self.sent(2, at: 5), pause: nil)
        actions = pipeline.next(now: 5, stopping: false)
        batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [20, 2])
        #expect(batch?.pauses == [Self.appid: pause], "no call to the account is out now")
        #expect(pipeline.pausedHere == [Self.appid])
        pipeline.recorded(ok: true, retry: true)
        #expect(pipeline.pausedHere.isEmpty, "the store keeps the account out of claims from here")
    }

    @Test("a failed recording hands its results and pauses back, ahead of newer ones, places still taken; while stopping they are given up")
    func failedRecording() {
        var pipeline = Self.running(Self.deliveries(3), started: [1, 2], concurrency: 2, lowWater: 0)
        _ = pipeline.next(now: 2, stopping: false)
        pipeline.sent(Self.sent(1, at: 3), pause: nil)
        #expect(Self.record(pipeline.next(now: 3, stopping: false))?.results.map(\.delivery.id) == [1])
        pipeline.sent(Self.sent(2, at: 4), pause: nil)
        #expect(Self.record(pipeline.next(now: 4, stopping: false)) == nil, "one recording at a time")
        pipeline.recorded(ok: false, retry: true)
        #expect(pipeline.startedOpen == 2)
        let actions = pipeline.next(now: 5, stopping: false)
        #expect(Self.record(actions)?.results.map(\.delivery.id) == [1, 2])
        #expect(Self.start(actions) == nil, "nothing recorded: no place is free")
        pipeline.recorded(ok: false, retry: false)
        #expect(pipeline.results.isEmpty, "given up: the leases' expiry decides")
    }

    @Test("stopping: nothing more is claimed or started, what waits goes back unsent, calls out finish and everything is recorded")
    func stopping() {
        var pipeline = Self.running(Self.deliveries(5), started: [1, 2], concurrency: 2, lowWater: 0)
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [1, 2])
        var actions = pipeline.next(now: 3, stopping: true)
        #expect(Self.claims(actions).isEmpty)
        #expect(Self.start(actions) == nil)
        let batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [3, 4, 5])
        #expect(batch?.results.allSatisfy(Self.handedBack) == true)
        #expect(batch?.retry == false)
        pipeline.recorded(ok: true, retry: false)
        for id: Int64 in [1, 2] { pipeline.sent(Self.sent(id, at: 4), pause: nil) }
        actions = pipeline.next(now: 4, stopping: true)
        #expect(Self.record(actions)?.results.map(\.delivery.id) == [1, 2])
        pipeline.recorded(ok: true, retry: false)
        #expect(pipeline.next(now: 5, stopping: true).isEmpty)
        #expect(pipeline.isDrained)
        #expect(pipeline.startedOpen == 0)
    }

    @Test("stopping while a start is out: what it started is handed back unsent")
    func stoppingWithStartOut() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 0)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(3), at: 0)
        #expect(Self.start(pipeline.next(now: 1, stopping: false)) == [1, 2, 3])
        #expect(pipeline.next(now: 1, stopping: true).isEmpty)
        pipeline.started([1, 2, 3], at: 2)
        let actions = pipeline.next(now: 2, stopping: true)
        #expect(Self.sends(actions).isEmpty)
        let batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [1, 2, 3])
        #expect(batch?.results.allSatisfy(Self.handedBack) == true)
        pipeline.recorded(ok: true, retry: false)
        #expect(pipeline.startedOpen == 0)
        #expect(pipeline.isDrained)
    }
}

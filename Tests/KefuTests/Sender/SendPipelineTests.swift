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

    static func pipeline(concurrency: Int = 4, lowWater: Int = 8, leaseMillis: Int64 = 60_000) -> SendPipeline {
        SendPipeline(configuration: .init(concurrency: concurrency, lowWater: lowWater, leaseMillis: leaseMillis))
    }

    static func sends(_ actions: [SendPipeline.Action]) -> [Int64] {
        actions.compactMap { if case .send(let delivery) = $0 { delivery.id } else { nil } }
    }

    static func record(_ actions: [SendPipeline.Action]) -> (results: [DeliveryResult], pauses: [String: AccountPause], retry: Bool)? {
        for action in actions { if case .record(let results, let pauses, let retry) = action { return (results, pauses, retry) } }
        return nil
    }

    static func handedBack(_ result: DeliveryResult) -> Bool {
        if case .retry(_, nil, false) = result.outcome { true } else { false }
    }

    @Test("claims first, sends up to the concurrency in claim order, and claims again below the low-water mark")
    func claimThenSend() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 8)
        #expect(pipeline.next(now: 0, stopping: false) == [.claim(afterIdle: false)])
        #expect(pipeline.next(now: 0, stopping: false).isEmpty, "one claim at a time")
        pipeline.claimed(Self.deliveries(10), at: 0)
        let actions = pipeline.next(now: 1, stopping: false)
        #expect(Self.sends(actions) == [1, 2, 3, 4])
        #expect(pipeline.inFlight == 4)
        #expect(pipeline.waiting.count == 6)
        #expect(!actions.contains(.claim(afterIdle: false)), "10 were waiting when the step began")
        #expect(pipeline.next(now: 1, stopping: false) == [.claim(afterIdle: false)], "6 waiting is below the low-water mark of 8")
    }

    @Test("after an empty claim the next one waits for work first")
    func idleClaim() {
        var pipeline = Self.pipeline()
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed([], at: 0)
        #expect(pipeline.next(now: 1, stopping: false) == [.claim(afterIdle: true)])
    }

    @Test("whatever order the calls end in: never more than the concurrency in flight, one recording at a time, each delivery recorded once")
    func randomOrder() {
        var pipeline = Self.pipeline(concurrency: 4, lowWater: 8)
        var generator = SystemRandomNumberGenerator()
        var inFlight: [ClaimedDelivery] = [], recording: [DeliveryResult]?
        var recorded: [Int64] = [], now: Int64 = 0, next: Int64 = 1
        while recorded.count < 200 {
            now += 1
            for action in pipeline.next(now: now, stopping: false) {
                switch action {
                case .claim:
                    let count = Int(min(50, 201 - next))
                    pipeline.claimed(Self.deliveries(count, from: next), at: now)
                    next += Int64(count)
                case .send(let delivery): inFlight.append(delivery)
                case .record(let results, _, _):
                    #expect(recording == nil, "a second recording while one is in flight")
                    recording = results
                }
            }
            #expect(pipeline.inFlight <= 4 && inFlight.count <= 4)
            if let batch = recording, inFlight.isEmpty || Bool.random(using: &generator) {
                recording = nil
                recorded += batch.map(\.delivery.id)
                pipeline.recorded(ok: true, retry: true)
            } else if !inFlight.isEmpty {
                let delivery = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &generator))
                pipeline.sent(DeliveryResult(delivery: delivery, outcome: .sent, at: now), pause: nil)
            }
        }
        #expect(recorded.sorted() == Array(1...200))
    }

    @Test("a claim that waited half its lease goes back unsent")
    func staleClaim() {
        var pipeline = Self.pipeline(concurrency: 1, lowWater: 0, leaseMillis: 1_000)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(2), at: 0)
        #expect(Self.sends(pipeline.next(now: 10, stopping: false)) == [1])
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1)[0], outcome: .sent, at: 600), pause: nil)
        let actions = pipeline.next(now: 600, stopping: false)
        #expect(Self.sends(actions).isEmpty, "delivery 2 waited 600 ms of a 1,000 ms lease")
        let batch = Self.record(actions)?.results ?? []
        #expect(batch.map(\.delivery.id) == [1, 2])
        #expect(batch.last.map(Self.handedBack) == true)
    }

    @Test("a pause hands back the account's waiting deliveries, and those claimed later, and is recorded once no call to it is out")
    func pause() {
        var pipeline = Self.pipeline(concurrency: 2, lowWater: 0)
        let other = "wx0000000000000002"
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(4) + Self.deliveries(1, appid: other, from: 10), at: 0)
        #expect(Self.sends(pipeline.next(now: 1, stopping: false)) == [1, 2])
        let pause = AccountPause(until: 60_000, reason: "45009: daily quota")
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1)[0], outcome: .retry(dueAt: 60_000, errcode: 45009, countsAsAttempt: false), at: 2),
                      pause: pause)
        #expect(pipeline.waiting.map(\.delivery.id) == [10], "3 and 4 went back; the other account's stays")
        var actions = pipeline.next(now: 2, stopping: false)
        #expect(Self.sends(actions) == [10])
        var batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [1, 3, 4])
        #expect(batch?.pauses.isEmpty == true, "delivery 2 of the paused account is still out")
        pipeline.recorded(ok: true, retry: true)
        // A later claim brings more of the paused account: straight back.
        pipeline.claimed(Self.deliveries(1, from: 20), at: 3)
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1, from: 2)[0], outcome: .sent, at: 3), pause: nil)
        actions = pipeline.next(now: 3, stopping: false)
        batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [20, 2])
        #expect(batch?.pauses == [Self.appid: pause], "no call to the account is out now")
        #expect(pipeline.pausedHere == [Self.appid])
        pipeline.recorded(ok: true, retry: true)
        #expect(pipeline.pausedHere.isEmpty, "the store keeps the account out of claims from here")
    }

    @Test("a failed recording hands its results and pauses back, ahead of newer ones; while stopping they are given up")
    func failedRecording() {
        var pipeline = Self.pipeline(concurrency: 2, lowWater: 0)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(3), at: 0)
        _ = pipeline.next(now: 1, stopping: false)
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1)[0], outcome: .sent, at: 1), pause: nil)
        #expect(Self.record(pipeline.next(now: 1, stopping: false))?.results.map(\.delivery.id) == [1])
        pipeline.sent(DeliveryResult(delivery: Self.deliveries(1, from: 2)[0], outcome: .sent, at: 2), pause: nil)
        #expect(Self.record(pipeline.next(now: 2, stopping: false)) == nil, "one recording at a time")
        pipeline.recorded(ok: false, retry: true)
        #expect(Self.record(pipeline.next(now: 3, stopping: false))?.results.map(\.delivery.id) == [1, 2])
        pipeline.recorded(ok: false, retry: false)
        #expect(pipeline.results.isEmpty, "given up: the leases' expiry decides")
    }

    @Test("stopping: nothing more is claimed, what waits goes back unsent, calls out finish and everything is recorded")
    func stopping() {
        var pipeline = Self.pipeline(concurrency: 2, lowWater: 0)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(Self.deliveries(5), at: 0)
        #expect(Self.sends(pipeline.next(now: 1, stopping: false)) == [1, 2])
        var actions = pipeline.next(now: 2, stopping: true)
        #expect(!actions.contains(.claim(afterIdle: false)) && !actions.contains(.claim(afterIdle: true)))
        let batch = Self.record(actions)
        #expect(batch?.results.map(\.delivery.id) == [3, 4, 5])
        #expect(batch?.results.allSatisfy(Self.handedBack) == true)
        #expect(batch?.retry == false)
        pipeline.recorded(ok: true, retry: false)
        for id: Int64 in [1, 2] {
            pipeline.sent(DeliveryResult(delivery: Self.deliveries(1, from: id)[0], outcome: .sent, at: 3), pause: nil)
        }
        actions = pipeline.next(now: 3, stopping: true)
        #expect(Self.record(actions)?.results.map(\.delivery.id) == [1, 2])
        pipeline.recorded(ok: true, retry: false)
        #expect(pipeline.next(now: 4, stopping: true).isEmpty)
        #expect(pipeline.isDrained)
    }
}

import KefuCore
@testable import KefuWorkers
import Testing

/// The sender's state machine, transition by transition, without I/O.
@Suite("Send pipeline state machine")
struct SendPipelineTests {
    static func deliveries(_ count: Int, appid: String = "wx0000000000000001", from: Int64 = 1) -> [ClaimedDelivery] {
        (0..<count).map { ClaimedDelivery(id: from + Int64($0), appid: appid, openid: "o\(from + Int64($0))", message: "{}", attempts: 0, grantKind: "message") }
    }

    static func pipeline(concurrency: Int = 4) -> SendPipeline {
        SendPipeline(configuration: .init(concurrency: concurrency, lowWater: 8, leaseMillis: 60_000))
    }

    /// A pipeline that claimed `claimed` and had the store start `started` of them.
    static func running(_ claimed: [ClaimedDelivery], started: [Int64], concurrency: Int = 4) -> SendPipeline {
        var pipeline = Self.pipeline(concurrency: concurrency)
        _ = pipeline.next(now: 0, stopping: false)
        pipeline.claimed(claimed, at: 0)
        _ = pipeline.next(now: 1, stopping: false)
        pipeline.settled(started: started)
        return pipeline
    }

    static func sends(_ actions: [SendPipeline.Action]) -> [Int64] {
        actions.compactMap { if case .send(let delivery) = $0 { delivery.id } else { nil } }
    }

    static func settle(_ actions: [SendPipeline.Action]) -> (results: [DeliveryResult], start: [Int64])? {
        for action in actions { if case .settle(let results, _, let start, _) = action { return (results, start.map(\.id)) } }
        return nil
    }

    @Test("claim, then start a group in one settle, then send exactly the started ones")
    func startThenSend() {
        var pipeline = Self.pipeline()
        #expect(pipeline.next(now: 0, stopping: false) == [.claim(afterIdle: false)])
        pipeline.claimed(Self.deliveries(10), at: 0)
        let actions = pipeline.next(now: 1, stopping: false)
        #expect(Self.sends(actions).isEmpty, "nothing is sent before it is marked started")
        #expect(Self.settle(actions)?.start == [1, 2, 3, 4])
        pipeline.settled(started: [1, 2, 3, 4])
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [1, 2, 3, 4])
        #expect(pipeline.inFlight == 4)
        #expect(pipeline.startedOpen == 4)
    }

    @Test("started and unrecorded never exceed the concurrency, whatever order the calls end in")
    func bound() {
        var pipeline = Self.pipeline(concurrency: 4)
        var generator = SystemRandomNumberGenerator()
        var inFlight: [ClaimedDelivery] = []
        var settling: [Int64]?
        var now: Int64 = 0
        var sent = 0
        _ = pipeline.next(now: now, stopping: false)
        pipeline.claimed(Self.deliveries(200), at: 0)
        while sent < 200 {
            now += 1
            let actions = pipeline.next(now: now, stopping: false)
            for action in actions {
                switch action {
                case .send(let delivery): inFlight.append(delivery)
                case .settle(_, _, let start, _): settling = start.map(\.id)
                case .claim: pipeline.claimed([], at: now)
                }
            }
            #expect(pipeline.startedOpen <= 4)
            // Either a call ends or the settle returns, at random.
            if let start = settling, inFlight.isEmpty || Bool.random(using: &generator) {
                settling = nil
                pipeline.settled(started: start)
            } else if !inFlight.isEmpty {
                let delivery = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &generator))
                pipeline.sent(DeliveryResult(delivery: delivery, outcome: .sent, at: now), pause: nil)
                sent += 1
            }
            #expect(pipeline.startedOpen <= 4)
        }
    }

    @Test("a lease lost before the call: only what the store says is still held is sent")
    func fencing() {
        var pipeline = Self.running(Self.deliveries(4), started: [2, 4])
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [2, 4])
        #expect(pipeline.startedOpen == 2)
    }

    @Test("a failed settle: its results are recorded with the next one, its starts go back unstarted and first in line")
    func failedSettle() {
        var pipeline = Self.running(Self.deliveries(8), started: [1, 2, 3, 4])
        _ = pipeline.next(now: 2, stopping: false)
        for delivery in Self.deliveries(2) { pipeline.sent(DeliveryResult(delivery: delivery, outcome: .sent, at: 3), pause: nil) }
        let first = Self.settle(pipeline.next(now: 4, stopping: false))
        #expect(first?.results.map(\.delivery.id) == [1, 2])
        #expect(first?.start == [5, 6])
        pipeline.settled(started: nil)
        let again = Self.settle(pipeline.next(now: 5, stopping: false))
        #expect(again?.results.map(\.delivery.id) == [1, 2])
        #expect(again?.start == [5, 6])
        #expect(pipeline.startedOpen == 4, "nothing changed in the store")
    }

    @Test("a pause hands back the account's waiting and started deliveries, recorded once its calls in flight have ended")
    func pause() {
        let a = Self.deliveries(4, appid: "wxaaaaaaaaaaaaaaaa"), b = Self.deliveries(2, appid: "wxbbbbbbbbbbbbbbbb", from: 100)
        var pipeline = Self.running(a + b, started: [1, 2], concurrency: 2)
        #expect(Self.sends(pipeline.next(now: 2, stopping: false)) == [1, 2])
        let pause = AccountPause(until: 1_000_000, reason: "daily quota exhausted (45009)")
        pipeline.sent(DeliveryResult(delivery: a[0], outcome: .retry(dueAt: 1_000_000, errcode: 45009, countsAsAttempt: false), at: 3), pause: pause)
        let actions = pipeline.next(now: 4, stopping: false)
        guard case .settle(let results, let pauses, _, _)? = actions.first(where: { if case .settle = $0 { true } else { false } }) else {
            Issue.record("expected a settle")
            return
        }
        #expect(pauses.isEmpty, "a call to the account is still in flight")
        #expect(Set(results.map(\.delivery.id)) == [1, 3, 4], "the 45009 and the account's unsent deliveries")
        #expect(results.filter { $0.delivery.id != 1 }.allSatisfy { $0.outcome == .retry(dueAt: 4, errcode: nil, countsAsAttempt: false) || $0.outcome == .retry(dueAt: 3, errcode: nil, countsAsAttempt: false) })
        pipeline.settled(started: [])
        pipeline.sent(DeliveryResult(delivery: a[1], outcome: .sent, at: 5), pause: nil)
        let next = pipeline.next(now: 6, stopping: false)
        guard case .settle(_, let laterPauses, _, _)? = next.first(where: { if case .settle = $0 { true } else { false } }) else {
            Issue.record("expected a settle")
            return
        }
        #expect(laterPauses == ["wxaaaaaaaaaaaaaaaa": pause])
        // New claims of the paused account go straight back until the pause is stored.
        pipeline.claimed(Self.deliveries(1, appid: "wxaaaaaaaaaaaaaaaa", from: 50), at: 7)
        #expect(!pipeline.waiting.contains { $0.delivery.id == 50 })
    }

    @Test("stopping: no claim, waiting and started deliveries handed back, the calls in flight recorded, then drained")
    func stopping() {
        var pipeline = Self.running(Self.deliveries(10), started: [1, 2, 3, 4])
        let actions = pipeline.next(now: 2, stopping: true)
        #expect(!actions.contains(.claim(afterIdle: false)))
        #expect(Self.sends(actions).isEmpty, "started but not yet sent: handed back")
        let settle = Self.settle(actions)
        #expect(settle?.start == [], "nothing more is started")
        #expect(settle?.results.count == 10)
        #expect(settle?.results.allSatisfy { $0.outcome == .retry(dueAt: 2, errcode: nil, countsAsAttempt: false) } == true)
        pipeline.settled(started: [])
        #expect(pipeline.isDrained)
        #expect(pipeline.startedOpen == 0)
    }
}

import KefuCore
import KefuStore
import Testing

/// The ledger re-check before a send, as the pure decision both stores apply.
@Suite("Batch reservation")
struct BatchReservationTests {
    typealias Grant = GrantReservation.Grant

    @Test("each follower's soonest-closing usable grant gives one unit; strangers, leavers and used-up windows are skipped with the reason")
    func decisions() {
        let batch = BatchReservation.decide(
            openids: ["ok", "gone", "left", "empty", "unlimited"],
            subscribed: ["ok": true, "left": false, "empty": true, "unlimited": true],
            grants: ["ok": [Grant(kind: "subscribe", remaining: 3), Grant(kind: "message", remaining: 5)],
                     "left": [Grant(kind: "message", remaining: 5)],
                     "empty": [Grant(kind: "message", remaining: 0)],
                     "unlimited": [Grant(kind: "payment", remaining: nil)]],
            reserve: 0, take: 10)
        #expect(batch.reserved.map(\.index) == [0, 4])
        #expect(batch.reserved.map(\.kind) == ["subscribe", "payment"])
        #expect(batch.skipped.map(\.index) == [1, 2, 3])
        #expect(batch.skipped.map(\.reason) == [DeliveryReason.windowClosed, DeliveryReason.unsubscribed, DeliveryReason.quotaUsed])
        #expect(batch.units.map { "\($0.openid)/\($0.kind)/\($0.count)" } == ["ok/subscribe/1"])
        #expect(batch.closedWindows.isEmpty)
    }

    @Test("two deliveries to one follower in a batch see each other's units; the last unit closes the window")
    func sameFollower() {
        let batch = BatchReservation.decide(
            openids: ["o", "o", "o"], subscribed: ["o": true], grants: ["o": [Grant(kind: "message", remaining: 2)]],
            reserve: 0, take: 10)
        #expect(batch.reserved.count == 2)
        #expect(batch.skipped.map(\.reason) == [DeliveryReason.quotaUsed])
        #expect(batch.units.map(\.count) == [2])
        #expect(batch.closedWindows == ["o"])
    }

    @Test("the reserve keeps k sends of a window for human agents; `take` bounds what is reserved and leaves the rest untouched")
    func reserveAndTake() {
        let grants: [String: [Grant]] = ["a": [Grant(kind: "message", remaining: 2)], "b": [Grant(kind: "message", remaining: 5)],
                                         "c": [Grant(kind: "message", remaining: 5)]]
        let batch = BatchReservation.decide(openids: ["a", "b", "c"], subscribed: ["a": true, "b": true, "c": true],
                                            grants: grants, reserve: 2, take: 1)
        #expect(batch.skipped.map(\.index) == [0], "2 left, 2 reserved for agents")
        #expect(batch.reserved.map(\.index) == [1])
        #expect(batch.units.map(\.openid) == ["b"], "c is beyond take: untouched")
    }
}

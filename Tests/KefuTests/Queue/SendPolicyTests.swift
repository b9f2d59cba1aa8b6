import KefuCore
import KefuWorkers
import Testing

@Suite("WeChat error policy")
struct SendPolicyTests {
    static let now: Int64 = 1_800_000_000_000

    @Test("each errcode leads to the documented outcome", arguments: [
        (0, "sent"), (45015, "skipped"), (45047, "skipped"), (43004, "skipped"), (40003, "skipped"), (43019, "skipped"),
        (48002, "skipped"), (45008, "failed"), (45002, "failed"), (44004, "failed"), (40007, "failed"), (40008, "failed"),
        (47001, "failed"), (45162, "failed"), (45009, "retry"), (45011, "retry"), (48001, "retry"), (48004, "retry"), (-1, "retry"),
        (99999, "failed"),
    ])
    func outcomes(errcode: Int, expected: String) {
        let outcome = switch SendPolicy.decide(errcode: errcode, attempts: 0, now: Self.now).outcome {
        case .sent: "sent"
        case .skipped: "skipped"
        case .failed: "failed"
        case .retry: "retry"
        }
        #expect(outcome == expected)
    }

    @Test("ledger effects: 45015 closes, 45047 zeroes, 43004 unsubscribes")
    func ledgerEffects() {
        #expect(SendPolicy.decide(errcode: 45015, attempts: 0, now: Self.now).ledgerEffect == .closeWindow)
        #expect(SendPolicy.decide(errcode: 45047, attempts: 0, now: Self.now).ledgerEffect == .zeroRemaining)
        #expect(SendPolicy.decide(errcode: 43004, attempts: 0, now: Self.now).ledgerEffect == .unsubscribe)
        #expect(SendPolicy.decide(errcode: 0, attempts: 0, now: Self.now).ledgerEffect == nil)
    }

    @Test("-1 backs off exponentially, then fails")
    func busy() {
        var previous: Int64 = 0
        for attempt in 0..<(SendPolicy.maxBusyAttempts - 1) {
            guard case .retry(let due, -1, true) = SendPolicy.decide(errcode: -1, attempts: attempt, now: Self.now).outcome else {
                Issue.record("attempt \(attempt) should retry")
                return
            }
            #expect(due - Self.now > previous)
            previous = due - Self.now
        }
        #expect(SendPolicy.decide(errcode: -1, attempts: SendPolicy.maxBusyAttempts - 1, now: Self.now).outcome
                == .failed(reason: DeliveryReason.systemBusy, errcode: -1))
    }

    @Test("45009 pauses the account until the next China-time midnight; 45011 until the next minute")
    func pauses() {
        let daily = SendPolicy.decide(errcode: 45009, attempts: 0, now: Self.now).pauseAccount
        let until = try! #require(daily?.until)
        #expect((until + 8 * 3_600_000) % 86_400_000 == 0)
        #expect(until > Self.now && until - Self.now <= 86_400_000)
        let minute = SendPolicy.decide(errcode: 45011, attempts: 0, now: Self.now + 1).pauseAccount
        #expect(minute?.until == (Self.now / 60_000 + 1) * 60_000)
    }

    @Test("token and credential codes: which refresh, which stop the account until its secret is fixed")
    func credentials() {
        for code in [40001, 40014, 42001] { #expect(SendPolicy.tokenRejected(code)) }
        for code in [40125, 40013, 40164, 41004] { #expect(SendPolicy.credentialsRefused(code)) }
        for code in [0, -1, 45015, 45009] {
            #expect(!SendPolicy.tokenRejected(code))
            #expect(!SendPolicy.credentialsRefused(code))
        }
        let pause = SendPolicy.credentialsPause(errcode: 40125, now: Self.now)
        #expect(pause.reason.contains("40125") && pause.reason.contains("app_secret"))
        #expect(pause.until - Self.now >= 300 * 86_400_000)
        #expect(SendPolicy.tokenPause(errcode: 40001, now: Self.now).reason.contains("40001"))
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuTestSupport
import NIOCore
import Testing

/// Failed sign-ins: more than 10 wrong tokens from one address within a minute → 429 for that
/// address for a minute, on the API and the console, logged and counted in /metrics.
@Suite("Sign-in throttle")
struct SignInThrottleTests {
    @Test("ten wrong tokens pass as 401s; the eleventh holds the address back for a minute; another address is untouched; memory is bounded")
    func throttle() {
        let throttle = SignInThrottle()
        let start: Int64 = 1_000_000
        for attempt in 0..<10 { #expect(throttle.failed("10.0.0.1", now: start + Int64(attempt)) == .allowed) }
        #expect(throttle.check("10.0.0.1", now: start + 10) == .allowed)
        #expect(throttle.failed("10.0.0.1", now: start + 10) == .blocked(until: start + 60_010))
        #expect(throttle.check("10.0.0.1", now: start + 60_009) == .blocked(until: start + 60_010))
        #expect(throttle.check("10.0.0.2", now: start + 11) == .allowed, "per address")
        #expect(throttle.check("10.0.0.1", now: start + 60_010) == .allowed, "a minute later")
        // Failures more than a minute apart never add up to a hold.
        let slow = SignInThrottle()
        for attempt in 0..<30 { #expect(slow.failed("10.0.0.4", now: start + Int64(attempt) * 61_000) == .allowed) }

        var small = SignInThrottle.Configuration()
        small.capacity = 100
        let bounded = SignInThrottle(configuration: small)
        for n in 0..<10_000 { bounded.failed("10.1.\(n / 256).\(n % 256)", now: start) }
        #expect(bounded.tracked <= 100)
    }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    @Test("the API: after 11 wrong bearer tokens even the right one gets 429 with Retry-After and the error shape, counted in /metrics")
    func api() async throws {
        try await KefuAppHarness.run(backend: .sqlite) { app in
            for _ in 0..<11 {
                let wrong = try await app.client.execute(uri: "/api/v1/accounts", method: .get, headers: [.authorization: "Bearer guess-0123456789abcdef"])
                #expect(wrong.status == .unauthorized)
            }
            let held = try await app.api(.get, "/accounts")
            #expect(held.status == .tooManyRequests)
            #expect(Int(held.headers[.retryAfter] ?? "") ?? 0 > 0 && Int(held.headers[.retryAfter] ?? "") ?? 99 <= 60)
            #expect((Self.json(held)["error"] as? [String: Any])?["message"] as? String == "too many failed sign-ins from this address; try again in a minute")
            let none = try await app.client.execute(uri: "/api/v1/accounts", method: .get)
            #expect(none.status == .unauthorized, "no token at all is no guess: not counted, not held")
            let metrics = String(buffer: try await app.client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"kefu_signin_failures{outcome="refused",surface="api"} 11"#), "\(metrics)")
            #expect(metrics.contains(#"kefu_signin_failures{outcome="throttled",surface="api"} 1"#), "\(metrics)")
        }
    }

    @Test("the console: after 11 wrong tokens the sign-in form answers 429 with the reason, even to the right token")
    func console() async throws {
        try await ConsoleTests.run { app in
            var browser = ConsoleTests.Browser(client: app.client)
            for _ in 0..<11 { #expect(try await browser.signIn(token: "wrong-token-0123456789").status == .unauthorized) }
            let held = try await browser.signIn()
            #expect(held.status == .tooManyRequests && String(buffer: held.body).contains("登录失败次数过多"))
            #expect(held.headers[.retryAfter] != nil && browser.cookies["kefu_session"] == nil)
            let link = try await browser.get("/console/sign-in/link?code=\(String(repeating: "a", count: 64))")
            #expect(link.status == .tooManyRequests, "links are held back too")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing

@Suite("Rules API")
struct RulesAPITests {
    static let account = TestAccounts.plain(1)

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    static func body(_ overrides: String = "") -> String {
        #"{"name": "welcome", "appid": "\#(account.appid)", "trigger": {"kind": "subscribe"}, "delay_seconds": 600, "message": {"msgtype": "text", "text": {"content": "hi"}}\#(overrides)}"#
    }

    static func run(_ backend: StoreBackend = .sqlite, _ body: @escaping @Sendable (KefuAppHarness.Context) async throws -> Void) async throws {
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0; $0.windowPolicy = .wechatDefault }, accounts: [account], body)
    }

    @Test("invalid rules are refused with 422 naming the field, and nothing is stored", arguments: [
        (#", "trigger": {"kind": "wave"}"#, "trigger.kind"),
        (#", "trigger": {"kind": "any", "key": "x"}"#, "trigger.key"),
        (#", "trigger": "subscribe""#, "trigger"),
        (#", "delay_seconds": -1"#, "delay_seconds"),
        (#", "delay_seconds": true"#, "delay_seconds"),
        (#", "delay_seconds": 99999999"#, "delay_seconds"),
        (#", "cooldown_seconds": "soon""#, "cooldown_seconds"),
        (#", "enabled": "yes""#, "enabled"),
        (#", "appid": "wx0000000000000bad""#, "appid"),
        (#", "message": {"msgtype": "news", "news": {"articles": []}}"#, "message.news.articles"),
        (#", "name": """#, "name"),
    ])
    func validation(override: String, field: String) async throws {
        try await Self.run { app in
            // Later keys win in the JSON object, so each override replaces a valid field.
            let response = try await app.api(.post, "/rules", Self.body(override))
            #expect(response.status == .unprocessableContent)
            let message = (Self.json(response)["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix(field), "\(message)")
            #expect(try await app.store.rules(appid: nil).isEmpty)
        }
    }

    @Test("create warns when the policy makes the rule unreachable for some followers; get, list, patch, delete", arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let created = try await app.api(.post, "/rules", Self.body())
            #expect(created.status == .created)
            let rule = Self.json(created)
            let id = try #require(rule["id"] as? Int)
            let warnings = rule["warnings"] as? [String] ?? []
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("a subscribe opens a 1 min window") == true, "\(warnings)")
            #expect((Self.json(try await app.api(.get, "/rules?appid=\(Self.account.appid)"))["rules"] as? [Any])?.count == 1)
            let patched = Self.json(try await app.api(.patch, "/rules/\(id)", #"{"delay_seconds": 30, "once_per_follower": true}"#))
            #expect(patched["delay_seconds"] as? Int == 30)
            #expect(patched["once_per_follower"] as? Bool == true)
            #expect((patched["warnings"] as? [String])?.isEmpty == true, "30 s after a follow is inside its minute")
            #expect(try await app.api(.patch, "/rules/\(id)", #"{"delay_seconds": "x"}"#).status == .unprocessableContent)
            #expect(try await app.api(.get, "/rules/\(id)/deliveries").status == .ok)
            #expect(try await app.api(.delete, "/rules/\(id)").status == .noContent)
            #expect(try await app.api(.get, "/rules/\(id)").status == .notFound)
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing

@Suite("Admin API")
struct AdminAPITests {
    static let create = #"{"appid": "wx00000000000000a1", "app_secret": "s3cr3t-s3cr3t-s3cr3t-s3cr3t-0001", "token": "tokenTOKEN42", "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "name": "Shop", "original_id": "gh_abcdef123456"}"#

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    @Test("the admin API needs the bearer token", arguments: StoreBackend.allCases)
    func auth(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend) { app in
            let none = try await app.client.execute(uri: "/api/v1/accounts", method: .get)
            #expect(none.status == .unauthorized)
            let wrong = try await app.client.execute(uri: "/api/v1/accounts", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            #expect(Self.json(wrong)["error"] != nil)
            #expect(try await app.api(.get, "/accounts").status == .ok)
            // Operations endpoints are open.
            #expect(try await app.client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await app.client.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }

    @Test("accounts: create, read, update, delete — secrets never come back", arguments: StoreBackend.allCases)
    func crud(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend) { app in
            let created = try await app.api(.post, "/accounts", Self.create)
            #expect(created.status == .created)
            let body = String(buffer: created.body)
            for secret in ["s3cr3t", "tokenTOKEN42", "abcdefghijklmnop"] { #expect(!body.contains(secret)) }
            #expect(Self.json(created)["encryption"] as? String == "aes")
            #expect(Self.json(created)["send_rate"] as? Int == Account.defaultSendRate)
            #expect(try await app.api(.post, "/accounts", Self.create).status == .conflict)
            let listed = try await app.api(.get, "/accounts")
            #expect((Self.json(listed)["accounts"] as? [Any])?.count == 1)
            #expect(!String(buffer: listed.body).contains("s3cr3t"))
            let patched = try await app.api(.patch, "/accounts/wx00000000000000a1", #"{"send_rate": 80, "reserve": 1, "name": "Shop 2"}"#)
            #expect(patched.status == .ok)
            #expect(Self.json(patched)["send_rate"] as? Int == 80)
            #expect(try await app.store.account(appid: "wx00000000000000a1")?.reserve == 1)
            #expect(try await app.api(.get, "/accounts/wx00000000000000a1").status == .ok)
            #expect(try await app.api(.delete, "/accounts/wx00000000000000a1").status == .noContent)
            #expect(try await app.api(.get, "/accounts/wx00000000000000a1").status == .notFound)
            #expect(try await app.api(.delete, "/accounts/wx00000000000000a1").status == .notFound)
        }
    }

    @Test("invalid accounts are refused with 422 naming the field, and nothing is stored", arguments: [
        (#"{"appid": "wx123", "app_secret": "0123456789abcdef0123", "token": "abc"}"#, "appid"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "short", "token": "abc"}"#, "app_secret"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "0123456789abcdef0123", "token": "a b"}"#, "token"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "0123456789abcdef0123", "token": "abc", "encoding_aes_key": "tooshort"}"#, "encoding_aes_key"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "0123456789abcdef0123", "token": "abc", "send_rate": 0}"#, "send_rate"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "0123456789abcdef0123", "token": "abc", "reserve": -1}"#, "reserve"),
        (#"{"appid": "wx00000000000000a1", "app_secret": "0123456789abcdef0123", "token": "abc", "original_id": "nope"}"#, "original_id"),
        (#"{"appid": "wx00000000000000a1", "token": "abc"}"#, "app_secret"),
        (#"{"appid": "wx00000000000000a1", "app_secret": 12, "token": "abc"}"#, "app_secret"),
    ])
    func validation(body: String, field: String) async throws {
        try await KefuAppHarness.run(backend: .sqlite) { app in
            let response = try await app.api(.post, "/accounts", body)
            #expect(response.status == .unprocessableContent)
            let message = (Self.json(response)["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix(field), "\(message)")
            #expect(try await app.store.accounts().isEmpty)
        }
    }

    @Test("a body that is not JSON is a 400", arguments: StoreBackend.allCases)
    func notJSON(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend) { app in
            let response = try await app.api(.post, "/accounts", "{nope")
            #expect(response.status == .badRequest)
        }
    }

    @Test("audience endpoint: count, closing-soonest order, cursor pages", arguments: StoreBackend.allCases)
    func audience(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [TestAccounts.plain(1)]) { app in
            let now = SystemWallClock().nowMillis()
            let items = (0..<25).map { index in
                Interaction(appid: TestAccounts.appid(1), openid: "o\(index)", kind: .message, detail: "text",
                            at: now - Int64(index) * 1000, dedupeKey: "m:\(index)")
            }
            _ = try await app.store.record(items, policy: testPolicy, now: now)
            var cursor: String? = nil
            var openids: [String] = []
            repeat {
                let path = "/accounts/\(TestAccounts.appid(1))/audience?limit=10" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = Self.json(try await app.api(.get, path))
                #expect(page["count"] as? Int == 25)
                let users = page["users"] as? [[String: Any]] ?? []
                openids += users.compactMap { $0["openid"] as? String }
                #expect(users.first?["remaining"] as? Int == 5)
                #expect(users.first?["window_closes_at"] is String)
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(openids == (0..<25).reversed().map { "o\($0)" })
            #expect(try await app.api(.get, "/accounts/\(TestAccounts.appid(1))/audience?limit=0").status == .unprocessableContent)
            #expect(try await app.api(.get, "/accounts/\(TestAccounts.appid(1))/audience?cursor=zzz").status == .unprocessableContent)
            #expect(try await app.api(.get, "/accounts/wx0000000000000bad/audience").status == .notFound)
        }
    }

    @Test("follower endpoint: grants, subscription and recent interactions; 404 for strangers", arguments: StoreBackend.allCases)
    func follower(backend: StoreBackend) async throws {
        let account = TestAccounts.plain(1)
        try await KefuAppHarness.run(backend: backend, accounts: [account]) { app in
            let (q, b) = SignedRequest.plain(SignedRequest.eventXML(account: account, openid: "oF", event: "CLICK", key: "MENU_9",
                                                                   createTime: Int64(Date().timeIntervalSince1970)), account: account)
            #expect(try await app.callback(.post, appid: account.appid, query: q, body: b).status == .ok)
            let ledger = Self.json(try await app.api(.get, "/accounts/\(account.appid)/followers/oF"))
            #expect(ledger["subscribed"] as? Bool == true)
            let grants = ledger["grants"] as? [[String: Any]] ?? []
            #expect(grants.first?["kind"] as? String == "click")
            #expect(grants.first?["remaining"] as? Int == 3)
            let recent = ledger["recent_interactions"] as? [[String: Any]] ?? []
            #expect(recent.first?["key"] as? String == "MENU_9")
            #expect(try await app.api(.get, "/accounts/\(account.appid)/followers/oStranger").status == .notFound)
        }
    }

    @Test("bulk import opens windows, is idempotent, and rejects a bad row without storing any", arguments: StoreBackend.allCases)
    func bulkImport(backend: StoreBackend) async throws {
        let account = TestAccounts.plain(1)
        try await KefuAppHarness.run(backend: backend, accounts: [account]) { app in
            let recent = RFC3339.format(millis: SystemWallClock().nowMillis() - 60_000)
            let old = RFC3339.format(millis: SystemWallClock().nowMillis() - 86_400_000)
            let body = #"{"interactions": [{"openid": "oI1", "kind": "message", "at": "\#(recent)"}, {"openid": "oI2", "kind": "message", "at": "\#(old)"}, {"openid": "oI3", "kind": "subscribe", "at": "2020-01-01T00:00:00+08:00"}]}"#
            let first = Self.json(try await app.api(.post, "/accounts/\(account.appid)/interactions", body))
            #expect(first["imported"] as? Int == 3)
            let again = Self.json(try await app.api(.post, "/accounts/\(account.appid)/interactions", body))
            #expect(again["imported"] as? Int == 0)
            #expect(again["duplicates"] as? Int == 3)
            let audience = Self.json(try await app.api(.get, "/accounts/\(account.appid)/audience"))
            #expect(audience["count"] as? Int == 1)
            let bad = #"{"interactions": [{"openid": "oI9", "kind": "message", "at": "\#(recent)"}, {"openid": "oI8", "kind": "wave", "at": "\#(recent)"}]}"#
            let refused = try await app.api(.post, "/accounts/\(account.appid)/interactions", bad)
            #expect(refused.status == .unprocessableContent)
            #expect(String(buffer: refused.body).contains("interactions[1].kind"))
            #expect(try await app.api(.get, "/accounts/\(account.appid)/followers/oI9").status == .notFound)
            let badTime = #"{"interactions": [{"openid": "oI9", "kind": "message", "at": "yesterday"}]}"#
            #expect(try await app.api(.post, "/accounts/\(account.appid)/interactions", badTime).status == .unprocessableContent)
        }
    }

    @Test("configuration: no admin token on a public address refuses to start; bad values are named")
    func configuration() throws {
        var configuration = KefuConfiguration()
        configuration.host = "0.0.0.0"
        #expect(throws: KefuError.self) { try configuration.validate() }
        configuration.adminToken = "a-long-enough-admin-token"
        try configuration.validate()
        configuration.port = 70000
        #expect(throws: KefuError.self) { try configuration.validate() }
    }

    @Test("window policy files: the documented format parses; mistakes are named", arguments: [
        (#"{"grants": [{"on": "message", "sends": 5, "seconds": 172800}, {"on": "subscribe", "sends": null, "seconds": 60}]}"#, nil as String?),
        (#"{"grants": [{"on": "wave", "sends": 5, "seconds": 10}]}"#, "grants[0].on"),
        (#"{"grants": [{"on": "message", "sends": 0, "seconds": 10}]}"#, "grants[0].sends"),
        (#"{"grants": [{"on": "message", "sends": 1, "seconds": 0}]}"#, "grants[0].seconds"),
        (#"{"grants": [{"on": "message", "sends": 1, "seconds": 5}, {"on": "message", "sends": 1, "seconds": 5}]}"#, "grants[1].on"),
        (#"{"grants": [{"on": "unsubscribe", "sends": 1, "seconds": 5}]}"#, "grants[0].on"),
        (#"{"rules": []}"#, "window policy"),
    ])
    func policyFiles(json: String, error: String?) throws {
        if let error {
            #expect { try WindowPolicy.parse(json: Data(json.utf8)) } throws: { ($0 as? KefuError)?.message.hasPrefix(error) == true }
        } else {
            let policy = try WindowPolicy.parse(json: Data(json.utf8))
            #expect(policy.grant(for: .subscribe)?.sends == nil)
            #expect(policy.grant(for: .click) == nil)
        }
    }
}

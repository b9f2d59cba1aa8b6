import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing

@Suite("Callback endpoint")
struct CallbackEndpointTests {
    static let doc = TestAccounts.docExample
    static let plain = TestAccounts.plain(1)

    @Test("URL verification answers echostr for WeChat's worked example, 401 otherwise", arguments: StoreBackend.allCases)
    func urlVerification(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [Self.doc]) { app in
            let good = try await app.callback(.get, appid: Self.doc.appid,
                query: "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249")
            #expect(good.status == .ok)
            #expect(String(buffer: good.body) == "4375120948345356249")
            let bad = try await app.callback(.get, appid: Self.doc.appid,
                query: "signature=f464b24fc39322e44b38aa78f5edd27bd1441697&timestamp=1714036504&nonce=1514711492&echostr=1")
            #expect(bad.status == .unauthorized)
            let unknown = try await app.callback(.get, appid: "wx0000000000000fff", query: "signature=x&timestamp=1&nonce=1&echostr=1")
            #expect(unknown.status == .notFound)
        }
    }

    @Test("safe mode: WeChat's worked example is recorded", arguments: StoreBackend.allCases)
    func safeModeWorkedExample(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [Self.doc]) { app in
            let file = try Fixtures.json("vectors/03_official_message_push_doc_AAAAA_json.json")
            let safe = file["safe_mode_post"] as! [String: Any]
            let query = (safe["query"] as! [String: String]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
                .replacingOccurrences(of: "+", with: "%2B")
            let body = safe["body_json"] as! [String: String]
            let xml = "<xml><ToUserName><![CDATA[\(body["ToUserName"]!)]]></ToUserName><Encrypt><![CDATA[\(body["Encrypt"]!)]]></Encrypt></xml>"
            let response = try await app.callback(.post, appid: Self.doc.appid, query: query, body: xml)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "success")
            #expect(try await app.interactions(Self.doc.appid, "o9AgO5Kd5ggOC-bXrbNODIiE3bGY") == 1)
        }
    }

    @Test("plain, compatible and safe pushes are each recorded once and open the window", arguments: StoreBackend.allCases)
    func threeModes(backend: StoreBackend) async throws {
        let aes = TestAccounts.aes(2)
        try await KefuAppHarness.run(backend: backend, accounts: [Self.plain, aes]) { app in
            let now = Int64(Date().timeIntervalSince1970)
            let (q1, b1) = SignedRequest.plain(SignedRequest.textXML(account: Self.plain, openid: "oPlain", msgId: 1, createTime: now), account: Self.plain)
            #expect(try await app.callback(.post, appid: Self.plain.appid, query: q1, body: b1).status == .ok)
            let (q2, b2) = SignedRequest.encrypted(SignedRequest.textXML(account: aes, openid: "oCompat", msgId: 2, createTime: now), account: aes, compatible: true)
            #expect(try await app.callback(.post, appid: aes.appid, query: q2, body: b2).status == .ok)
            let (q3, b3) = SignedRequest.encrypted(SignedRequest.eventXML(account: aes, openid: "oSafe", event: "subscribe", key: "qrscene_7", createTime: now), account: aes)
            #expect(try await app.callback(.post, appid: aes.appid, query: q3, body: b3).status == .ok)
            #expect(try await app.interactions(Self.plain.appid, "oPlain") == 1)
            let audience = try await app.store.audience(appid: aes.appid, now: now * 1000, limit: 10, after: nil)
            #expect(Set(audience.users.map(\.openid)) == ["oCompat", "oSafe"])
            let safe = try await app.store.follower(appid: aes.appid, openid: "oSafe", now: now * 1000, recent: 5)
            #expect(safe?.recentInteractions.first?.key == "7")
        }
    }

    @Test("a push WeChat retries is recorded once (MsgId for messages, sender+time+event for events)", arguments: StoreBackend.allCases)
    func retries(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [Self.plain]) { app in
            let (q1, b1) = SignedRequest.plain(SignedRequest.textXML(account: Self.plain, openid: "oA", msgId: 77), account: Self.plain)
            let (q2, b2) = SignedRequest.plain(SignedRequest.eventXML(account: Self.plain, openid: "oA", event: "CLICK", key: "K"), account: Self.plain)
            for _ in 0..<3 {
                let first = try await app.callback(.post, appid: Self.plain.appid, query: q1, body: b1)
                let second = try await app.callback(.post, appid: Self.plain.appid, query: q2, body: b2)
                #expect(first.status == .ok)
                #expect(second.status == .ok)
            }
            #expect(try await app.interactions(Self.plain.appid, "oA") == 2)
        }
    }

    @Test("the previous EncodingAESKey is accepted during a rotation", arguments: StoreBackend.allCases)
    func keyRotation(backend: StoreBackend) async throws {
        let aes = TestAccounts.aes(2)
        try await KefuAppHarness.run(backend: backend, accounts: [aes]) { app in
            let newKey = String(repeating: "Z", count: 42) + "0"
            let patched = try await app.api(.patch, "/accounts/\(aes.appid)", #"{"encoding_aes_key": "\#(newKey)"}"#)
            #expect(patched.status == .ok)
            let (q1, b1) = SignedRequest.encrypted(SignedRequest.textXML(account: aes, openid: "oOld", msgId: 1), account: aes)
            #expect(try await app.callback(.post, appid: aes.appid, query: q1, body: b1).status == .ok)
            let (q2, b2) = SignedRequest.encrypted(SignedRequest.textXML(account: aes, openid: "oNew", msgId: 2), account: aes, key: newKey)
            #expect(try await app.callback(.post, appid: aes.appid, query: q2, body: b2).status == .ok)
            let (q3, b3) = SignedRequest.encrypted(SignedRequest.textXML(account: aes, openid: "oBad", msgId: 3), account: aes, key: String(repeating: "Q", count: 43))
            #expect(try await app.callback(.post, appid: aes.appid, query: q3, body: b3).status == .badRequest)
            #expect(try await app.interactions(aes.appid, "oOld") == 1)
            #expect(try await app.interactions(aes.appid, "oNew") == 1)
            #expect(try await app.interactions(aes.appid, "oBad") == 0)
        }
    }

    @Test("bad input is rejected with the right status and nothing is recorded", arguments: StoreBackend.allCases)
    func rejections(backend: StoreBackend) async throws {
        let aes = TestAccounts.aes(2)
        try await KefuAppHarness.run(backend: backend, configure: { $0.callbackBodyLimit = 4096 }, accounts: [Self.plain, aes]) { app in
            let xml = SignedRequest.textXML(account: Self.plain, openid: "oX", msgId: 5)
            let (query, _) = SignedRequest.plain(xml, account: Self.plain)
            var cases: [(String, String, String, HTTPResponse.Status)] = [
                ("bad signature", Self.plain.appid, SignedRequest.query(token: "wrongtoken"), .unauthorized),
                ("no signature", Self.plain.appid, "timestamp=1&nonce=2", .unauthorized),
                ("unknown appid", "wx0000000000000abc", query, .notFound),
            ]
            for (name, appid, q, status) in cases {
                let response = try await app.callback(.post, appid: appid, query: q, body: xml)
                #expect(response.status == status, "\(name)")
            }
            cases = []
            let bodies: [(String, String, HTTPResponse.Status)] = [
                ("malformed XML", "<xml><ToUserName>", .badRequest),
                ("DOCTYPE", "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><FromUserName>&e;</FromUserName></xml>", .badRequest),
                ("missing fields", "<xml><ToUserName>gh_000000000001</ToUserName></xml>", .badRequest),
                ("oversized", "<xml>" + String(repeating: "a", count: 5000) + "</xml>", .contentTooLarge),
                ("wrong ToUserName", SignedRequest.textXML(account: TestAccounts.plain(3), openid: "oX", msgId: 6), .badRequest),
            ]
            for (name, body, status) in bodies {
                let response = try await app.callback(.post, appid: Self.plain.appid, query: query, body: body)
                #expect(response.status == status, "\(name)")
            }
            // AES: tampered ciphertext fails its msg_signature; another appid's ciphertext is refused.
            let (q1, b1) = SignedRequest.encrypted(xml, account: aes)
            let tampered = b1.replacingOccurrences(of: "<Encrypt><![CDATA[", with: "<Encrypt><![CDATA[AAAA")
            #expect(try await app.callback(.post, appid: aes.appid, query: q1, body: tampered).status == .unauthorized)
            let (q2, b2) = SignedRequest.encrypted(xml, account: aes, appid: "wx9999999999999999")
            #expect(try await app.callback(.post, appid: aes.appid, query: q2, body: b2).status == .unauthorized)
            let (q3, _) = SignedRequest.encrypted(xml, account: aes)
            #expect(try await app.callback(.post, appid: aes.appid, query: q3, body: "<xml><ToUserName>x</ToUserName></xml>").status == .badRequest)
            #expect(try await app.interactions(Self.plain.appid, "oX") == 0)
            #expect(try await app.interactions(aes.appid, "oX") == 0)
            #expect(try await app.store.audience(appid: Self.plain.appid, now: 0, limit: 10, after: nil).count == 0)
        }
    }

    @Test("with the database unreachable, a bad signature is still 401 and an unknown appid 404; a good push is 503")
    func storeDown() async throws {
        // The product's answer deadline (4 s), not the suites' long one: the push that needs the
        // store is answered 503 by it. (The store is set up with the suites' connection timeout:
        // with every suite running at once, setting up has waited over 3 s for a connection.)
        try await KefuAppHarness.run(backend: .postgres, configure: { $0.workers = 0; $0.answerPushWithinMillis = 4_000 },
                                     accounts: [Self.plain]) { app in
            // The store's connections are gone: a push that needs one is answered 503 at its deadline.
            try await app.store.close()
            let xml = SignedRequest.textXML(account: Self.plain, openid: "oDown", msgId: 77)
            #expect(try await app.callback(.post, appid: Self.plain.appid, query: SignedRequest.query(token: "wrongtoken"), body: xml).status == .unauthorized)
            #expect(try await app.callback(.post, appid: Self.plain.appid, query: "timestamp=1&nonce=2", body: xml).status == .unauthorized)
            #expect(try await app.callback(.get, appid: Self.plain.appid, query: SignedRequest.query(token: "wrongtoken") + "&echostr=x").status == .unauthorized)
            let (query, body) = SignedRequest.plain(xml, account: Self.plain)
            #expect(try await app.callback(.get, appid: Self.plain.appid, query: query + "&echostr=hello").status == .ok)
            #expect(try await app.callback(.post, appid: "wx0000000000000abc", query: query, body: body).status == .notFound)
            #expect(try await app.callback(.post, appid: Self.plain.appid, query: query, body: body).status == .serviceUnavailable)
        }
    }

    @Test("an unknown MsgType or Event is accepted (200) and recorded as other", arguments: StoreBackend.allCases)
    func unknownKinds(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [Self.plain]) { app in
            let (q, b) = SignedRequest.plain(SignedRequest.eventXML(account: Self.plain, openid: "oU", event: "brand_new_event"), account: Self.plain)
            #expect(try await app.callback(.post, appid: Self.plain.appid, query: q, body: b).status == .ok)
            let ledger = try await app.store.follower(appid: Self.plain.appid, openid: "oU", now: 0, recent: 1)
            #expect(ledger?.recentInteractions.first?.kind == .other)
            #expect(ledger?.recentInteractions.first?.detail == "brand_new_event")
        }
    }

    @Test("concurrent callbacks share transactions, and each is acknowledged after its commit", arguments: StoreBackend.allCases)
    func groupCommit(backend: StoreBackend) async throws {
        try await KefuAppHarness.run(backend: backend, accounts: [Self.plain]) { app in
            let now = Int64(Date().timeIntervalSince1970)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        let (q, b) = SignedRequest.plain(SignedRequest.textXML(account: Self.plain, openid: "o\(index)", msgId: Int64(1000 + index), createTime: now), account: Self.plain)
                        // Separate connections (AsyncHTTPClient's pool), so the requests really overlap.
                        // 300 requests share the pool's few connections, each waiting for a commit
                        // (an fsync): with every other suite running beside this one, the last
                        // have waited over 30 s for a connection. The deadline only stops a hang.
                        let response = try await TestHTTP.post("http://127.0.0.1:\(app.client.port!)/wechat/\(Self.plain.appid)?\(q)", b,
                                                               headers: [("Content-Type", "text/xml")], timeout: .seconds(180))
                        #expect(response.status == 200)
                        // Acknowledged means committed: visible to a read straight away.
                        #expect(try await app.interactions(Self.plain.appid, "o\(index)") == 1)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await app.store.audience(appid: Self.plain.appid, now: now * 1000, limit: 1, after: nil).count == 300)
            let metrics = String(decoding: app.metrics.render(), as: UTF8.self)
            let count = metrics.split(separator: "\n").first { $0.hasPrefix("kefu_commit_batch_size_count") }
            let transactions = Int(Double(count?.split(separator: " ").last ?? "0") ?? 0)
            #expect(transactions >= 1 && transactions < 300, "300 concurrent callbacks took \(transactions) transactions")
        }
    }
}

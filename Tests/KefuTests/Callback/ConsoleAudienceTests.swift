import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing

/// The account page's charts, editing an account and rotating its key, the audience and a
/// follower's "why" page, over live HTTP.
@Suite("Console accounts and audience")
struct ConsoleAudienceTests {
    typealias Browser = ConsoleTests.Browser
    static let hour: Int64 = 3_600_000

    static func html(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test("the account page's charts: windows closing per hour over the next 48 h and pushes per hour over the last 48 h, by aggregate queries",
          arguments: StoreBackend.allCases)
    func charts(backend: StoreBackend) async throws {
        let appid = ConsoleTests.account.appid
        try await ConsoleTests.run(backend, configure: { $0.windowPolicy = .wechatDefault }) { app in
            let now = SystemWallClock().nowMillis()
            // 3 messages received 10 h ago (windows close in 38 h), 2 a minute ago (close in 47 h 59 min).
            let old = (0..<3).map { Interaction(appid: appid, openid: "oOld\($0)", kind: .message, detail: "text", at: now - 10 * Self.hour, dedupeKey: "o\($0)") }
            _ = try await app.store.record(old, policy: .wechatDefault, now: now - 10 * Self.hour + 1000)
            let fresh = (0..<2).map { Interaction(appid: appid, openid: "oNew\($0)", kind: .message, detail: "text", at: now - 60_000, dedupeKey: "n\($0)") }
            _ = try await app.store.record(fresh, policy: .wechatDefault, now: now - 60_000)
            let activity = try await app.store.accountActivity(appid: appid, now: now)
            #expect(activity.closingPerHour.count == 48 && activity.pushesPerHour.count == 48)
            #expect(activity.closingPerHour[38] == 3 && activity.closingPerHour[47] == 2 && activity.closingPerHour.reduce(0, +) == 5)
            #expect(activity.pushesPerHour[38] == 3 && activity.pushesPerHour[47] == 2 && activity.pushesPerHour.reduce(0, +) == 5)

            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let page = Self.html(try await browser.get("/console/accounts/\(appid)"))
            #expect(page.components(separatedBy: "<svg class=\"chart\"").count == 3, "two charts")
            #expect(page.components(separatedBy: "<rect ").count == 97, "48 bars each")
            #expect(page.contains(": 3</title>") && page.contains(": 2</title>"))
            #expect(!page.contains("style="), "no inline style: the CSP allows none")
        }
    }

    @Test("editing an account: blank secrets stay, bad numbers are 422 and change nothing, no CSRF token is 403; rotating the AES key keeps the old one working",
          arguments: StoreBackend.allCases)
    func editAndRotate(backend: StoreBackend) async throws {
        let safe = TestAccounts.aes(2)
        try await ConsoleTests.run(backend, accounts: [ConsoleTests.account, safe]) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let path = "/console/accounts/\(safe.appid)/edit"
            let csrf = Browser.csrf(try await browser.get(path)) ?? ""
            let hostile = "<img src=x onerror=alert(1)>"
            #expect(try await browser.post(path, [("name", hostile)]).status == .forbidden)
            let bad = try await browser.post(path, [("_csrf", csrf), ("name", hostile), ("send_rate", "abc")])
            #expect(bad.status == .unprocessableContent && Self.html(bad).contains("send_rate: must be a whole number"))
            #expect(Self.html(bad).contains("&lt;img src=x") && !Self.html(bad).contains("<img src=x"), "what was typed, escaped")
            #expect(try await app.store.account(appid: safe.appid) == safe, "nothing changed")
            let saved = try await browser.post(path, [("_csrf", csrf), ("name", hostile), ("send_rate", "200"), ("app_secret", ""), ("token", "")])
            #expect(saved.status == .seeOther)
            let changed = try #require(try await app.store.account(appid: safe.appid))
            #expect(changed.name == hostile && changed.sendRate == 200 && changed.appSecret == safe.appSecret && changed.token == safe.token)
            #expect(!Self.html(try await browser.get(path)).contains(safe.appSecret), "secrets are never put in a page")

            // Rotating: a new key shown once, the old one kept as the previous key.
            let rotate = "/console/accounts/\(safe.appid)/rotate-aes"
            #expect(try await browser.post(rotate, []).status == .forbidden)
            let rotated = try await browser.post(rotate, [("_csrf", csrf)])
            #expect(rotated.status == .ok)
            let after = try #require(try await app.store.account(appid: safe.appid))
            let key = try #require(after.encodingAESKey)
            #expect(key.count == 43 && key != safe.encodingAESKey && after.previousEncodingAESKey == safe.encodingAESKey)
            #expect(Self.html(rotated).contains(key))
            let account = Self.html(try await browser.get("/console/accounts/\(safe.appid)"))
            #expect(!account.contains(key) && account.contains("密钥更换中"))
            // A plain-mode account has no key to rotate.
            let plain = try await browser.post("/console/accounts/\(ConsoleTests.account.appid)/rotate-aes", [("_csrf", csrf)])
            #expect(plain.status == .conflict && Self.html(plain).contains("明文模式"))
            #expect(try await app.store.account(appid: ConsoleTests.account.appid)?.encodingAESKey == nil)
        }
    }

    @Test("the audience 50 at a time, and a follower's page: grants, interactions, deliveries with their reasons; unknown and hostile openids",
          arguments: StoreBackend.allCases)
    func audience(backend: StoreBackend) async throws {
        let appid = ConsoleTests.account.appid
        try await ConsoleTests.run(backend) { app in
            let now = SystemWallClock().nowMillis()
            let items = (0..<60).map { Interaction(appid: appid, openid: "oAud\(String(format: "%02d", $0))", kind: .message, detail: "text",
                                                   at: now - Int64($0) * 1000, dedupeKey: "a\($0)") }
            _ = try await app.store.record(items, policy: testPolicy, now: now)
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let first = Self.html(try await browser.get("/console/accounts/\(appid)/audience"))
            #expect(first.contains("<strong>60</strong>") && first.components(separatedBy: "/followers/oAud").count == 51)
            #expect(first.contains("/followers/oAud59"), "closing soonest first")
            let next = try #require(first.range(of: "href=\"?after=").map { String(first[$0.upperBound...].prefix { $0 != "\"" }) })
            let second = Self.html(try await browser.get("/console/accounts/\(appid)/audience?after=\(next)"))
            #expect(second.components(separatedBy: "/followers/oAud").count == 11 && !second.contains("?after="))

            // Why did oAud00 get (or not get) a message: a test send is in the log with its task.
            let task = try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "text", "text": {"content": "hi"}}}"#)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(Self.html(task).utf8)) as? [String: Any])?["id"] as? Int)
            _ = try await app.api(.post, "/tasks/\(id)/test", #"{"openids": ["oAud00"]}"#)
            let follower = Self.html(try await browser.get("/console/accounts/\(appid)/followers/oAud00"))
            #expect(follower.contains("现在开启的窗口") && follower.contains("发送消息"))
            #expect(follower.contains("/console/tasks/\(id)") && follower.contains("待发送"))

            let lookup = try await browser.get("/console/accounts/\(appid)/audience?openid=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(lookup.status == .seeOther)
            let location = try #require(lookup.headers[.location])
            #expect(!location.contains("<"))
            let unknown = try await browser.get(location)
            #expect(unknown.status == .notFound && Self.html(unknown).contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!Self.html(unknown).contains("<script>alert"))
            #expect(try await browser.get("/console/accounts/\(appid)/audience?after=garbage").status == .ok, "a bad cursor is the first page")
        }
    }
}

extension ConsoleAudienceTests {
    @Test("a one-time sign-in link signs in once: used, expired or made-up links are 401 and start no session", arguments: StoreBackend.allCases)
    func signInLink(backend: StoreBackend) async throws {
        try await ConsoleTests.run(backend) { app in
            let now = SystemWallClock().nowMillis()
            let code = try await ConsoleLinks.create(store: app.store, now: now, lifetimeMillis: 60_000)
            #expect(ConsoleLinks.path(code).hasPrefix("/console/sign-in/link?code=") && code.count == 64)
            var browser = Browser(client: app.client)
            let first = try await browser.get(ConsoleLinks.path(code))
            #expect(first.status == .seeOther && first.headers[.location] == "/console/")
            #expect(browser.cookies["kefu_session"] != nil)
            #expect(try await browser.get("/console/").status == .ok, "signed in")

            var second = Browser(client: app.client)
            let again = try await second.get(ConsoleLinks.path(code))
            #expect(again.status == .unauthorized && Self.html(again).contains("每个链接只能使用一次"))
            #expect(second.cookies["kefu_session"] == nil)
            let expired = try await ConsoleLinks.create(store: app.store, now: now - 120_000, lifetimeMillis: 60_000)
            #expect(try await second.get(ConsoleLinks.path(expired)).status == .unauthorized)
            for bad in ["", "abc", String(repeating: "0", count: 64), "%3Cscript%3E"] {
                let response = try await second.get("/console/sign-in/link?code=\(bad)")
                #expect(response.status == .unauthorized && !Self.html(response).contains("<script>"), "\(bad)")
            }
            #expect(second.cookies["kefu_session"] == nil)
            #expect(try await app.store.consumeConsoleLink(codeHash: ConsoleController<BasicRequestContext>.sha256(code), now: now) == nil)
        }
    }
}

extension ConsoleAudienceTests {
    /// The form controls of a page that no label names: neither `<label for=id>`, nor inside a
    /// `<label>`, nor `aria-label`.
    static func unlabelled(_ html: String) -> [String] {
        let controls = try! NSRegularExpression(pattern: #"<(input|select|textarea)\b[^>]*>"#)
        let range = NSRange(html.startIndex..., in: html)
        return controls.matches(in: html, range: range).compactMap { match in
            let tag = String(html[Range(match.range, in: html)!])
            if tag.contains(#"type="hidden""#) || tag.contains("aria-label=") { return nil }
            if let id = tag.firstMatch(of: /id="([^"]+)"/)?.1, html.contains(#"<label for="\#(id)""#) { return nil }
            // Inside a label: the nearest "<label" before it is not closed before it.
            let before = html[..<Range(match.range, in: html)!.lowerBound]
            if let open = before.range(of: "<label", options: .backwards), !before[open.upperBound...].contains("</label>") { return nil }
            return tag
        }
    }

    @Test("every input, select and textarea on every page has a label")
    func labels() async throws {
        // The check itself: an input with no label is found; one named or wrapped by a label is not.
        #expect(Self.unlabelled(#"<input name="x"><label for="y">Y</label><input id="y"><label><input type="checkbox"> z</label>"#)
                == [#"<input name="x">"#])
        let appid = ConsoleTests.account.appid
        try await ConsoleTests.run { app in
            let now = SystemWallClock().nowMillis()
            _ = try await app.store.record([Interaction(appid: appid, openid: "oLabel", kind: .message, detail: "text", at: now, dedupeKey: "l")],
                                           policy: testPolicy, now: now)
            let task = try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "text", "text": {"content": "hi"}}}"#)
            let taskId = try #require((try JSONSerialization.jsonObject(with: Data(Self.html(task).utf8)) as? [String: Any])?["id"] as? Int)
            let rule = try await app.api(.post, "/rules", #"{"name": "r", "appid": "\#(appid)", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": {"msgtype": "text", "text": {"content": "hi"}}}"#)
            let ruleId = try #require((try JSONSerialization.jsonObject(with: Data(Self.html(rule).utf8)) as? [String: Any])?["id"] as? Int)
            var browser = Browser(client: app.client)
            #expect(Self.unlabelled(Self.html(try await browser.get("/console/sign-in"))).isEmpty)
            _ = try await browser.signIn()
            let base = "/console/accounts/\(appid)"
            for path in ["/console/", "/console/accounts", "/console/accounts/new", base, "\(base)/edit", "\(base)/media", "\(base)/tasks",
                         "\(base)/tasks/new", "/console/tasks/\(taskId)", "\(base)/rules", "\(base)/rules/new", "/console/rules/\(ruleId)",
                         "/console/rules/\(ruleId)/edit", "\(base)/audience", "\(base)/followers/oLabel"] {
                let response = try await browser.get(path)
                #expect(response.status == .ok, "\(path)")
                #expect(Self.unlabelled(Self.html(response)) == [], "\(path)")
            }
        }
    }
}

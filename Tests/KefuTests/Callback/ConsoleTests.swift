import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing
import WeChatSimulator

/// The operators' console over live HTTP: sign-in into a stored session, cookie flags, CSRF,
/// the security headers, escaping, languages, and adding an account through the form.
@Suite("Console")
struct ConsoleTests {
    static let token = "test-admin-token-0123456789"
    static let account = TestAccounts.plain(1)

    /// A browser's cookie jar, as far as these tests need one.
    struct Browser {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]
        var language = "zh-CN,zh;q=0.9"

        mutating func get(_ path: String) async throws -> TestResponse {
            let response = try await client.execute(uri: path, method: .get, headers: headers(), body: nil)
            keep(response)
            return response
        }

        mutating func post(_ path: String, _ form: [(String, String)]) async throws -> TestResponse {
            var fields = headers()
            fields[.contentType] = "application/x-www-form-urlencoded"
            let body = form.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
            let response = try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
            keep(response)
            return response
        }

        mutating func upload(_ path: String, _ parts: [MediaFiles.Part]) async throws -> TestResponse {
            var fields = headers()
            fields[.contentType] = MediaFiles.contentType
            let response = try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(bytes: MediaFiles.multipart(parts)))
            keep(response)
            return response
        }

        func headers() -> HTTPFields {
            var fields: HTTPFields = [.acceptLanguage: language]
            if !cookies.isEmpty { fields[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
            return fields
        }

        mutating func keep(_ response: TestResponse) {
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                if pair[1].isEmpty || header.contains("Max-Age=0") { cookies.removeValue(forKey: pair[0]) } else { cookies[pair[0]] = pair[1] }
            }
        }

        static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }

        /// The value of the page's hidden `_csrf` field.
        static func csrf(_ response: TestResponse) -> String? {
            let html = String(buffer: response.body)
            guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        mutating func signIn(token: String = ConsoleTests.token) async throws -> TestResponse {
            let page = try await get("/console/sign-in")
            return try await post("/console/sign-in", [("_csrf", Self.csrf(page) ?? ""), ("token", token)])
        }
    }

    static func run(_ backend: StoreBackend = .sqlite, adminToken: String? = token, configure: @escaping (inout KefuConfiguration) -> Void = { _ in },
                    accounts: [Account] = [account], _ body: @escaping @Sendable (KefuAppHarness.Context) async throws -> Void) async throws {
        try await KefuAppHarness.run(backend: backend, adminToken: adminToken, configure: { $0.workers = 0; configure(&$0) },
                                     accounts: accounts, body)
    }

    static func html(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test("signed out, every page sends you to sign in; a wrong token is 401 and starts no session")
    func signedOut() async throws {
        try await Self.run { app in
            var browser = Browser(client: app.client)
            for path in ["/console", "/console/", "/console/accounts", "/console/accounts/new", "/console/accounts/\(Self.account.appid)"] {
                let response = try await browser.get(path)
                #expect(response.status == .seeOther, "\(path)")
                #expect(response.headers[.location] == "/console/sign-in", "\(path)")
            }
            #expect(try await browser.get("/").headers[.location] == "/console/")
            let wrong = try await browser.signIn(token: "not-the-token-at-all")
            #expect(wrong.status == .unauthorized)
            #expect(Self.html(wrong).contains("令牌不正确"))
            #expect(browser.cookies["kefu_session"] == nil)
            #expect(try await browser.get("/console/").status == .seeOther)
        }
    }

    @Test("sign-in: an HttpOnly, SameSite=Strict session cookie, kept in the store (another server on it accepts it), ended by sign-out",
          arguments: StoreBackend.allCases)
    func session(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            var browser = Browser(client: app.client)
            let signedIn = try await browser.signIn()
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console/")
            let cookie = signedIn.headers[values: .setCookie].first { $0.hasPrefix("kefu_session=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"), "\(cookie)")
            #expect(!cookie.contains("Secure"), "only when configured")
            let value = try #require(browser.cookies["kefu_session"])
            #expect(value.count == 64)
            let stored = try await app.store.consoleSession(idHash: ConsoleController<BasicRequestContext>.sha256(value), now: SystemWallClock().nowMillis())
            #expect(stored?.principal == "admin")
            #expect(try await browser.get("/console/").status == .ok)

            // Another server on the same store: the session holds there too.
            var configuration = KefuConfiguration()
            configuration.port = 0
            configuration.adminToken = Self.token
            configuration.workers = 0
            let other = try buildApplication(configuration: configuration, store: app.store, logger: .test())
            let cookies = browser.cookies
            try await other.test(.live) { client in
                var elsewhere = Browser(client: client)
                elsewhere.cookies = cookies
                let status = try await elsewhere.get("/console/").status
                #expect(status == .ok)
            }

            let page = try await browser.get("/console/")
            let out = try await browser.post("/console/sign-out", [("_csrf", Browser.csrf(page) ?? "")])
            #expect(out.status == .seeOther && out.headers[.location] == "/console/sign-in")
            #expect(try await app.store.consoleSession(idHash: ConsoleController<BasicRequestContext>.sha256(value), now: SystemWallClock().nowMillis()) == nil)
            browser.cookies["kefu_session"] = value  // a stolen copy is useless now
            #expect(try await browser.get("/console/").status == .seeOther)
        }
    }

    @Test("Secure cookies when configured for HTTPS; every page has the CSP (no unsafe-inline), nosniff and DENY")
    func headers() async throws {
        try await Self.run(configure: { $0.consoleSecureCookies = true }) { app in
            var browser = Browser(client: app.client)
            var pages = [try await browser.get("/console/sign-in")]
            let signedIn = try await browser.signIn()
            #expect(signedIn.headers[values: .setCookie].first { $0.hasPrefix("kefu_session=") }?.contains("Secure") == true)
            for path in ["/console/", "/console/accounts", "/console/accounts/new", "/console/accounts/\(Self.account.appid)", "/console/accounts/wx0"] {
                pages.append(try await browser.get(path))
            }
            for (path, response) in zip(["sign-in", "overview", "accounts", "new", "account", "missing"], pages) {
                let csp = response.headers[.init("Content-Security-Policy")!] ?? ""
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "\(path): \(csp)")
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY")
                #expect(!Self.html(response).contains("<script>") && !Self.html(response).contains(" style="), "\(path): nothing inline")
            }
            #expect(try await browser.get("/console/assets/kefu.css").headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test("a form without the session's CSRF token is 403 and changes nothing")
    func csrf() async throws {
        try await Self.run { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let form = [("appid", "wx00000000000000aa"), ("app_secret", "0123456789abcdef0123456789abcdef")]
            let missing = try await browser.post("/console/accounts", form)
            #expect(missing.status == .forbidden)
            let forged = try await browser.post("/console/accounts", form + [("_csrf", String(repeating: "0", count: 64))])
            #expect(forged.status == .forbidden)
            #expect(Self.html(forged).contains("表单已过期"))
            #expect(try await app.store.account(appid: "wx00000000000000aa") == nil)
            // Sign-in's own form is checked too.
            var stranger = Browser(client: app.client)
            #expect(try await stranger.post("/console/sign-in", [("token", Self.token)]).status == .forbidden)
            #expect(stranger.cookies["kefu_session"] == nil)
        }
    }

    @Test("a form holding a NUL (%00), urlencoded or multipart, is 400 and changes nothing, on PostgreSQL too", arguments: StoreBackend.allCases)
    func nulInForm(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let csrf = Browser.csrf(try await browser.get("/console/accounts/new")) ?? ""
            let refused = try await browser.post("/console/accounts", [
                ("_csrf", csrf), ("appid", "wx00000000000000ac"), ("app_secret", "0123456789abcdef0123456789abcdef"), ("name", "店\u{0}"),
            ])
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("NUL"))
            #expect(try await app.store.account(appid: "wx00000000000000ac") == nil)
            let multipart = try await browser.upload("/console/accounts/\(Self.account.appid)/tasks", [
                .field("_csrf", csrf), .field("name", "双十一\u{0}"), .field("msgtype", "text"), .field("content", "hi"),
            ])
            #expect(multipart.status == .badRequest)
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 10).isEmpty)
        }
    }

    @Test("hostile names show as text")
    func escaping() async throws {
        var account = TestAccounts.plain(2)
        account.name = "<img src=x onerror=alert(1)>"
        let hostile = account
        try await Self.run(accounts: [hostile]) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            for path in ["/console/", "/console/accounts", "/console/accounts/\(hostile.appid)"] {
                let html = Self.html(try await browser.get(path))
                #expect(!html.contains("?after="), "one account: no next page")
                #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "\(path)")
                #expect(!html.contains("<img src=x"), "\(path)")
            }
            let response = try await browser.get("/console/accounts/%3Cscript%3E")
            #expect(response.status == .notFound)
            #expect(!Self.html(response).contains("<script>"))
        }
    }

    @Test("Chinese by default, English by Accept-Language or the switch (remembered)")
    func languages() async throws {
        try await Self.run { app in
            var browser = Browser(client: app.client)
            #expect(Self.html(try await browser.get("/console/sign-in")).contains("管理令牌"))
            browser.language = "en-US,en;q=0.9,zh;q=0.5"
            #expect(Self.html(try await browser.get("/console/sign-in")).contains("Admin token"))
            browser.language = "zh-CN"
            let switched = try await browser.get("/console/sign-in?lang=en")
            #expect(Self.html(switched).contains("<html lang=\"en\">"))
            #expect(Self.html(try await browser.get("/console/sign-in")).contains("Admin token"), "the switch is remembered")
            #expect(Self.html(try await browser.get("/console/sign-in?lang=zh")).contains("管理令牌"))
        }
        #expect(ConsoleLanguage.choose(query: nil, cookie: nil, acceptLanguage: "fr, en;q=0.8, zh;q=0.9") == .zh)
        #expect(ConsoleLanguage.choose(query: nil, cookie: nil, acceptLanguage: "fr, de") == .zh)
        #expect(ConsoleLanguage.choose(query: "xx", cookie: "en", acceptLanguage: nil) == .en)
    }

    @Test("both catalogues have the same keys, and every key a template names")
    func catalogues() {
        #expect(Set(ConsoleText.zh.keys) == Set(ConsoleText.en.keys), "\(Set(ConsoleText.zh.keys).symmetricDifference(ConsoleText.en.keys))")
        let used = ConsoleTemplates.all.values.flatMap { template in
            template.components(separatedBy: "{{t.").dropFirst().map { String($0.prefix { $0 != "}" }) }
        }
        #expect(!used.isEmpty)
        for key in Set(used) {
            #expect(ConsoleText.zh[key] != nil && ConsoleText.en[key] != nil, "missing \(key)")
        }
        #expect(ConsoleText.zh.values.allSatisfy { !$0.isEmpty } && ConsoleText.en.values.allSatisfy { !$0.isEmpty })
        // The keys the controllers build from kefu's own values: every status, state, message
        // type, trigger, interaction kind and error code a page can name.
        var built = BroadcastTask.Status.allCases.map { "task_status_\($0.rawValue)" } + DeliveryState.allCases.map { "state_\($0.rawValue)" }
        built += ["text", "image", "voice", "video", "news", "mpnews", "mpnewsarticle", "miniprogrampage", "msgmenu"].map { "type_\($0)" }
        built += (["any"] + DelayedRule.TriggerKind.allCases.map(\.rawValue)).map { "trigger_\($0)" }
        built += DelayedRule.Trigger.kinds.map { "interaction_\($0.rawValue)" } + MediaKind.allCases.map { "kind_\($0.rawValue)" }
        built += [-1, 40001, 40003, 40007, 40008, 43004, 43019, 44004, 45002, 45008, 45009, 45011, 45015, 45047, 45162, 47001, 48001, 48002, 48004]
            .map { "errcode_\($0)" }
        built += ["unit_s", "unit_min", "unit_h", "unit_d", "warning_closed", "warning_no_window", "warning_reach_message", "warning_reach_other"]
        for key in built { #expect(ConsoleText.zh[key] != nil && ConsoleText.en[key] != nil, "missing \(key)") }
        // Every reason kefu writes on a delivery reads in the page's language.
        for reason in [DeliveryReason.windowClosed, DeliveryReason.quotaUsed, DeliveryReason.unsubscribed, DeliveryReason.taskCancelled,
                       DeliveryReason.outcomeUnknown, DeliveryReason.noAnswer, DeliveryReason.invalidOpenid, DeliveryReason.blocked,
                       DeliveryReason.systemBusy, DeliveryReason.badPayload, DeliveryReason.ruleDisabled, DeliveryReason.ruleDeleted] {
            // In Chinese it differs from the stored English (so it was found); English has the same keys.
            let page = ConsoleController<BasicRequestContext>.Page(language: .zh)
            #expect(ConsoleController<BasicRequestContext>.reasonText(reason, page: page) != reason, "\(reason)")
        }
    }

    @Test("adding an account: generated Token and EncodingAESKey shown once to paste into WeChat, stored; a bad value is 422 with the reason",
          arguments: StoreBackend.allCases)
    func addAccount(backend: StoreBackend) async throws {
        try await Self.run(backend, configure: { $0.publicURL = "https://kefu.example.cn/" }) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let form = try await browser.get("/console/accounts/new")
            let csrf = Browser.csrf(form) ?? ""
            let secret = "0123456789abcdef0123456789abcdef"
            let bad = try await browser.post("/console/accounts", [("_csrf", csrf), ("appid", "wx<b>"), ("app_secret", secret), ("name", "新店")])
            #expect(bad.status == .unprocessableContent)
            #expect(Self.html(bad).contains("appid: must be"))
            #expect(Self.html(bad).contains("value=\"wx&lt;b&gt;\"") && !Self.html(bad).contains(secret), "the secret is never sent back")

            let created = try await browser.post("/console/accounts", [
                ("_csrf", csrf), ("appid", "wx00000000000000ab"), ("app_secret", secret), ("name", "新店"), ("token", ""),
                ("encoding_aes_key", ""), ("generate_aes", "1"), ("send_rate", "200"),
            ])
            #expect(created.status == .ok)
            let stored = try #require(try await app.store.account(appid: "wx00000000000000ab"))
            #expect(stored.token.count == 32 && stored.encodingAESKey?.count == 43 && stored.sendRate == 200 && stored.name == "新店")
            let html = Self.html(created)
            #expect(html.contains("https://kefu.example.cn/wechat/wx00000000000000ab"))
            #expect(html.contains(stored.token) && html.contains(stored.encodingAESKey!) && html.contains("安全模式"))
            #expect(!html.contains(secret))
            // Afterwards the account's page shows neither.
            let page = Self.html(try await browser.get("/console/accounts/wx00000000000000ab"))
            #expect(page.contains("新店") && !page.contains(stored.token) && !page.contains(stored.encodingAESKey!))
            let again = try await browser.post("/console/accounts", [("_csrf", csrf), ("appid", "wx00000000000000ab"), ("app_secret", secret)])
            #expect(again.status == .unprocessableContent && Self.html(again).contains("already exists"))
            // Plain mode: no EncodingAESKey row at all.
            let plain = Self.html(try await browser.post("/console/accounts", [("_csrf", csrf), ("appid", "wx00000000000000ac"), ("app_secret", secret)]))
            #expect(plain.contains("明文模式") && !plain.contains("paste-aes"))
        }
    }

    @Test("on loopback without KEFU_ADMIN_TOKEN the console is open, as the API is")
    func open() async throws {
        try await Self.run(adminToken: nil) { app in
            var browser = Browser(client: app.client)
            let response = try await browser.get("/console/sign-in")
            #expect(response.status == .seeOther && response.headers[.location] == "/console/")
            #expect(try await browser.get("/console/").status == .ok)
        }
    }

    @Test("accounts and the overview page 50 at a time: 120 accounts, each shown once", arguments: StoreBackend.allCases)
    func pages(backend: StoreBackend) async throws {
        let many = (0..<120).map { index -> Account in
            var account = TestAccounts.plain(100 + index)
            account.name = "店铺 \(index)"
            return account
        }
        try await Self.run(backend, accounts: many) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            for base in ["/console/", "/console/accounts"] {
                var seen: [String] = []
                var path: String? = base
                while let next = path {
                    let html = Self.html(try await browser.get(next))
                    seen += html.components(separatedBy: "href=\"/console/accounts/wx").dropFirst().map { "wx" + $0.prefix(16) }
                    path = html.components(separatedBy: "href=\"?after=").dropFirst().first.map { base + "?after=" + $0.prefix { $0 != "\"" } }
                }
                #expect(seen.count == 120 && Set(seen) == Set(many.map(\.appid)), "\(base): \(seen.count)")
            }
        }
    }

    @Test("the media library: upload through the form, a thumbnail only for the signed-in, where each file is used, no delete while in use",
          arguments: StoreBackend.allCases)
    func mediaLibrary(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let library = "/console/accounts/\(Self.account.appid)/media"
            let csrf = Browser.csrf(try await browser.get(library)) ?? ""
            let hostile = "<img src=x onerror=alert(1)>.png"
            let missing = try await browser.upload(library, [.field("type", "image"), .file(SampleMedia.png, filename: hostile)])
            #expect(missing.status == .forbidden, "no CSRF field: nothing stored")
            #expect(try await app.store.mediaList(appid: Self.account.appid, kind: nil, limit: 10, after: nil).isEmpty)
            let wrong = try await browser.upload(library, [.field("_csrf", csrf), .field("type", "voice"), .file(SampleMedia.png, filename: "a.mp3")])
            #expect(wrong.status == .unprocessableContent && Self.html(wrong).contains("file: is PNG, but voice takes AMR, MP3"))

            let uploaded = try await browser.upload(library, [.field("_csrf", csrf), .field("type", "image"), .file(SampleMedia.png, filename: hostile)])
            #expect(uploaded.status == .ok)
            let html = Self.html(uploaded)
            #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;.png") && !html.contains("<img src=x"))
            let item = try #require(try await app.store.mediaList(appid: Self.account.appid, kind: nil, limit: 10, after: nil).first)
            #expect(html.contains("src=\"\(library)/\(item.id)/content\""))
            let picture = try await browser.get("\(library)/\(item.id)/content")
            #expect(picture.status == .ok && Array(picture.body.readableBytesView) == SampleMedia.png)
            #expect(picture.headers[.contentType] == "image/png")
            var stranger = Browser(client: app.client)
            #expect(try await stranger.get("\(library)/\(item.id)/content").status == .unauthorized)

            // In use by a task: shown, and not deleted.
            let task = try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(Self.account.appid)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "image", "image": {"kefu_media": "\#(item.id)"}}}"#)
            let taskId = try #require((try JSONSerialization.jsonObject(with: Data(String(buffer: task.body).utf8)) as? [String: Any])?["id"] as? Int)
            #expect(Self.html(try await browser.get(library)).contains("使用中： 任务 \(taskId)"))
            let refused = try await browser.post("\(library)/\(item.id)/delete", [("_csrf", csrf)])
            #expect(refused.status == .conflict && Self.html(refused).contains("仍在使用，无法删除： 任务 \(taskId)"))
            #expect(try await browser.post("\(library)/\(item.id)/delete", []).status == .forbidden)
            _ = try await app.api(.post, "/tasks/\(taskId)/cancel")
            let deleted = try await browser.post("\(library)/\(item.id)/delete", [("_csrf", csrf)])
            #expect(deleted.status == .seeOther)
            #expect(try await app.store.media(appid: Self.account.appid, id: item.id) == nil)
        }
    }
}

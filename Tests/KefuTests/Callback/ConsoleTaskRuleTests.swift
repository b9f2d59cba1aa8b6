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

/// Tasks and rules through the console over live HTTP: the composer (every type it offers,
/// checked by the API's own validation), the forecast before confirming, the task page and its
/// actions, the rule form's warnings, and the same hostile-input and CSRF rules as every form.
@Suite("Console tasks and rules")
struct ConsoleTaskRuleTests {
    typealias Browser = ConsoleTests.Browser
    static let account = ConsoleTests.account
    static var appid: String { account.appid }
    static let hostile = "<img src=x onerror=alert(1)>"

    static func html(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// A composer form as the page posts it: the CSRF token, then the fields.
    static func form(_ csrf: String?, _ fields: [String: String], files: [MediaFiles.Part] = []) -> [MediaFiles.Part] {
        (csrf.map { [.field("_csrf", $0)] } ?? []) + fields.sorted { $0.key < $1.key }.map { .field($0.key, $0.value) } + files
    }

    /// Followers with open windows: `count` who sent a message just now.
    static func followers(_ app: KefuAppHarness.Context, _ count: Int) async throws {
        let now = SystemWallClock().nowMillis()
        let items = (0..<count).map { Interaction(appid: appid, openid: "oConsole\($0)", kind: .message, detail: "text", at: now, dedupeKey: "c\($0)") }
        _ = try await app.store.record(items, policy: testPolicy, now: now)
    }

    @Test("a task through the composer: checked and forecast first, created only on confirm, shown with its progress; errors name the field in the page's language",
          arguments: StoreBackend.allCases)
    func composeTask(backend: StoreBackend) async throws {
        try await ConsoleTests.run(backend) { app in
            try await Self.followers(app, 7)
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let new = try await browser.get("/console/accounts/\(Self.appid)/tasks/new")
            #expect(new.status == .ok && Self.html(new).contains("手机预览") && Self.html(new).contains("北京时间"))
            let csrf = Browser.csrf(new)
            let path = "/console/accounts/\(Self.appid)/tasks"
            let fields = ["name": Self.hostile, "description": "周末活动", "send_at": "", "msgtype": "text", "text_content": "周末好 <b>x</b>"]

            // Without the CSRF token: 403, nothing stored.
            #expect(try await browser.upload(path, Self.form(nil, fields.merging(["step": "create"]) { $1 })).status == .forbidden)
            // Too long for WeChat: 422 naming the field in Chinese, what was typed kept.
            let long = try await browser.upload(path, Self.form(csrf, fields.merging(["text_content": String(repeating: "好", count: 700), "step": "create"]) { $1 }))
            #expect(long.status == .unprocessableContent)
            #expect(Self.html(long).contains("请检查 文本内容") && Self.html(long).contains(String(repeating: "好", count: 700)))
            // A send time in the past: refused, not sent at once.
            let past = try await browser.upload(path, Self.form(csrf, fields.merging(["send_at": "2020-01-01T08:00", "step": "create"]) { $1 }))
            #expect(past.status == .unprocessableContent && Self.html(past).contains("请检查 发送时间"))
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 10).isEmpty)

            // Check: the forecast and the confirm button, still nothing stored.
            let checked = try await browser.upload(path, Self.form(csrf, fields.merging(["step": "forecast"]) { $1 }))
            #expect(checked.status == .ok)
            let page = Self.html(checked)
            #expect(page.contains("data-forecast=\"reachable_now\">7<"), "7 followers reachable now")
            #expect(page.contains("value=\"create\""))
            #expect(page.contains("周末好 &lt;b&gt;x&lt;/b&gt;") && !page.contains("<b>x</b>"), "the preview shows the text as text")
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 10).isEmpty)

            // Confirm: created, and the task page.
            let created = try await browser.upload(path, Self.form(csrf, fields.merging(["step": "create"]) { $1 }))
            #expect(created.status == .seeOther)
            let task = try #require(try await app.store.tasks(appid: Self.appid, status: nil, limit: 10).first)
            #expect(created.headers[.location] == "/console/tasks/\(task.id)")
            #expect(task.name == Self.hostile && task.description == "周末活动")
            #expect(task.message.content == .text(content: "周末好 <b>x</b>"))
            let shown = try await browser.get("/console/tasks/\(task.id)")
            #expect(shown.status == .ok)
            #expect(Self.html(shown).contains("&lt;img src=x onerror=alert(1)&gt;") && !Self.html(shown).contains("<img src=x"))
            #expect(Self.html(shown).contains("data-progress-url=\"/console/tasks/\(task.id)/progress\""), "live progress while it can change")
            let list = Self.html(try await browser.get(path))
            #expect(list.contains("/console/tasks/\(task.id)") && list.contains("<progress") && !list.contains("<img src=x"))

            let progress = try await browser.get("/console/tasks/\(task.id)/progress")
            let figures = try #require(try JSONSerialization.jsonObject(with: Data(Self.html(progress).utf8)) as? [String: Any])
            #expect(["scheduled", "running"].contains(figures["status"] as? String) && figures["live"] as? Bool == true)
            var stranger = Browser(client: app.client)
            #expect(try await stranger.get("/console/tasks/\(task.id)/progress").status == .unauthorized)
        }
    }

    @Test("every type the composer offers becomes the message the API would store; a picture uploaded on the spot joins the library")
    func composerTypes() async throws {
        try await ConsoleTests.run { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let csrf = Browser.csrf(try await browser.get("/console/accounts/\(Self.appid)/tasks/new"))
            let path = "/console/accounts/\(Self.appid)/tasks"
            func create(_ fields: [String: String], files: [MediaFiles.Part] = []) async throws -> BroadcastTask? {
                let response = try await browser.upload(path, Self.form(csrf, fields.merging(["name": "t", "send_at": "2030-01-01T08:00", "step": "create"]) { $1 },
                                                                        files: files))
                #expect(response.status == .seeOther, "\(fields): \(Self.html(response).prefix(300))")
                return try await app.store.tasks(appid: Self.appid, status: nil, limit: 1).first
            }
            // A picture picked from the computer: stored in the library, the message names it.
            let upload = MediaFiles.Part(name: "image_upload", filename: "海报.png", contentType: "image/png", body: SampleMedia.png)
            let image = try #require(try await create(["msgtype": "image", "image_media": ""], files: [upload]))
            let item = try #require(try await app.store.mediaList(appid: Self.appid, kind: .image, limit: 5, after: nil).first)
            #expect(item.filename == "海报.png" && image.message.content == .image(.kefu(item.id)))
            #expect(try image.sendAt == ConsoleFormat.parseChinaTime("2030-01-01T08:00", now: 0))
            #expect(RFC3339.format(millis: image.sendAt) == "2030-01-01T00:00:00.000Z", "08:00 China time is midnight UTC")
            // Picked from the library.
            let picked = try #require(try await create(["msgtype": "image", "image_media": item.id]))
            #expect(picked.message.content == .image(.kefu(item.id)))
            let news = try #require(try await create(["msgtype": "news", "news_title": "标题", "news_url": "https://example.com/a", "news_description": ""]))
            #expect(news.message.content == .news(title: "标题", description: nil, url: "https://example.com/a", picurl: nil))
            let thumb = MediaFiles.Part(name: "mp_upload", filename: "cover.jpg", contentType: "image/jpeg", body: SampleMedia.jpeg)
            let card = try #require(try await create(["msgtype": "miniprogrampage", "mp_title": "小程序", "mp_appid": "wx1234567890abcdef",
                                                      "mp_pagepath": "pages/index"], files: [thumb]))
            guard case .miniprogrampage(let title, _, let pagepath, .kefu(let thumbId)) = card.message.content else {
                Issue.record("\(card.message)")
                return
            }
            #expect(title == "小程序" && pagepath == "pages/index" && MediaItem.isId(thumbId))
            let menu = try #require(try await create(["msgtype": "msgmenu", "menu_head": "满意吗？", "menu_options": "101|满意\n不满意\n", "menu_tail": "谢谢",
                                                      "kf_account": "test1@kftest"]))
            #expect(menu.message.kfAccount == "test1@kftest")
            guard case .msgmenu(let options) = menu.message.content else { Issue.record("\(menu.message)"); return }
            #expect(options.options.map(\.id) == ["101", "2"] && options.options.map(\.content) == ["满意", "不满意"])

            // A file that is not what the field takes: 422 naming the field; nothing stored.
            let before = try await app.store.tasks(appid: nil, status: nil, limit: 100).count
            let wrong = MediaFiles.Part(name: "image_upload", filename: "a.png", contentType: "image/png", body: Array("not a picture".utf8))
            let refused = try await browser.upload(path, Self.form(csrf, ["name": "t", "msgtype": "image", "step": "create"], files: [wrong]))
            #expect(refused.status == .unprocessableContent && Self.html(refused).contains("请检查 图片（素材库）"))
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 100).count == before)
            // A library file of another kind, or none picked: the API's own reasons.
            let voiceAsImage = try await browser.upload(path, Self.form(csrf, ["name": "t", "msgtype": "voice", "voice_media": item.id, "step": "create"]))
            #expect(voiceAsImage.status == .unprocessableContent)
            let unknownType = try await browser.upload(path, Self.form(csrf, ["name": "t", "msgtype": "<script>", "step": "create"]))
            #expect(unknownType.status == .unprocessableContent && !Self.html(unknownType).contains("<script>"))
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 100).count == before)
        }
    }

    @Test("the task page's buttons: pause, resume, cancel and test send, each with the CSRF token; the log filtered by state")
    func taskActions() async throws {
        try await ConsoleTests.run { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let created = try await app.api(.post, "/tasks", #"{"name": "later", "appid": "\#(Self.appid)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "text", "text": {"content": "hi"}}}"#)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(Self.html(created).utf8)) as? [String: Any])?["id"] as? Int)
            let page = "/console/tasks/\(id)"
            let csrf = Browser.csrf(try await browser.get(page)) ?? ""
            #expect(try await browser.post("\(page)/pause", []).status == .forbidden, "no token: nothing changes")
            #expect(try await app.store.task(id: Int64(id))?.status == .scheduled)
            #expect(try await browser.post("\(page)/pause", [("_csrf", csrf)]).status == .seeOther)
            #expect(try await app.store.task(id: Int64(id))?.status == .paused)
            #expect(Self.html(try await browser.get(page)).contains("已暂停"))
            #expect(try await browser.post("\(page)/pause", [("_csrf", csrf)]).status == .conflict, "already paused")
            #expect(try await browser.post("\(page)/resume", [("_csrf", csrf)]).status == .seeOther)
            #expect(try await app.store.task(id: Int64(id))?.status == .scheduled, "paused before its time: waits for it again")

            let test = try await browser.post("\(page)/test", [("_csrf", csrf), ("openids", "oTest1\noTest2\n<script>alert(1)</script>")])
            #expect(test.status == .ok && Self.html(test).contains("已加入发送队列： 3"))
            let log = Self.html(try await browser.get("\(page)?state=pending"))
            #expect(log.contains("oTest1") && log.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !log.contains("<script>alert"))
            #expect(!Self.html(try await browser.get("\(page)?state=sent")).contains("oTest1"), "filtered by state")
            #expect(try await browser.post("\(page)/test", [("_csrf", csrf), ("openids", "")]).status == .unprocessableContent)

            #expect(try await browser.post("\(page)/cancel", [("_csrf", csrf)]).status == .seeOther)
            #expect(try await app.store.task(id: Int64(id))?.status == .cancelled)
            let cancelled = Self.html(try await browser.get(page))
            #expect(!cancelled.contains("data-progress-url") && !cancelled.contains("/cancel\""), "nothing left to do but read it")
            #expect(try await browser.post("/console/tasks/\(id)/explode", [("_csrf", csrf)]).status == .notFound)
            #expect(try await browser.get("/console/tasks/999999").status == .notFound)
            #expect(try await browser.get("/console/tasks/%3Cscript%3E").status == .notFound)
        }
    }

    @Test("rules: created and edited through the form with the policy's warnings as it changes; deleted with the CSRF token",
          arguments: StoreBackend.allCases)
    func rules(backend: StoreBackend) async throws {
        try await ConsoleTests.run(backend) { app in
            var browser = Browser(client: app.client)
            _ = try await browser.signIn()
            let new = try await browser.get("/console/accounts/\(Self.appid)/rules/new")
            #expect(new.status == .ok)
            let csrf = Browser.csrf(new)
            // The test policy: a message opens 1 h; a subscribe opens none of its own.
            let warn = try await browser.get("/console/accounts/\(Self.appid)/rule-warnings?trigger_kind=message&delay_seconds=7200")
            let warnings = try #require((try JSONSerialization.jsonObject(with: Data(Self.html(warn).utf8)) as? [String: Any])?["warnings"] as? [String])
            #expect(warnings == ["「发送消息」开启 1 小时 的窗口，消息在 2 小时 后到期时已关闭；只有发送时另有窗口开启的粉丝能收到。"])
            let fine = try await browser.get("/console/accounts/\(Self.appid)/rule-warnings?trigger_kind=message&delay_seconds=600")
            #expect((try JSONSerialization.jsonObject(with: Data(Self.html(fine).utf8)) as? [String: Any])?["warnings"] as? [String] == [])
            browser.language = "en"
            let english = Self.html(try await browser.get("/console/accounts/\(Self.appid)/rule-warnings?trigger_kind=message&delay_seconds=7200&lang=en"))
            #expect(english.contains("A message opens a 1 h window"))
            browser.cookies.removeValue(forKey: "kefu_lang")
            browser.language = "zh-CN"
            let hostileWarn = try await browser.get("/console/accounts/\(Self.appid)/rule-warnings?trigger_kind=%3Cscript%3E&delay_seconds=-1")
            #expect(hostileWarn.status == .ok && !Self.html(hostileWarn).contains("<script>"))

            let path = "/console/accounts/\(Self.appid)/rules"
            var fields = ["name": Self.hostile, "trigger_kind": "message", "trigger_key": "优惠", "delay_seconds": "7200", "cooldown_seconds": "0",
                          "enabled": "1", "once_per_follower": "1", "msgtype": "text", "text_content": "两小时后的问候"]
            #expect(try await browser.upload(path, Self.form(nil, fields)).status == .forbidden)
            let bad = try await browser.upload(path, Self.form(csrf, fields.merging(["delay_seconds": "9999999"]) { $1 }))
            #expect(bad.status == .unprocessableContent && Self.html(bad).contains("请检查 延时（秒）"))
            #expect(try await app.store.rules(appid: nil).isEmpty)
            let created = try await browser.upload(path, Self.form(csrf, fields))
            #expect(created.status == .seeOther)
            let rule = try #require(try await app.store.rules(appid: Self.appid).first)
            #expect(rule.name == Self.hostile && rule.trigger == .init(kind: .message, key: "优惠") && rule.delaySeconds == 7200)
            #expect(rule.oncePerFollower && rule.enabled && rule.message.content == .text(content: "两小时后的问候"))
            let page = Self.html(try await browser.get("/console/rules/\(rule.id)"))
            #expect(page.contains("窗口政策提醒") && page.contains("&lt;img src=x") && !page.contains("<img src=x"))
            #expect(page.contains("还没有已发送的消息"))
            let list = Self.html(try await browser.get(path))
            #expect(list.contains("/console/rules/\(rule.id)") && list.contains("发送消息：优惠"))

            // Edit: the form comes back filled; a shorter delay clears the warning; unticked = disabled.
            let edit = try await browser.get("/console/rules/\(rule.id)/edit")
            #expect(Self.html(edit).contains("value=\"7200\"") && Self.html(edit).contains("两小时后的问候"))
            fields["delay_seconds"] = "600"
            fields.removeValue(forKey: "enabled")
            #expect(try await browser.upload("/console/rules/\(rule.id)", Self.form(csrf, fields)).status == .seeOther)
            let changed = try #require(try await app.store.rule(id: rule.id))
            #expect(changed.delaySeconds == 600 && !changed.enabled)
            #expect(!Self.html(try await browser.get("/console/rules/\(rule.id)")).contains("窗口政策提醒"))

            #expect(try await browser.post("/console/rules/\(rule.id)/delete", []).status == .forbidden)
            #expect(try await app.store.rule(id: rule.id) != nil)
            #expect(try await browser.post("/console/rules/\(rule.id)/delete", [("_csrf", csrf ?? "")]).status == .seeOther)
            #expect(try await app.store.rule(id: rule.id) == nil)
        }
    }

    @Test("a rule's lateness, counted per bucket by one aggregate query, on both stores", arguments: StoreBackend.allCases)
    func lateness(backend: StoreBackend) async throws {
        #expect(LatenessBuckets.bucket(0) == 0 && LatenessBuckets.bucket(999) == 0 && LatenessBuckets.bucket(1000) == 1)
        #expect(LatenessBuckets.bucket(600_000) == 5 && LatenessBuckets.labels.count == LatenessBuckets.bounds.count + 1)
        try await ConsoleTests.run(backend) { app in
            let now = SystemWallClock().nowMillis()
            let rule = DelayedRule(appid: Self.appid, name: "r", trigger: .init(kind: .message), delaySeconds: 0,
                                   message: .text(content: "x"), createdAt: now, updatedAt: now)
            let id = try await app.store.createRule(rule)
            #expect(try await app.store.ruleLateness(id: id) == [0, 0, 0, 0, 0, 0])
            let chart = ConsoleController<BasicRequestContext>.latenessChart([3, 0, 1, 0, 0, 6])
            let bars = try #require(chart["bars"] as? [[String: Any]])
            #expect(bars.map { $0["h"] as? Int } == [60, 0, 20, 0, 0, 120], "scaled to the tallest; a non-empty bucket is never invisible")
        }
    }

    @Test("China time in the composer: blank is now, a minute of slack, then refused; nonsense refused")
    func chinaTime() throws {
        let now = try ConsoleFormat.parseChinaTime("2026-12-01T20:30", now: 0)
        #expect(RFC3339.format(millis: now) == "2026-12-01T12:30:00.000Z")
        #expect(try ConsoleFormat.parseChinaTime("", now: now) == now)
        #expect(try ConsoleFormat.parseChinaTime("2026-12-01T20:29:30", now: now) == now - 30_000)
        #expect(ConsoleFormat.chinaInput(now) == "2026-12-01T20:30" && ConsoleFormat.chinaTime(now) == "2026-12-01 20:30 (UTC+8)")
        for bad in ["2026-12-01T20:28", "2026-02-30T10:00", "20:30", "2026-12-01T25:00", "<script>", "99999-01-01T00:00", "2026-12-01T20:30:00:00:00"] {
            #expect(throws: KefuError.self, "\(bad)") { try ConsoleFormat.parseChinaTime(bad, now: now) }
        }
    }
}

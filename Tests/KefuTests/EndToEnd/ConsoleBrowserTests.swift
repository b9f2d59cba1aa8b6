import Foundation
import KefuCore
import KefuTestSupport
import Testing
import WeChatSimulator

extension EndToEnd {
/// The console in real headless Chromium (WebDriver), against real `kefu serve` and simulator
/// processes on both stores: sign in, add an account through the form and connect it to the
/// simulated WeChat with what the page says to paste, see its followers on the overview, hostile
/// names shown as text, the language switch, a phone-sized screen. Screenshots of every page go
/// to `KEFU_SCREENSHOTS` (default `/tmp/kefu-console-screenshots`).
@Suite("Console in a real browser", .serialized,
       .enabled(if: WebDriver.available || ProcessInfo.processInfo.environment["KEFU_BROWSER_TESTS"] == "required",
                "needs Debian's chromium and chromium-driver (scripts/test installs them)"))
struct ConsoleBrowserTests {
    static let screenshots = ProcessInfo.processInfo.environment["KEFU_SCREENSHOTS"] ?? "/tmp/kefu-console-screenshots"

    static func shoot(_ browser: WebDriver, _ name: String, _ backend: StoreBackend) async throws {
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        try await browser.screenshot(to: "\(screenshots)/\(backend)-\(name).png")
    }

    /// A click that submits a form returns before the next page may have loaded: wait for it.
    static func arrive(_ browser: WebDriver, at suffix: String) async throws {
        try await eventually("the browser at …\(suffix)", timeout: .seconds(20), poll: .milliseconds(50)) {
            try await browser.url().hasSuffix(suffix)
        }
    }

    @Test("sign in, add an account and connect it to WeChat with what the page shows, see its audience, in both languages and on a phone",
          arguments: StoreBackend.allCases)
    func console(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: #"{"grants": [{"on": "message", "sends": 5, "seconds": 3600}]}"#, backend: backend)
        let browser = try await WebDriver.start(language: "zh-CN", directory: harness.directory.path)
        do {
            let server = try await harness.startServer(extra: ["--workers", "1"])
            let console = "\(server.baseURL)/console/"

            try await browser.go(console)
            #expect(try await browser.url().hasSuffix("/console/sign-in"), "signed out: the sign-in page")
            #expect(try await browser.source().contains("管理令牌"))
            try await Self.shoot(browser, "01-sign-in", backend)
            try await browser.type("#token", "wrong-token-0123456789")
            try await browser.click("button[type=submit]")
            try await eventually("the refusal") { try await browser.count("[role=alert]") == 1 }
            #expect(try await browser.text("[role=alert]") == "令牌不正确。")
            try await browser.type("#token", harness.adminToken)
            try await browser.click("button[type=submit]")
            try await Self.arrive(browser, at: "/console/")
            try await Self.shoot(browser, "02-overview-empty", backend)

            // Add an account through the form, with a hostile name.
            try await browser.go("\(console)accounts/new")
            try await Self.shoot(browser, "03-account-new", backend)
            let appid = "wx00000000000b10c1"
            try await browser.type("#appid", appid)
            try await browser.type("#app_secret", "browser-secret-0123456789abcdef")
            try await browser.type("#name", "<img src=x onerror=alert(1)>")
            try await browser.type("#send_rate", "100")
            try await browser.click("form[action='/console/accounts'] button[type=submit]")
            try await eventually("the account added") { try await browser.count("#paste-token") == 1 }
            try await Self.shoot(browser, "04-account-created", backend)
            let url = try await browser.text("#paste-url"), token = try await browser.text("#paste-token"), key = try await browser.text("#paste-aes")
            #expect(url == "\(server.baseURL)/wechat/\(appid)")
            #expect(token.count == 32 && key.count == 43)
            #expect(try await browser.alertText() == nil, "the name is text, not markup")

            // WeChat's side, configured with exactly what the page said: safe mode pushes reach kefu.
            try await harness.simulator("/sim/accounts", ["appid": appid, "secret": "browser-secret-0123456789abcdef", "token": token,
                                                          "encoding_aes_key": key, "mode": "safe", "callback_url": url])
            try await harness.play(appid, (0..<25).map { ["openid": "oBrowser\($0)", "kind": "text"] })
            try await browser.go(console)
            let overview = try await browser.source()
            #expect(overview.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(try await browser.alertText() == nil)
            #expect(try await browser.text("tbody td.num") == "25", "25 followers reachable now")
            try await Self.shoot(browser, "05-overview", backend)
            try await browser.go("\(console)accounts/\(appid)")
            #expect(!(try await browser.source()).contains(token), "the Token is shown once only")
            try await Self.shoot(browser, "06-account", backend)

            // The media library: a picture uploaded through the page's file input.
            try await browser.go("\(console)accounts/\(appid)/media")
            let file = harness.directory.file("海报.png")
            try Data(SampleMedia.png).write(to: URL(fileURLWithPath: file))
            try await browser.attach("#file", path: file)
            try await browser.click("form[enctype='multipart/form-data'] button[type=submit]")
            try await eventually("the picture in the library") { try await browser.count("ul.media img") == 1 }
            #expect(try await browser.text("[role=status]").contains("海报.png"))
            // Another picture under a hostile file name: shown as text, no dialog.
            let hostileFile = harness.directory.file("<img src=x onerror=alert(1)>.jpg")
            try Data(SampleMedia.jpeg).write(to: URL(fileURLWithPath: hostileFile))
            try await browser.attach("#file", path: hostileFile)
            try await browser.click("form[enctype='multipart/form-data'] button[type=submit]")
            try await eventually("both pictures in the library") { try await browser.count("ul.media img") == 2 }
            #expect(try await browser.alertText() == nil)
            #expect(try await browser.source().contains("&lt;img src=x onerror=alert(1)&gt;.jpg"))
            try await Self.shoot(browser, "07-media", backend)

            // A broadcast through the composer: the text's bytes counted and mirrored on the
            // phone as it is typed, the forecast, then confirm, and watch it complete.
            try await browser.go("\(console)accounts/\(appid)/tasks/new")
            try await eventually("the forecast fetched") { try await browser.text("[data-forecast=reachable_now]") == "25" }
            try await browser.type("#name", "<img src=x onerror=alert(1)>")
            try await browser.type("#text_content", "周末好！")
            #expect(try await browser.text("[data-bytes-for=text_content]") == "12", "WeChat counts UTF-8 bytes: 4 characters, 12 bytes")
            #expect(try await browser.text("[data-preview=text] .bubble") == "周末好！")
            #expect(try await browser.count("fieldset[data-type=image]:not([hidden])") == 0, "only the chosen type's fields")
            try await Self.shoot(browser, "08-task-new", backend)
            try await browser.click("button[value=forecast]")
            try await eventually("the checked form") { try await browser.count("button[value=create]") == 1 }
            #expect(try await browser.text("[data-forecast=reachable_now]") == "25")
            #expect(try await browser.alertText() == nil, "the task's hostile name, kept in the form, is text")
            try await Self.shoot(browser, "09-task-forecast", backend)
            try await browser.click("button[value=create]")
            try await eventually("the task page") { try await browser.url().contains("/console/tasks/") }
            try await eventually("the task completed on the page, without reloading by hand", timeout: .seconds(60)) {
                // The page reloads itself when the status changes: an element may go stale mid-poll.
                (try? await browser.text("[data-stat=statusLabel]")) == "已完成"
            }
            #expect(try await browser.text("[data-stat=sent]") == "25")
            #expect(try await harness.received(appid).count == 25, "the simulator received all 25")
            #expect(try await browser.alertText() == nil)
            try await Self.shoot(browser, "10-task-completed", backend)
            try await browser.click("#state option[value=sent]")
            try await browser.click("form.filters button[type=submit]")
            try await eventually("the log of sent deliveries") { try await browser.url().contains("state=sent") }
            #expect(try await browser.count("table tbody tr") == 25)
            try await browser.go("\(console)accounts/\(appid)/tasks")
            let bars = try await browser.count("tbody progress")
            #expect(try await browser.alertText() == nil && bars == 1)

            // The composer's other types: a picture from the library appears on the phone.
            try await browser.go("\(console)accounts/\(appid)/tasks/new")
            try await browser.click("#msgtype option[value=image]")
            try await browser.click("#image_media option:nth-child(2)")
            try await eventually("the picture in the preview") {
                try await browser.count("[data-preview=image]:not([hidden]) img[src$='/content']") == 1
            }
            try await Self.shoot(browser, "11-composer-image", backend)
            // A news card: what is typed reaches the phone as text, never as markup.
            try await browser.click("#msgtype option[value=news]")
            try await browser.type("#news_title", "<img src=x onerror=alert(1)>")
            #expect(try await browser.text("[data-preview=news] strong") == "<img src=x onerror=alert(1)>")
            #expect(try await browser.alertText() == nil)

            // A rule: the window-policy warning appears and goes as the delay changes.
            try await browser.go("\(console)accounts/\(appid)/rules/new")
            try await browser.type("#name", "<img src=x onerror=alert(1)>")
            try await browser.type("#delay_seconds", "7200")
            try await eventually("the warning for a 2 h delay on a 1 h window") { try await browser.count("[data-warnings]:not([hidden]) li") == 1 }
            #expect(try await browser.text("[data-warnings] li").contains("1 小时"))
            try await Self.shoot(browser, "12-rule-warning", backend)
            try await browser.type("#delay_seconds", "1")
            try await eventually("no warning for 1 s") { try await browser.count("[data-warnings]:not([hidden])") == 0 }
            try await browser.type("#text_content", "感谢留言")
            try await browser.click("aside button[type=submit]")
            try await eventually("the rule page") { try await browser.url().contains("/console/rules/") }
            let rulePage = try await browser.url()
            #expect(try await browser.alertText() == nil)
            try await harness.play(appid, [["openid": "oBrowser3", "kind": "text"]])
            try await eventually("the delayed message sent, on the lateness chart", timeout: .seconds(30)) {
                try await browser.go(rulePage)
                return try await browser.count("svg.chart rect") == LatenessBuckets.labels.count
            }
            try await browser.resize(width: 1280, height: 1500)
            try await Self.shoot(browser, "13-rule", backend)
            try await browser.resize(width: 1280, height: 900)

            // The account's charts, its audience, and why oBrowser3 got what it got.
            try await browser.go("\(console)accounts/\(appid)")
            #expect(try await browser.count("svg.chart") == 2)
            try await browser.resize(width: 1280, height: 1400)
            try await Self.shoot(browser, "13a-account-charts", backend)
            try await browser.resize(width: 1280, height: 900)
            try await browser.go("\(console)accounts/\(appid)/audience")
            #expect(try await browser.count("table tbody tr") == 25)
            try await Self.shoot(browser, "13b-audience", backend)
            try await browser.type("#openid", "oBrowser3")
            try await browser.click("form.filters button[type=submit]")
            try await eventually("the follower's page") { try await browser.url().hasSuffix("/followers/oBrowser3") }
            let fromTask = try await browser.count("a[href^='/console/tasks/']"), fromRule = try await browser.count("a[href^='/console/rules/']")
            #expect(fromTask == 1 && fromRule == 1, "the broadcast and the delayed message, each with its reason")
            try await Self.shoot(browser, "13c-follower", backend)

            // English, remembered across pages.
            try await browser.go(console)
            try await browser.click("a[hreflang=en]")
            try await eventually("the page in English") { try await browser.source().contains("Reachable now") }
            try await browser.go("\(console)accounts")
            #expect(try await browser.source().contains("Add an account"))
            try await Self.shoot(browser, "14-accounts-en", backend)
            try await browser.go(rulePage)
            try await Self.shoot(browser, "15-rule-en", backend)

            // A phone: 375 px wide.
            try await browser.resize(width: 375, height: 812)
            try await browser.go(console)
            try await Self.shoot(browser, "16-overview-phone", backend)
            #expect(try await browser.count("table") == 1)
            try await browser.go("\(console)accounts/\(appid)/tasks/new?lang=zh")
            try await Self.shoot(browser, "17-composer-phone", backend)

            // Signing out ends it.
            try await browser.click("form[action='/console/sign-out'] button")
            try await Self.arrive(browser, at: "/console/sign-in")
            try await browser.go(console)
            #expect(try await browser.url().hasSuffix("/console/sign-in"))

            // Back in through a one-time link from `kefu console-link`; the same link again is refused.
            let linker = try KefuProcess(arguments: ["console-link", "--database", harness.database, "--public-url", server.baseURL],
                                         directory: harness.directory.path, logName: "console-link")
            try await eventually("kefu console-link to exit") { !linker.process.isRunning }
            let link = try #require(linker.output.split(separator: "\n").first { $0.hasPrefix("\(server.baseURL)/console/sign-in/link?code=") })
            try await browser.go(String(link))
            try await Self.arrive(browser, at: "/console/")
            #expect(try await browser.count("form[action='/console/sign-out']") == 1, "signed in by the link")
            try await browser.click("form[action='/console/sign-out'] button")
            try await Self.arrive(browser, at: "/console/sign-in")
            try await browser.go(String(link))
            #expect(try await browser.text("[role=alert]").contains("只能使用一次"))
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await browser.quit()
        await harness.shutdown()
    }
}
}

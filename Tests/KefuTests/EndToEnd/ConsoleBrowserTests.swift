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
            try await Self.shoot(browser, "07-media", backend)

            // English, remembered across pages.
            try await browser.go(console)
            try await browser.click("a[hreflang=en]")
            try await eventually("the page in English") { try await browser.source().contains("Reachable now") }
            try await browser.go("\(console)accounts")
            #expect(try await browser.source().contains("Add an account"))
            try await Self.shoot(browser, "08-accounts-en", backend)

            // A phone: 375 px wide.
            try await browser.resize(width: 375, height: 812)
            try await browser.go(console)
            try await Self.shoot(browser, "09-overview-phone", backend)
            #expect(try await browser.count("table") == 1)

            // Signing out ends it.
            try await browser.click("form[action='/console/sign-out'] button")
            try await Self.arrive(browser, at: "/console/sign-in")
            try await browser.go(console)
            #expect(try await browser.url().hasSuffix("/console/sign-in"))
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await browser.quit()
        await harness.shutdown()
    }
}
}

import Crypto
import Foundation
import Hummingbird
import KefuCore
import KefuStore
import KefuWorkers
import Logging
import Mustache
import NIOCore
import WeChatProtocol

/// How the console signs people in.
public struct ConsoleConfiguration: Sendable {
    /// The admin token that signs in; nil: the console is open (kefu listens on loopback only).
    public var adminToken: [UInt8]?
    /// Mark the session cookie `Secure` (kefu is reached over HTTPS).
    public var secureCookies: Bool
    /// Where WeChat reaches kefu (`https://kefu.example.cn`), for the callback URLs the console
    /// shows; nil: the address the browser used.
    public var publicURL: String?
    /// How long a sign-in lasts.
    public var sessionMillis: Int64 = 12 * 3_600_000

    public init(adminToken: [UInt8]?, secureCookies: Bool = false, publicURL: String? = nil) {
        self.adminToken = adminToken
        self.secureCookies = secureCookies
        self.publicURL = publicURL
    }
}

/// `/console/`: the operators' console, server-rendered pages on the same app as the API.
/// Signed in with the admin token into a session kept in the store (cookie `HttpOnly`,
/// `SameSite=Strict`, `Secure` when configured); every form carries the session's CSRF token;
/// every page is sent with a `Content-Security-Policy` that allows no inline script or style.
struct ConsoleController<Context: RequestContext> {
    let store: any ConsoleStore & AccountStore & AccountPauses & MediaStore
    let cache: AccountCache
    let clock: any WallClock
    let configuration: ConsoleConfiguration
    let library: MustacheLibrary

    static var sessionCookie: String { "kefu_session" }
    static var signInCookie: String { "kefu_signin" }
    static var languageCookie: String { "kefu_lang" }
    static var formLimit: Int { 64 * 1024 }
    static var pageSize: Int { 50 }

    let limits: MediaLimits

    init(store: any ConsoleStore & AccountStore & AccountPauses & MediaStore, cache: AccountCache, clock: any WallClock,
         configuration: ConsoleConfiguration, limits: MediaLimits = .wechat) throws {
        self.store = store
        self.limits = limits
        self.cache = cache
        self.clock = clock
        self.configuration = configuration
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/") { _, _ in Self.redirect("/console/") }
        router.get("/console/assets/kefu.css") { _, _ in Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        router.get("/console/assets/kefu.js") { _, _ in Self.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8") }
        router.get("/console/sign-in", use: signInPage)
        router.post("/console/sign-in", use: signIn)
        router.post("/console/sign-out", use: signOut)
        router.get("/console", use: overview)
        router.get("/console/accounts", use: accounts)
        router.get("/console/accounts/new", use: newAccount)
        router.post("/console/accounts", use: createAccount)
        router.get("/console/accounts/:appid", use: account)
        router.get("/console/accounts/:appid/media", use: media)
        router.post("/console/accounts/:appid/media", use: uploadMedia)
        router.get("/console/accounts/:appid/media/:id/content", use: mediaContent)
        router.post("/console/accounts/:appid/media/:id/delete", use: deleteMedia)
    }

    // MARK: Signing in and out

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        if try await session(request) != nil { return Self.redirect("/console/") }
        if configuration.adminToken == nil {
            // Open console (loopback without KEFU_ADMIN_TOKEN, like the API): a session at once.
            var response = Self.redirect("/console/")
            response.setCookie(try await startSession(principal: "local"))
            return response
        }
        return signInForm(page, failed: false, status: .ok)
    }

    func signInForm(_ page: Page, failed: Bool, status: HTTPResponse.Status) -> Response {
        // Before there is a session, the form's token is a cookie of its own (double submit).
        let token = Self.randomHex(16)
        var response = render(page, "signin", title: page.text["signin_title"] ?? "", session: nil, status: status,
                              ["failed": failed, "csrf": token])
        response.setCookie(Cookie(name: Self.signInCookie, value: token, maxAge: 3600, path: "/console", secure: configuration.secureCookies,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        let form = try await Self.form(request, as: SignInForm.self)
        guard let expected = request.cookies[Self.signInCookie]?.value, let presented = form.csrf,
              CallbackSignature.constantTimeEquals(Array(presented.utf8), Array(expected.utf8)) else {
            return errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: nil)
        }
        guard let adminToken = configuration.adminToken else {
            var response = Self.redirect("/console/")
            response.setCookie(try await startSession(principal: "local"))
            return response
        }
        guard let token = form.token, CallbackSignature.constantTimeEquals(Array(token.utf8), adminToken) else {
            context.logger.notice("console sign-in refused", metadata: ["kefu.console.reason": "wrong token"])
            return signInForm(page, failed: true, status: .unauthorized)
        }
        context.logger.info("console sign-in", metadata: ["kefu.console.principal": "admin"])
        var response = Self.redirect("/console/")
        response.setCookie(try await startSession(principal: "admin"))
        response.setCookie(Self.expired(Self.signInCookie, secure: configuration.secureCookies))
        return response
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: session)
        }
        try await store.deleteConsoleSession(idHash: session.idHash)
        var response = Self.redirect("/console/sign-in")
        response.setCookie(Self.expired(Self.sessionCookie, secure: configuration.secureCookies))
        return response
    }

    /// A new session in the store, and its cookie (the store keeps only the value's SHA-256).
    func startSession(principal: String) async throws -> Cookie {
        let value = Self.randomHex(32)
        let now = clock.nowMillis()
        try await store.createConsoleSession(ConsoleSession(idHash: Self.sha256(value), csrf: Self.randomHex(32), principal: principal,
                                                            createdAt: now, expiresAt: now + configuration.sessionMillis))
        return Cookie(name: Self.sessionCookie, value: value, maxAge: Int(configuration.sessionMillis / 1000), path: "/console",
                      secure: configuration.secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// The request's session, unless it is missing, unknown or expired.
    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let value = request.cookies[Self.sessionCookie]?.value, value.utf8.count == 64,
              value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return try await store.consoleSession(idHash: Self.sha256(value), now: clock.nowMillis())
    }

    // MARK: Pages

    @Sendable func overview(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request)
        let summaries = try await store.accountSummaries(appids: accounts.map(\.appid), now: clock.nowMillis())
        let rows: [[String: Any]] = accounts.map { account in
            let summary = summaries[account.appid] ?? AccountSummary()
            var row: [String: Any] = [
                "appid": account.appid, "label": account.name ?? account.appid, "openWindows": summary.openWindows,
                "pushesLastHour": summary.pushesLastHour, "tasksRunning": summary.tasksRunning, "rulesEnabled": summary.rulesEnabled,
            ]
            row.merge(Self.pauseValues(summary.pause, page: page)) { _, new in new }
            return row
        }
        return render(page, "overview", title: page.text["overview_title"] ?? "", session: session, nav: "navOverview",
                      Self.page(rows, next: next))
    }

    @Sendable func accounts(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let (accounts, next) = try await accountsPage(request)
        let rows: [[String: Any]] = accounts.map {
            ["appid": $0.appid, "label": $0.name ?? $0.appid, "sendRate": $0.sendRate, "created": ConsoleFormat.chinaTime($0.createdAt)]
        }
        return render(page, "accounts", title: page.text["accounts_title"] ?? "", session: session, nav: "navAccounts",
                      Self.page(rows, next: next))
    }

    /// The page of accounts `?after=` asks for, and where the next one starts.
    func accountsPage(_ request: Request) async throws -> (accounts: [Account], next: String?) {
        let accounts = try await store.accountPage(after: request.uri.queryParameters.get("after"), limit: Self.pageSize + 1)
        let next = accounts.count > Self.pageSize ? accounts[Self.pageSize - 1].appid : nil
        return (Array(accounts.prefix(Self.pageSize)), next)
    }

    @Sendable func newAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        return render(page, "account-new", title: page.text["new_title"] ?? "", session: session, nav: "navAccounts",
                      ["form": ["sendRate": Account.defaultSendRate, "generateAES": true] as [String: Any]])
    }

    @Sendable func createAccount(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let form = try await Self.checkedForm(request, session: session, as: AccountForm.self) else {
            return errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: session)
        }
        let now = clock.nowMillis()
        let token = form.token.flatMap { $0.isEmpty ? nil : $0 } ?? Self.randomAlphanumeric(32)
        var aesKey = form.encodingAESKey.flatMap { $0.isEmpty ? nil : $0 }
        if aesKey == nil, form.generateAES == "1" { aesKey = Self.randomAlphanumeric(43) }
        let account = Account(
            appid: form.appid ?? "", appSecret: form.appSecret ?? "", token: token, encodingAESKey: aesKey,
            originalId: form.originalId.flatMap { $0.isEmpty ? nil : $0 }, name: form.name.flatMap { $0.isEmpty ? nil : $0 },
            sendRate: Int(form.sendRate ?? "") ?? Account.defaultSendRate, dailyBudget: Account.defaultDailyBudget, reserve: 0,
            createdAt: now, updatedAt: now)
        do {
            try AccountValidation.check(account)
            try await store.createAccount(account)
        } catch let error as KefuError where error.code == .invalid || error.code == .conflict {
            // The form again, with what the operator typed (never the secret) and what was wrong.
            let values: [String: Any] = ["appid": form.appid ?? "", "name": form.name ?? "", "originalId": form.originalId ?? "",
                                         "token": form.token ?? "", "aesKey": form.encodingAESKey ?? "",
                                         "generateAES": form.generateAES == "1", "sendRate": form.sendRate ?? ""]
            return render(page, "account-new", title: page.text["new_title"] ?? "", session: session, nav: "navAccounts",
                          status: .unprocessableContent, ["form": values, "error": error.message])
        }
        cache.put(account)
        context.logger.info("account created", metadata: ["kefu.appid": "\(account.appid)", "kefu.console.principal": "\(session.principal)"])
        // The one time the Token and EncodingAESKey are shown: what to paste into WeChat.
        var values: [String: Any] = ["appid": account.appid, "label": account.name ?? account.appid,
                                     "url": callbackURL(request, appid: account.appid), "token": token]
        if let aesKey { values["aesKey"] = aesKey }  // absent (not nil in an Any): plain mode
        return render(page, "account-created", title: page.text["paste_title"] ?? "", session: session, nav: "navAccounts", values)
    }

    @Sendable func account(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let summary = try await store.accountSummaries(appids: [appid], now: clock.nowMillis())[appid] ?? AccountSummary()
        var values: [String: Any] = [
            "appid": account.appid, "label": account.name ?? account.appid, "url": callbackURL(request, appid: appid),
            "safe": account.encodingAESKey != nil, "sendRate": account.sendRate, "openWindows": summary.openWindows,
        ]
        values.merge(Self.pauseValues(summary.pause, page: page)) { _, new in new }
        return render(page, "account", title: account.name ?? account.appid, session: session, nav: "navAccounts", values)
    }

    // MARK: Media library

    @Sendable func media(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        return try await mediaPage(request, context: context, session: session)
    }

    /// The library of an account: the upload form, then its files newest first, each with a
    /// thumbnail (pictures), where it is used, whether it has a WeChat id, and a delete button.
    func mediaPage(_ request: Request, context: Context, session: ConsoleSession, status: HTTPResponse.Status = .ok,
                   error: String? = nil, notice: String? = nil) async throws -> Response {
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let after = request.uri.queryParameters.get("after").flatMap(MediaCursor.init(text:))
        let items = try await store.mediaList(appid: appid, kind: nil, limit: Self.pageSize + 1, after: after)
        let shown = Array(items.prefix(Self.pageSize))
        let users = try await store.mediaUsers(appid: appid, ids: shown.map(\.id))
        let taskWord = page.text["task_word"] ?? "", ruleWord = page.text["rule_word"] ?? ""
        let rows: [[String: Any]] = shown.map { item in
            var row: [String: Any] = [
                "id": item.id, "filename": item.filename, "kindLabel": page.text["kind_\(item.kind.rawValue)"] ?? item.kind.rawValue,
                "picture": item.kind == .image || item.kind == .thumb, "size": ConsoleFormat.size(item.bytes),
                "created": ConsoleFormat.chinaTime(item.createdAt), "wechat": item.wechatMediaId != nil,
            ]
            if let used = users[item.id] {
                row["users"] = (used.tasks.map { "\(taskWord) \($0)" } + used.rules.map { "\(ruleWord) \($0)" }).joined(separator: ", ")
            }
            return row
        }
        var values: [String: Any] = [
            "appid": appid, "label": account.name ?? appid, "items": rows, "hasItems": !rows.isEmpty,
            "kinds": MediaKind.allCases.map { ["value": $0.rawValue, "label": page.text["kind_\($0.rawValue)"] ?? $0.rawValue] },
        ]
        if items.count > Self.pageSize, let last = shown.last { values["next"] = MediaCursor(createdAt: last.createdAt, id: last.id).text }
        if let error { values["error"] = error }
        if let notice { values["notice"] = notice }
        return render(page, "media", title: page.text["media_title"] ?? "", session: session, nav: "navAccounts", status: status, values)
    }

    @Sendable func uploadMedia(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard try await store.account(appid: appid) != nil else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let form: MultipartForm
        do {
            form = try await MediaUpload.form(request, limits: limits)
        } catch let error as HTTPError {
            return try await mediaPage(request, context: context, session: session, status: error.status, error: error.body)
        }
        // The CSRF token travels as a field of the multipart form.
        guard let presented = form.first(named: "_csrf").map({ Array($0.body) }),
              CallbackSignature.constantTimeEquals(presented, Array(session.csrf.utf8)) else {
            return errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: session)
        }
        do {
            let (item, created) = try await MediaUpload.store(form, appid: appid, limits: limits, store: store, clock: clock)
            context.logger.info("media uploaded", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(item.id)",
                                                             "kefu.console.principal": "\(session.principal)"])
            let notice = (page.text[created ? "media_uploaded" : "media_existing"] ?? "") + " " + item.filename
            return try await mediaPage(request, context: context, session: session, notice: notice)
        } catch let error as KefuError where error.code == .invalid {
            return try await mediaPage(request, context: context, session: session, status: .unprocessableContent, error: error.message)
        }
    }

    @Sendable func mediaContent(_ request: Request, context: Context) async throws -> Response {
        guard try await session(request) != nil else { return Response(status: .unauthorized) }
        let appid = try context.parameters.require("appid"), id = try context.parameters.require("id")
        guard MediaItem.isId(id), let (item, bytes) = try await store.mediaContent(appid: appid, id: id) else { return Response(status: .notFound) }
        return Response(status: .ok, headers: [
            .contentType: item.contentType, .init("X-Content-Type-Options")!: "nosniff", .cacheControl: "private, max-age=86400",
            .init("Content-Security-Policy")!: "default-src 'none'",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func deleteMedia(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: session)
        }
        let appid = try context.parameters.require("appid"), id = try context.parameters.require("id")
        guard MediaItem.isId(id) else { return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session) }
        switch try await store.deleteMedia(appid: appid, id: id) {
        case .deleted:
            context.logger.info("media deleted", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(id)",
                                                            "kefu.console.principal": "\(session.principal)"])
            return Self.redirect("/console/accounts/\(appid)/media")
        case .notFound:
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        case .inUse(let tasks, let rules):
            let users = tasks.map { "\(page.text["task_word"] ?? "") \($0)" } + rules.map { "\(page.text["rule_word"] ?? "") \($0)" }
            return try await mediaPage(request, context: context, session: session, status: .conflict,
                                       error: (page.text["media_in_use"] ?? "") + " " + users.joined(separator: ", "))
        }
    }

    // MARK: Rendering

    /// A list page's values. Mustache takes a key holding `nil` inside `Any` as present, so a
    /// missing next page is a missing key.
    static func page(_ rows: [[String: Any]], next: String?) -> [String: Any] {
        var values: [String: Any] = ["rows": rows, "hasRows": !rows.isEmpty]
        if let next { values["next"] = next }
        return values
    }

    /// What every page needs from its request: the language and where it was asked for.
    struct Page {
        var language: ConsoleLanguage
        var languageChosen: Bool
        var text: [String: String] { language.text }

        init(_ request: Request) {
            let query = request.uri.queryParameters.get("lang")
            language = ConsoleLanguage.choose(query: query, cookie: request.cookies[ConsoleController.languageCookie]?.value,
                                              acceptLanguage: request.headers[.acceptLanguage])
            languageChosen = query.flatMap(ConsoleLanguage.init(rawValue:)) != nil
        }
    }

    func render(_ page: Page, _ template: String, title: String, session: ConsoleSession?, nav: String? = nil,
                status: HTTPResponse.Status = .ok, _ values: [String: Any]) -> Response {
        var context = values
        context["t"] = page.text
        context["lang"] = page.language.tag
        context["otherLang"] = page.language.other.rawValue
        if let session, context["csrf"] == nil { context["csrf"] = session.csrf }
        let body = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = ["t": page.text, "lang": page.language.tag, "otherLang": page.language.other.rawValue,
                                     "title": title, "body": body, "signedIn": session != nil, "csrf": session?.csrf ?? ""]
        if let nav { layout[nav] = true }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        var response = Response(status: status, headers: Self.pageHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
        if page.languageChosen {
            response.setCookie(Cookie(name: Self.languageCookie, value: page.language.rawValue, maxAge: 365 * 86_400, path: "/console",
                                      secure: configuration.secureCookies, httpOnly: true, sameSite: .strict))
        }
        return response
    }

    func errorPage(_ page: Page, _ status: HTTPResponse.Status, _ message: String, session: ConsoleSession?) -> Response {
        render(page, "error", title: page.text["error_title"] ?? "", session: session, status: status, ["message": message])
    }

    /// Every console page: no script, style or frame from anywhere but kefu itself, nothing inline.
    static var pageHeaders: HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .init("Content-Security-Policy")!: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            .init("X-Content-Type-Options")!: "nosniff",
            .init("X-Frame-Options")!: "DENY",
            .init("Referrer-Policy")!: "no-referrer",
            .cacheControl: "no-store",
        ]
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .init("X-Content-Type-Options")!: "nosniff", .cacheControl: "public, max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func expired(_ name: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/console", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The callback URL WeChat is given for an account.
    func callbackURL(_ request: Request, appid: String) -> String {
        var base = configuration.publicURL ?? "http://\(request.head.authority ?? "127.0.0.1")"
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/wechat/\(appid)"
    }

    /// A pause as the overview and the account page show it: until when, why, what to do.
    static func pauseValues(_ pause: AccountPause?, page: Page) -> [String: Any] {
        guard let pause else { return [:] }
        return ["paused": true, "pausedUntil": ConsoleFormat.chinaTime(pause.until), "reason": pause.reason,
                "advice": page.text[adviceKey(pause.reason)] ?? ""]
    }

    /// What to do about a pause, by its reason.
    static func adviceKey(_ reason: String) -> String {
        if reason.contains("45009") { return "advice_quota" }
        if reason.contains("45011") { return "advice_minute" }
        if reason.hasPrefix(AccountPause.unreachablePrefix) { return "advice_unreachable" }
        if reason.contains("48001") || reason.contains("48004") { return "advice_banned" }
        if reason.contains("credentials") || reason.contains("app_secret") { return "advice_secret" }
        return "advice_other"
    }

    // MARK: Forms

    /// An `application/x-www-form-urlencoded` body (at most 64 KB); a 400 when it is not one.
    static func form<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: formLimit)
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: body))
        } catch {
            throw HTTPError(.badRequest, message: "the form is not application/x-www-form-urlencoded")
        }
    }

    /// The form, when its CSRF token is the session's; nil (answer 403, change nothing) otherwise.
    static func checkedForm<T: Decodable & CSRFCarrying>(_ request: Request, session: ConsoleSession, as type: T.Type) async throws -> T? {
        let form = try await Self.form(request, as: T.self)
        guard let presented = form.csrf, CallbackSignature.constantTimeEquals(Array(presented.utf8), Array(session.csrf.utf8)) else {
            return nil
        }
        return form
    }

    static func sha256(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    static func randomHex(_ bytes: Int) -> String {
        Hex.random(bytes: bytes)
    }

    /// Letters and digits (a callback Token, an EncodingAESKey), from the system's random source.
    static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// A form that carries the session's CSRF token.
protocol CSRFCarrying { var csrf: String? { get } }

/// The console's forms, as `application/x-www-form-urlencoded` bodies decode.
struct CSRFOnly: Decodable, CSRFCarrying {
    var csrf: String?
    enum CodingKeys: String, CodingKey { case csrf = "_csrf" }
}

struct SignInForm: Decodable, CSRFCarrying {
    var csrf: String?
    var token: String?
    enum CodingKeys: String, CodingKey { case csrf = "_csrf", token }
}

struct AccountForm: Decodable, CSRFCarrying {
    var csrf: String?
    var appid, appSecret, name, originalId, token, encodingAESKey, generateAES, sendRate: String?
    enum CodingKeys: String, CodingKey {
        case csrf = "_csrf", appid, appSecret = "app_secret", name, originalId = "original_id", token
        case encodingAESKey = "encoding_aes_key", generateAES = "generate_aes", sendRate = "send_rate"
    }
}

/// Times as operators in China read them.
enum ConsoleFormat {
    /// 1.2 MB, 64 KB, 299 B.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.0f KB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) B"
    }

    /// China keeps UTC+8 all year (no daylight saving since 1991), so one fixed-offset calendar.
    static let china: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar
    }()

    /// `2026-12-01 08:30 (UTC+8)`.
    static func chinaTime(_ millis: Int64) -> String {
        let parts = china.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d-%02d-%02d %02d:%02d (UTC+8)", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }
}

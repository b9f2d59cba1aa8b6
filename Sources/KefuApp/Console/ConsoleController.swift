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
    /// The admin token that signs in (named API tokens sign in too); nil: the console is open
    /// to a visitor without a token (kefu listens on loopback only).
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
    let store: any ConsoleStore & AccountStore & AccountPauses & MediaStore & BroadcastStore & RuleStore & AudienceReader & ApiTokenStore
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
    let policy: WindowPolicy
    /// Failed sign-ins by address, shared with the API's bearer check.
    let throttle: SignInThrottle
    let metrics: KefuMetrics
    /// The API's token check, which the sign-in form uses too.
    let authority: TokenAuthority

    init(store: any ConsoleStore & AccountStore & AccountPauses & MediaStore & BroadcastStore & RuleStore & AudienceReader & ApiTokenStore,
         cache: AccountCache,
         clock: any WallClock, configuration: ConsoleConfiguration, limits: MediaLimits = .wechat, policy: WindowPolicy = .wechatDefault,
         throttle: SignInThrottle = SignInThrottle(), metrics: KefuMetrics = KefuMetrics(), authority: TokenAuthority) throws {
        self.store = store
        self.authority = authority
        self.throttle = throttle
        self.metrics = metrics
        self.policy = policy
        self.limits = limits
        self.cache = cache
        self.clock = clock
        self.configuration = configuration
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.library = library
    }

    func addRoutes(to router: Router<Context>) where Context: AccessRequestContext {
        router.get("/") { _, _ in Self.redirect("/console/") }
        router.get("/console/assets/kefu.css") { _, _ in Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        router.get("/console/assets/kefu.js") { _, _ in Self.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8") }
        router.get("/console/sign-in", use: signInPage)
        router.post("/console/sign-in", use: signIn)
        router.get("/console/sign-in/link", use: signInLink)
        router.post("/console/sign-out", use: signOut)
        router.get("/console", use: overview)
        // Every other page behind the role and account-scope check (`ConsolePermissions`).
        let console = router.group("/console").add(middleware: ConsoleAccessMiddleware(controller: self))
        console.get("/accounts", use: accounts)
        console.get("/accounts/new", use: newAccount)
        console.post("/accounts", use: createAccount)
        console.get("/accounts/:appid", use: account)
        console.get("/accounts/:appid/edit", use: editAccount)
        console.post("/accounts/:appid/edit", use: updateAccount)
        console.post("/accounts/:appid/rotate-aes", use: rotateAESKey)
        console.get("/accounts/:appid/audience", use: audience)
        console.get("/accounts/:appid/followers/:openid", use: follower)
        console.get("/accounts/:appid/media", use: media)
        console.post("/accounts/:appid/media", use: uploadMedia)
        console.get("/accounts/:appid/media/:id/content", use: mediaContent)
        console.post("/accounts/:appid/media/:id/delete", use: deleteMedia)
        console.get("/accounts/:appid/tasks", use: tasks)
        console.get("/accounts/:appid/tasks/new", use: newTask)
        console.post("/accounts/:appid/tasks", use: createTask)
        console.get("/accounts/:appid/forecast", use: forecast)
        console.get("/tasks/:id", use: task)
        console.get("/tasks/:id/progress", use: taskProgress)
        console.post("/tasks/:id/test", use: testTask)
        console.post("/tasks/:id/:action", use: taskAction)
        console.get("/accounts/:appid/rules", use: rules)
        console.get("/accounts/:appid/rules/new", use: newRule)
        console.post("/accounts/:appid/rules", use: saveRule)
        console.get("/accounts/:appid/rule-warnings", use: ruleWarnings)
        console.get("/rules/:id", use: rule)
        console.get("/rules/:id/edit", use: editRule)
        console.post("/rules/:id", use: saveRule)
        console.post("/rules/:id/delete", use: deleteRule)
    }

    // MARK: Signing in and out

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        if try await session(request, context) != nil { return Self.redirect("/console/") }
        if configuration.adminToken == nil {
            // Open console (loopback without KEFU_ADMIN_TOKEN, like the API): a session at once.
            var response = Self.redirect("/console/")
            response.setCookie(try await startSession(principal: "local"))
            return response
        }
        return signInForm(page, failed: false, status: .ok)
    }

    func signInForm(_ page: Page, failed: Bool, linkFailed: Bool = false, tooMany: Bool = false, status: HTTPResponse.Status) -> Response {
        // Before there is a session, the form's token is a cookie of its own (double submit).
        let token = Self.randomHex(16)
        var response = render(page, "signin", title: page.text["signin_title"] ?? "", session: nil, status: status,
                              ["failed": failed, "linkFailed": linkFailed, "tooMany": tooMany, "csrf": token])
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
        let address = RemoteAddress.of(context), now = clock.nowMillis()
        if let refused = throttled(page, address: address, now: now) { return refused }
        guard let token = form.token, let access = try await authority.access(presented: Array(token.utf8), now: now) else {
            context.logger.notice("console sign-in refused", metadata: ["kefu.console.reason": "wrong token"])
            refusedSignIn(address: address, now: now, context: context)
            return signInForm(page, failed: true, status: .unauthorized)
        }
        // A named token signs in as itself: its role, scope and revocation hold for the session.
        let principal = access.tokenId.map { "token:" + $0 } ?? "admin"
        context.logger.info("console sign-in", metadata: ["kefu.console.principal": "\(principal)"])
        var response = Self.redirect("/console/")
        response.setCookie(try await startSession(principal: principal))
        response.setCookie(Self.expired(Self.signInCookie, secure: configuration.secureCookies))
        return response
    }

    /// `GET /console/sign-in/link?code=`: a one-time link (`ConsoleLinks`) signs in once; a used,
    /// expired or made-up code is the sign-in form with a 401.
    @Sendable func signInLink(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        let code = request.uri.queryParameters.get("code") ?? ""
        let address = RemoteAddress.of(context), now = clock.nowMillis()
        if let refused = throttled(page, address: address, now: now) { return refused }
        guard ConsoleLinks.isCode(code), let principal = try await store.consumeConsoleLink(codeHash: Self.sha256(code), now: now) else {
            context.logger.notice("console sign-in refused", metadata: ["kefu.console.reason": "unknown or used link"])
            refusedSignIn(address: address, now: now, context: context)
            return signInForm(page, failed: false, linkFailed: true, status: .unauthorized)
        }
        context.logger.info("console sign-in", metadata: ["kefu.console.principal": "\(principal)", "kefu.console.via": "link"])
        var response = Self.redirect("/console/")
        response.setCookie(try await startSession(principal: principal))
        return response
    }

    /// The sign-in form with `429` while `address` is held back by the throttle; nil otherwise.
    func throttled(_ page: Page, address: String, now: Int64) -> Response? {
        guard let retryAfter = throttle.held(address, now: now, surface: "console", metrics: metrics) else { return nil }
        var response = signInForm(page, failed: false, tooMany: true, status: .tooManyRequests)
        response.headers[.retryAfter] = retryAfter
        return response
    }

    /// A wrong token or link: counted, and logged when it starts a hold on the address.
    func refusedSignIn(address: String, now: Int64, context: Context) {
        throttle.refused(address, now: now, surface: "console", metrics: metrics, logger: context.logger)
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        let page = Page(request)
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return csrfRefused(page, session)
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

    /// The request's session: the one `ConsoleAccessMiddleware` already resolved for this
    /// request, else looked up (the pages it does not guard: sign-out, the overview).
    func session(_ request: Request, _ context: Context) async throws -> ConsoleSession? {
        if let resolved = (context as? any AccessRequestContext)?.consoleSession { return resolved }
        return try await session(request)
    }

    /// The request's session with its role and scope, unless it is missing, unknown or expired,
    /// or its token was revoked or expired since.
    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let idHash = Self.sessionIdHash(request) else { return nil }
        let now = clock.nowMillis()
        guard var session = try await store.consoleSession(idHash: idHash, now: now),
              let access = try await Self.principalAccess(session.principal, store: store, now: now) else { return nil }
        session.role = access.role
        session.accounts = access.accounts
        return session
    }

    /// What a session's principal may do now: `admin` and `local` everything; `token:<id>` its
    /// token's role and scope while the token is active; nil once it is not.
    static func principalAccess(_ principal: String, store: any ApiTokenStore, now: Int64) async throws -> Access? {
        switch principal {
        case "admin": return .bootstrapAdmin
        case "local": return .local
        default:
            guard principal.hasPrefix("token:"), let token = try await store.apiToken(id: String(principal.dropFirst("token:".count))),
                  token.isActive(now: now) else { return nil }
            return Access(name: token.name, role: token.role, accounts: token.accounts.map(Set.init), tokenId: token.id)
        }
    }

    /// The name a principal goes by in the audit log: a named token's name, else the principal.
    static func principalName(_ principal: String, store: any ApiTokenStore) async throws -> String {
        guard principal.hasPrefix("token:") else { return principal }
        return try await store.apiToken(id: String(principal.dropFirst("token:".count)))?.name ?? principal
    }

    /// The stored key of the request's session cookie (its SHA-256), when it has one of the
    /// form kefu issues (64 hex digits); the audit log looks sessions up the same way.
    static func sessionIdHash(_ request: Request) -> String? {
        guard let value = request.cookies[sessionCookie]?.value, ConsoleLinks.isCode(value) else { return nil }
        return sha256(value)
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

        init(language: ConsoleLanguage) {
            self.language = language
            languageChosen = false
        }

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
        // What the role allows: controls it may not use are not shown (and refused if sent).
        if let session {
            if session.role >= .operator { context["mayOperate"] = true }
            if session.role >= .admin { context["mayAdmin"] = true }
        }
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

    /// A form whose CSRF token is missing or not the session's: 403, nothing changed.
    func csrfRefused(_ page: Page, _ session: ConsoleSession?) -> Response {
        errorPage(page, .forbidden, page.text["error_csrf"] ?? "", session: session)
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

    /// Why a form holding a NUL character is refused (a 400): PostgreSQL's text cannot hold one,
    /// and the API refuses `\u0000` the same way.
    static var nulInForm: String { "the form contains a NUL character (%00), which no field can hold" }

    /// An `application/x-www-form-urlencoded` body (at most 64 KB); a 400 when it is not one, or
    /// when it holds a NUL character.
    static func form<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T {
        var request = request
        let body = try await request.collectBody(upTo: formLimit)
        let text = String(buffer: body)
        guard !text.utf8.contains(0), !text.contains("%00") else { throw HTTPError(.badRequest, message: nulInForm) }
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: text)
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

/// One-time sign-in links to the console: `kefu demo` prints one, `kefu console-link` makes one
/// for a deployment signed in with a token. The code is 32 random bytes; the store keeps only
/// its SHA-256, and the first use takes it away.
public enum ConsoleLinks {
    /// Makes a link's code for `principal`, valid for `lifetimeMillis`; the link is
    /// `<base>/console/sign-in/link?code=<code>`.
    public static func create(store: any ConsoleStore, principal: String = "admin", now: Int64, lifetimeMillis: Int64) async throws -> String {
        let code = Hex.random(bytes: 32)
        try await store.createConsoleLink(codeHash: Hex.encode(SHA256.hash(data: Array(code.utf8))), principal: principal, now: now,
                                          expiresAt: now + lifetimeMillis)
        return code
    }

    /// The path (and query) of a link with `code`.
    public static func path(_ code: String) -> String { "/console/sign-in/link?code=\(code)" }

    static func isCode(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
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

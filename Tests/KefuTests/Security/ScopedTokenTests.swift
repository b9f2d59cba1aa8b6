import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import NIOCore
import Testing

/// Named API tokens (#19 item 2): roles against every route, account scopes that answer as if
/// other accounts were absent, revocation and expiry, the tokens API with hostile input, and the
/// console signed in with a scoped token.
@Suite("Scoped API tokens")
struct ScopedTokenTests {
    static let teamA = TestAccounts.plain(61), teamB = TestAccounts.plain(62)
    static let message = #"{"msgtype": "text", "text": {"content": "hi"}}"#

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    /// One request, as a token presents it.
    struct Call {
        var method: HTTPRequest.Method
        var path: String
        var body: String? = nil
        var multipart: [UInt8]? = nil

        func send(_ app: KefuAppHarness.Context, token: String) async throws -> TestResponse {
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: multipart == nil ? "application/json" : MediaFiles.contentType]
            if body == nil && multipart == nil { headers[.contentType] = nil }
            let bytes = multipart.map { ByteBuffer(bytes: $0) } ?? body.map { ByteBuffer(string: $0) }
            return try await app.client.execute(uri: "/api/v1\(path)", method: method, headers: headers, body: bytes)
        }
    }

    /// Creates (as the bootstrap admin) what a route needs on `appid`, and the call that uses it.
    static func fixture(_ route: String, appid: String, _ app: KefuAppHarness.Context, serial: Int) async throws -> Call {
        func created(_ response: TestResponse) throws -> Int {
            try #require(json(response)["id"] as? Int, "\(String(buffer: response.body))")
        }
        func task() async throws -> Int {
            try created(try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(message)}"#))
        }
        func rule() async throws -> Int {
            try created(try await app.api(.post, "/rules", #"{"name": "r", "appid": "\#(appid)", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": \#(message)}"#))
        }
        func media() async throws -> String {
            let upload = try await app.send(.post, "/accounts/\(appid)/media", bytes: picture(serial), contentType: MediaFiles.contentType)
            return try #require(json(upload)["id"] as? String)
        }
        let newAppid = TestAccounts.appid(0x1000 + serial)
        switch route {
        case "POST /api/v1/accounts":
            return Call(method: .post, path: "/accounts", body: #"{"appid": "\#(newAppid)", "app_secret": "secret0123456789secret0123456789", "token": "tok\#(serial)"}"#)
        case "GET /api/v1/accounts": return Call(method: .get, path: "/accounts")
        case "GET /api/v1/accounts/{appid}": return Call(method: .get, path: "/accounts/\(appid)")
        case "PATCH /api/v1/accounts/{appid}": return Call(method: .patch, path: "/accounts/\(appid)", body: #"{"name": "renamed"}"#)
        case "DELETE /api/v1/accounts/{appid}":
            // A throwaway account, unless the call is about another team's (which must stay).
            if appid == teamB.appid { return Call(method: .delete, path: "/accounts/\(appid)") }
            _ = try await app.api(.post, "/accounts", #"{"appid": "\#(newAppid)", "app_secret": "secret0123456789secret0123456789", "token": "tok\#(serial)"}"#)
            return Call(method: .delete, path: "/accounts/\(newAppid)")
        case "GET /api/v1/accounts/{appid}/audience": return Call(method: .get, path: "/accounts/\(appid)/audience")
        case "GET /api/v1/accounts/{appid}/followers/{openid}": return Call(method: .get, path: "/accounts/\(appid)/followers/oFollower")
        case "POST /api/v1/accounts/{appid}/interactions":
            return Call(method: .post, path: "/accounts/\(appid)/interactions",
                        body: #"{"interactions": [{"openid": "oImport\#(serial)", "kind": "message", "at": "\#(RFC3339.format(millis: SystemWallClock().nowMillis()))"}]}"#)
        case "POST /api/v1/accounts/{appid}/media":
            return Call(method: .post, path: "/accounts/\(appid)/media", multipart: picture(serial))
        case "GET /api/v1/accounts/{appid}/media": return Call(method: .get, path: "/accounts/\(appid)/media")
        case "GET /api/v1/accounts/{appid}/media/{id}": return Call(method: .get, path: "/accounts/\(appid)/media/\(try await media())")
        case "GET /api/v1/accounts/{appid}/media/{id}/content": return Call(method: .get, path: "/accounts/\(appid)/media/\(try await media())/content")
        case "DELETE /api/v1/accounts/{appid}/media/{id}": return Call(method: .delete, path: "/accounts/\(appid)/media/\(try await media())")
        case "POST /api/v1/tasks":
            return Call(method: .post, path: "/tasks", body: #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(message)}"#)
        case "GET /api/v1/tasks": return Call(method: .get, path: "/tasks?appid=\(appid)")
        case "GET /api/v1/tasks/{id}": return Call(method: .get, path: "/tasks/\(try await task())")
        case "GET /api/v1/tasks/{id}/preview": return Call(method: .get, path: "/tasks/\(try await task())/preview")
        case "GET /api/v1/tasks/{id}/deliveries": return Call(method: .get, path: "/tasks/\(try await task())/deliveries")
        case "POST /api/v1/tasks/{id}/cancel": return Call(method: .post, path: "/tasks/\(try await task())/cancel")
        case "POST /api/v1/tasks/{id}/pause": return Call(method: .post, path: "/tasks/\(try await task())/pause")
        case "POST /api/v1/tasks/{id}/resume":
            let id = try await task()
            #expect(try await app.api(.post, "/tasks/\(id)/pause").status == .ok)
            return Call(method: .post, path: "/tasks/\(id)/resume")
        case "POST /api/v1/tasks/{id}/test": return Call(method: .post, path: "/tasks/\(try await task())/test", body: #"{"openids": ["oFollower"]}"#)
        case "POST /api/v1/rules":
            return Call(method: .post, path: "/rules", body: #"{"name": "r", "appid": "\#(appid)", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": \#(message)}"#)
        case "GET /api/v1/rules": return Call(method: .get, path: "/rules?appid=\(appid)")
        case "GET /api/v1/rules/{id}": return Call(method: .get, path: "/rules/\(try await rule())")
        case "PATCH /api/v1/rules/{id}": return Call(method: .patch, path: "/rules/\(try await rule())", body: #"{"enabled": false}"#)
        case "DELETE /api/v1/rules/{id}": return Call(method: .delete, path: "/rules/\(try await rule())")
        case "GET /api/v1/rules/{id}/deliveries": return Call(method: .get, path: "/rules/\(try await rule())/deliveries")
        case "GET /api/v1/audit": return Call(method: .get, path: "/audit")
        case "GET /api/v1/tokens": return Call(method: .get, path: "/tokens")
        case "POST /api/v1/tokens": return Call(method: .post, path: "/tokens", body: #"{"name": "made \#(serial)", "role": "viewer"}"#)
        case "DELETE /api/v1/tokens/{id}":
            let made = try await app.api(.post, "/tokens", #"{"name": "doomed \#(serial)", "role": "viewer"}"#)
            return Call(method: .delete, path: "/tokens/\(try #require(json(made)["id"] as? String))")
        default:
            Issue.record("no fixture for \(route): add one")
            return Call(method: .get, path: "/nowhere")
        }
    }

    /// A small PNG whose bytes differ by `serial` (a new library item each time).
    static func picture(_ serial: Int) -> [UInt8] {
        var bytes = MediaFiles.file(.png, size: 256)
        bytes[bytes.count - 1] = UInt8(serial % 256)
        bytes[bytes.count - 2] = UInt8(serial / 256 % 256)
        return MediaFiles.multipart([.field("type", "image"), .file(bytes, filename: "p\(serial).png", contentType: "image/png")])
    }

    /// Makes a named token through the API; its secret.
    static func token(_ app: KefuAppHarness.Context, _ body: String) async throws -> String {
        let made = try await app.api(.post, "/tokens", body)
        #expect(made.status == .created, "\(String(buffer: made.body))")
        return try #require(json(made)["token"] as? String)
    }

    static func run(_ backend: StoreBackend, _ body: @escaping @Sendable (KefuAppHarness.Context) async throws -> Void) async throws {
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0 }, accounts: [teamA, teamB]) { app in
            for account in [teamA, teamB] {
                let imported = try await app.api(.post, "/accounts/\(account.appid)/interactions",
                                                 #"{"interactions": [{"openid": "oFollower", "kind": "message", "at": "\#(RFC3339.format(millis: SystemWallClock().nowMillis()))"}]}"#)
                #expect(imported.status == .ok)
            }
            try await body(app)
        }
    }

    @Test("each role against each route: allowed → 2xx, forbidden → 403; a token scoped to team A gets 404 for team B's account, task or rule, as if absent",
          arguments: StoreBackend.allCases)
    func roles(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let tokens: [(AccessRole, String)] = [
                (.viewer, try await Self.token(app, #"{"name": "team-a viewer", "role": "viewer", "accounts": ["\#(Self.teamA.appid)"]}"#)),
                (.operator, try await Self.token(app, #"{"name": "team-a operator", "role": "operator", "accounts": ["\#(Self.teamA.appid)"]}"#)),
                (.admin, try await Self.token(app, #"{"name": "ops admin", "role": "admin"}"#)),
            ]
            let names: [AccessRole: String] = [.viewer: "team-a viewer", .operator: "team-a operator", .admin: "ops admin"]
            var writes: [(actor: String, method: String, path: String, status: Int)] = []
            var serial = 0
            for route in ApiPermissions.table.routes.keys.sorted() {
                let needed = ApiPermissions.table.routes[route]!
                for (role, secret) in tokens {
                    serial += 1
                    let call = try await Self.fixture(route, appid: Self.teamA.appid, app, serial: serial)
                    let response = try await call.send(app, token: secret)
                    if call.method != .get { writes.append((names[role]!, call.method.rawValue, call.path, Int(response.status.code))) }
                    if role >= needed {
                        #expect((200..<300).contains(response.status.code), "\(role) \(route): \(response.status) \(String(buffer: response.body))")
                    } else {
                        #expect(response.status == .forbidden, "\(role) \(route): \(response.status)")
                        #expect(Self.json(response)["error"] != nil, "the error shape")
                    }
                    // Team B, seen through a token scoped to team A: absent.
                    guard role >= needed, role != .admin, route.contains("{appid}") || route.contains("/tasks/{id}") || route.contains("/rules/{id}") else { continue }
                    serial += 1
                    let other = try await Self.fixture(route, appid: Self.teamB.appid, app, serial: serial)
                    let refused = try await other.send(app, token: secret)
                    if other.method != .get { writes.append((names[role]!, other.method.rawValue, other.path, Int(refused.status.code))) }
                    #expect(refused.status == .notFound, "\(role) \(route) on team B: \(refused.status)")
                    let message = (Self.json(refused)["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.hasPrefix("no account") || message.hasPrefix("no task") || message.hasPrefix("no rule"), "\(message)")
                }
            }
            // Every write, allowed or not, is in the audit log under the token's name, with its answer.
            let log = Self.json(try await app.api(.get, "/audit?limit=1000"))["entries"] as? [[String: Any]] ?? []
            let logged = Set(log.map { "\($0["actor"]!) \($0["action"]!) \($0["target"]!) \($0["status"]!)" })
            for write in writes {
                let path = "/api/v1" + (write.path.split(separator: "?").first.map(String.init) ?? write.path)
                let action = "\(write.method) \(AuditMiddleware<KefuRequestContext>.route(path))"
                #expect(logged.contains("\(write.actor) \(action) \(path) \(write.status)"), "not in the audit log: \(write)")
            }
            #expect(writes.count > 40)

            // Creating on team B's account is answered as for an account that does not exist.
            let operatorSecret = tokens[1].1
            for (path, body) in [("/tasks", #"{"name": "t", "appid": "APPID", "message": \#(Self.message)}"#),
                                 ("/rules", #"{"name": "r", "appid": "APPID", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": \#(Self.message)}"#)] {
                let absent = TestAccounts.appid(0x7777)
                let onB = try await Call(method: .post, path: path, body: body.replacingOccurrences(of: "APPID", with: Self.teamB.appid)).send(app, token: operatorSecret)
                let onNothing = try await Call(method: .post, path: path, body: body.replacingOccurrences(of: "APPID", with: absent)).send(app, token: operatorSecret)
                #expect(onB.status == onNothing.status && onB.status == .unprocessableContent)
                #expect(String(buffer: onB.body).replacingOccurrences(of: Self.teamB.appid, with: absent) == String(buffer: onNothing.body))
            }
        }
    }

    @Test("a scoped token's lists hold only its accounts; every write is in the audit log under the token's name",
          arguments: StoreBackend.allCases)
    func lists(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let viewer = try await Self.token(app, #"{"name": "观察员 A", "role": "viewer", "accounts": ["\#(Self.teamA.appid)"]}"#)
            let operatorSecret = try await Self.token(app, #"{"name": "team-a operator", "role": "operator", "accounts": ["\#(Self.teamA.appid)"]}"#)
            for appid in [Self.teamA.appid, Self.teamB.appid] {
                #expect(try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(Self.message)}"#).status == .created)
                #expect(try await app.api(.post, "/rules", #"{"name": "r", "appid": "\#(appid)", "trigger": {"kind": "message"}, "delay_seconds": 60, "message": \#(Self.message)}"#).status == .created)
            }
            func appids(_ path: String, _ key: String) async throws -> [String] {
                let response = try await Call(method: .get, path: path).send(app, token: viewer)
                #expect(response.status == .ok)
                return (Self.json(response)[key] as? [[String: Any]] ?? []).compactMap { $0["appid"] as? String }
            }
            #expect(try await appids("/accounts", "accounts") == [Self.teamA.appid])
            #expect(try await appids("/tasks", "tasks") == [Self.teamA.appid])
            #expect(try await appids("/tasks?appid=\(Self.teamB.appid)", "tasks") == [])
            #expect(try await appids("/rules", "rules") == [Self.teamA.appid])
            #expect(try await appids("/rules?appid=\(Self.teamB.appid)", "rules") == [])

            let made = try await Call(method: .post, path: "/tasks", body: #"{"name": "by operator", "appid": "\#(Self.teamA.appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(Self.message)}"#)
                .send(app, token: operatorSecret)
            #expect(made.status == .created)
            let log = Self.json(try await app.api(.get, "/audit?action=POST%20/api/v1/tasks"))["entries"] as? [[String: Any]] ?? []
            #expect(log.first?["actor"] as? String == "team-a operator")
            let everything = String(buffer: try await app.api(.get, "/audit?limit=1000").body)
            #expect(!everything.contains(operatorSecret) && !everything.contains(viewer), "no token in the audit log")
            #expect(everything.contains("\"actor\":\"admin\""))
        }
    }

    @Test("revoked and expired tokens get 401, on the API and the console; the bootstrap admin token still works; secrets never listed",
          arguments: StoreBackend.allCases)
    func revocation(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let made = try await app.api(.post, "/tokens", #"{"name": "leaving", "role": "operator", "expires_in": "90d"}"#)
            let secret = try #require(Self.json(made)["token"] as? String)
            let id = try #require(Self.json(made)["id"] as? String)
            #expect(secret.hasPrefix("kefu_") && (Self.json(made)["expires_at"] as? String) != nil)
            #expect(try await Call(method: .get, path: "/accounts").send(app, token: secret).status == .ok)
            var browser = ConsoleTests.Browser(client: app.client)
            #expect(try await browser.signIn(token: secret).status == .seeOther)
            #expect(try await browser.get("/console/accounts").status == .ok)

            #expect(try await app.api(.delete, "/tokens/\(id)").status == .noContent)
            #expect(try await app.api(.delete, "/tokens/\(id)").status == .notFound, "revoked once")
            let refused = try await Call(method: .get, path: "/accounts").send(app, token: secret)
            #expect(refused.status == .unauthorized && Self.json(refused)["error"] != nil)
            let signedOut = try await browser.get("/console/accounts")
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/console/sign-in", "its session ended with it")
            #expect(try await browser.signIn(token: secret).status == .unauthorized)

            // Expired: made a minute ago with a lifetime that has passed.
            let now = SystemWallClock().nowMillis()
            let (expired, expiredSecret) = try TokenAuthority.mint(name: "expired", role: .admin, accounts: nil, expiresAt: now - 1, now: now - 60_000)
            try await app.store.createApiToken(expired)
            #expect(try await Call(method: .get, path: "/accounts").send(app, token: expiredSecret).status == .unauthorized)
            #expect(try await browser.signIn(token: expiredSecret).status == .unauthorized)

            let listed = try await app.api(.get, "/tokens")
            let text = String(buffer: listed.body)
            #expect(!text.contains(secret) && !text.contains(expiredSecret) && !text.contains(expired.secretHash), "never a secret or its hash")
            let states = (Self.json(listed)["tokens"] as? [[String: Any]] ?? []).map { "\($0["name"]!) \($0["active"] as? Bool == true)" }.sorted()
            #expect(states == ["expired false", "leaving false"])
            #expect(try await app.api(.get, "/accounts").status == .ok, "the bootstrap admin token")
        }
    }

    @Test("hostile token requests are refused with the field named, and store nothing", arguments: StoreBackend.allCases)
    func hostile(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            _ = try await Self.token(app, #"{"name": "taken", "role": "viewer"}"#)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"name": "<script>alert(1)</script>", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": "tab\tname", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": " padded", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": "\#(String(repeating: "长", count: 65))", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": "", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": "Admin", "role": "viewer"}"#, .unprocessableContent, "name"),
                (#"{"name": "x", "role": "root"}"#, .unprocessableContent, "role"),
                (#"{"name": "x", "role": "viewer", "accounts": ["wxBAD'; DROP TABLE api_tokens;--"]}"#, .unprocessableContent, "accounts"),
                (#"{"name": "x", "role": "viewer", "accounts": []}"#, .unprocessableContent, "accounts"),
                (#"{"name": "x", "role": "admin", "accounts": ["\#(Self.teamA.appid)"]}"#, .unprocessableContent, "accounts"),
                (#"{"name": "x", "role": "viewer", "expires_in": "forever"}"#, .unprocessableContent, "expires_in"),
                (#"{"name": "x", "role": "viewer", "expires_in": "0d"}"#, .unprocessableContent, "expires_in"),
                (#"{"name": "x", "role": "viewer", "expires_in": "99999d"}"#, .unprocessableContent, "expires_in"),
                (#"{"name": "x", "role": "viewer", "accounts": "wx0000000000000061"}"#, .unprocessableContent, "accounts"),
                (#"{"name": "taken", "role": "operator"}"#, .conflict, "a token named"),
                (#"{"name": "x", "role": "viewer""#, .badRequest, ""),
                ("[]", .unprocessableContent, ""),
            ]
            for (body, status, field) in cases {
                let response = try await app.api(.post, "/tokens", body)
                #expect(response.status == status, "\(body): \(response.status) \(String(buffer: response.body))")
                let message = (Self.json(response)["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix(field), "\(body): \(message)")
                #expect(!message.contains("<script>"))
            }
            #expect(try await app.store.apiTokens().map(\.name) == ["taken"], "nothing stored by a refused request")
            // Made-up bearer tokens: refused, never a 5xx.
            for guess in ["kefu_", "kefu_" + String(repeating: "0", count: 200), "kefu_'; SELECT 1;--", "\u{0}"] {
                let response = try await Call(method: .get, path: "/accounts").send(app, token: guess)
                #expect(response.status == .unauthorized, "\(guess.prefix(12))")
            }
        }
    }

    @Test("the console signed in with a viewer token of team A: only A, no controls it may not use, 403 for an operator's form, 404 for team B",
          arguments: StoreBackend.allCases)
    func console(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let task = Self.json(try await app.api(.post, "/tasks", #"{"name": "a task", "appid": "\#(Self.teamA.appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(Self.message)}"#))["id"] as! Int
            let taskB = Self.json(try await app.api(.post, "/tasks", #"{"name": "b task", "appid": "\#(Self.teamB.appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(Self.message)}"#))["id"] as! Int
            let viewer = try await Self.token(app, #"{"name": "team-a viewer", "role": "viewer", "accounts": ["\#(Self.teamA.appid)"]}"#)
            var browser = ConsoleTests.Browser(client: app.client)
            #expect(try await browser.signIn(token: viewer).status == .seeOther)
            for path in ["/console/", "/console/accounts"] {
                let html = ConsoleTests.html(try await browser.get(path))
                #expect(html.contains(Self.teamA.appid) && !html.contains(Self.teamB.appid), "\(path)")
                #expect(!html.contains("/console/accounts/new"), "no add-account button for a viewer")
            }
            let page = ConsoleTests.html(try await browser.get("/console/tasks/\(task)"))
            #expect(page.contains("a task") && !page.contains("/pause\"") && !page.contains("/cancel\"") && !page.contains("class=\"test-send\""))
            let account = ConsoleTests.html(try await browser.get("/console/accounts/\(Self.teamA.appid)"))
            #expect(!account.contains("/edit\"") && !account.contains("rotate-aes"))
            #expect(!ConsoleTests.html(try await browser.get("/console/accounts/\(Self.teamA.appid)/tasks")).contains("/tasks/new"))
            #expect(!ConsoleTests.html(try await browser.get("/console/accounts/\(Self.teamA.appid)/media")).contains("enctype=\"multipart/form-data\""))

            #expect(try await browser.get("/console/accounts/new").status == .forbidden)
            #expect(try await browser.get("/console/accounts/\(Self.teamA.appid)/tasks/new").status == .forbidden)
            let csrf = ConsoleTests.Browser.csrf(try await browser.get("/console/accounts/\(Self.teamA.appid)")) ?? ""
            #expect(!csrf.isEmpty)
            let cancel = try await browser.post("/console/tasks/\(task)/cancel", [("_csrf", csrf)])
            #expect(cancel.status == .forbidden)
            #expect(Self.json(try await app.api(.get, "/tasks/\(task)"))["status"] as? String == "scheduled", "nothing changed")

            for path in ["/console/accounts/\(Self.teamB.appid)", "/console/accounts/\(Self.teamB.appid)/tasks", "/console/tasks/\(taskB)",
                         "/console/accounts/\(Self.teamB.appid)/followers/oFollower"] {
                let response = try await browser.get(path)
                #expect(response.status == .notFound, "\(path)")
                #expect(!ConsoleTests.html(response).contains("b task"))
            }
        }
    }

    @Test("every admin API route is in the permission table, and every route in it is served; likewise the console's pages")
    func table() async throws {
        let routes = try await OpenAPIDocumentTests.servedRoutes()
        let api = Set(routes.filter { $0.contains(" /api/v1") }).subtracting(["GET /api/v1/openapi.json"])
        #expect(api == Set(ApiPermissions.table.routes.keys), "missing: \(api.subtracting(ApiPermissions.table.routes.keys)); stale: \(Set(ApiPermissions.table.routes.keys).subtracting(api))")
        let ungated: Set = ["GET /console", "GET /console/sign-in", "POST /console/sign-in", "GET /console/sign-in/link", "POST /console/sign-out",
                            "GET /console/assets/kefu.css", "GET /console/assets/kefu.js"]
        let console = Set(routes.filter { $0.contains(" /console") }).subtracting(ungated)
        #expect(console == Set(ConsolePermissions.table.routes.keys),
                "missing: \(console.subtracting(ConsolePermissions.table.routes.keys)); stale: \(Set(ConsolePermissions.table.routes.keys).subtracting(console))")
    }
}

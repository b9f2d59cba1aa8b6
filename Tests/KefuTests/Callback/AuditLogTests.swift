import Foundation
import Hummingbird
import HummingbirdTesting
@testable import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import NIOCore
import Testing

/// The audit log (#19): every change through the API or the console, with who, what, when,
/// where from and the outcome; never a body, so never a secret; kept for the retention period.
@Suite("Audit log")
struct AuditLogTests {
    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    static func entries(_ app: KefuAppHarness.Context, _ query: String = "") async throws -> [[String: Any]] {
        let response = try await app.api(.get, "/audit\(query)")
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return json(response)["entries"] as? [[String: Any]] ?? []
    }

    @Test("every API write is logged with the token's name, the route, the path, the address and the status; reads and callbacks are not; no secret in it",
          arguments: StoreBackend.allCases)
    func api(backend: StoreBackend) async throws {
        let account = TestAccounts.aes(3)
        try await KefuAppHarness.run(backend: backend) { app in
            let created = try await app.api(.post, "/accounts", #"{"appid": "\#(account.appid)", "app_secret": "\#(account.appSecret)", "token": "\#(account.token)", "encoding_aes_key": "\#(account.encodingAESKey!)"}"#)
            #expect(created.status == .created)
            #expect(try await app.api(.patch, "/accounts/\(account.appid)", #"{"send_rate": 0}"#).status == .unprocessableContent)
            #expect(try await app.api(.patch, "/accounts/\(account.appid)", #"{"app_secret": "a-new-secret-0123456789abcdef"}"#).status == .ok)
            let task = try await app.api(.post, "/tasks", #"{"name": "t", "appid": "\#(account.appid)", "send_at": "2030-01-01T00:00:00Z", "message": {"msgtype": "text", "text": {"content": "hi"}}}"#)
            let id = try #require(Self.json(task)["id"] as? Int)
            #expect(try await app.api(.post, "/tasks/\(id)/cancel").status == .ok)
            _ = try await app.api(.get, "/tasks/\(id)")
            let stranger = try await app.client.execute(uri: "/api/v1/tasks/\(id)/cancel", method: .post, headers: [.authorization: "Bearer guess-0123456789abcdef"])
            #expect(stranger.status == .unauthorized)

            let log = try await Self.entries(app)
            let lines = log.map { "\($0["actor"]!) \($0["action"]!) \($0["target"]!) \($0["status"]!)" }
            #expect(lines == [
                "unauthenticated POST /api/v1/tasks/{id}/cancel /api/v1/tasks/\(id)/cancel 401",
                "admin POST /api/v1/tasks/{id}/cancel /api/v1/tasks/\(id)/cancel 200",
                "admin POST /api/v1/tasks /api/v1/tasks 201",
                "admin PATCH /api/v1/accounts/{appid} /api/v1/accounts/\(account.appid) 200",
                "admin PATCH /api/v1/accounts/{appid} /api/v1/accounts/\(account.appid) 422",
                "admin POST /api/v1/accounts /api/v1/accounts 201",
            ], "newest first; the GET is not there")
            #expect(log.allSatisfy { $0["address"] as? String == "127.0.0.1" && RFC3339.parse($0["at"] as? String ?? "") != nil })
            let text = String(buffer: try await app.api(.get, "/audit").body)
            for secret in [account.appSecret, account.token, account.encodingAESKey!, "a-new-secret-0123456789abcdef", "test-admin-token-0123456789"] {
                #expect(!text.contains(secret), "no secret in the audit log")
            }

            // Filters and pages.
            #expect(try await Self.entries(app, "?actor=unauthenticated").count == 1)
            #expect(try await Self.entries(app, "?action=PATCH%20/api/v1/accounts").count == 2)
            #expect(try await Self.entries(app, "?target=/api/v1/tasks/\(id)").count == 2)
            #expect(try await Self.entries(app, "?action=%25").isEmpty, "no wildcard in a filter")
            #expect(try await Self.entries(app, "?since=2999-01-01T00:00:00Z").isEmpty)
            let page = Self.json(try await app.api(.get, "/audit?limit=4"))
            let next = try #require(page["next_before"] as? Int)
            #expect(try await Self.entries(app, "?before=\(next)").count == 2)
            for bad in ["?limit=0", "?since=yesterday", "?before=-1", "?actor="] {
                #expect(try await app.api(.get, "/audit\(bad)").status == .unprocessableContent, "\(bad)")
            }
        }
    }

    @Test("console changes are logged under the session's principal; signing in under anonymous")
    func console() async throws {
        try await ConsoleTests.run { app in
            var browser = ConsoleTests.Browser(client: app.client)
            _ = try await browser.signIn(token: "wrong-token-0123456789")
            _ = try await browser.signIn()
            let form = try await browser.get("/console/accounts/new")
            _ = try await browser.post("/console/accounts", [("_csrf", ConsoleTests.Browser.csrf(form) ?? ""), ("appid", "wx00000000000a0d17"),
                                                             ("app_secret", "console-secret-0123456789abcdef"), ("generate_aes", "1")])
            let log = try await Self.entries(app)
            let lines = log.map { "\($0["actor"]!) \($0["action"]!) \($0["status"]!)" }
            #expect(lines == ["console:admin POST /console/accounts 200", "anonymous POST /console/sign-in 303", "anonymous POST /console/sign-in 401"])
            #expect(!String(buffer: try await app.api(.get, "/audit").body).contains("console-secret"))
        }
    }

    /// Stands for the API's access check: it names the actor, as `ApiAccessMiddleware` does.
    struct NamingCheck: RouterMiddleware {
        func handle(_ request: Request, context: KefuRequestContext, next: (Request, KefuRequestContext) async throws -> Response) async throws -> Response {
            context.auditTrail?.actor = "named-by-the-check"
            return try await next(request, context)
        }
    }

    @Test("the actor is the one the access check established; only a change no check saw has its token looked up again")
    func actorFromTheCheck() async throws {
        try await StoreBackend.sqlite.withStore { store, _ in
            let adminToken = "audit-admin-token-0123456789"
            let router = Router(context: KefuRequestContext.self)
            router.add(middleware: AuditMiddleware(store: store, clock: SystemWallClock(),
                                                   authority: TokenAuthority(adminToken: Array(adminToken.utf8), store: store)))
            let api = router.group("/api/v1").add(middleware: NamingCheck())
            api.post("/changes") { _, _ in Response(status: .created) }
            api.post("/failures") { _, _ -> Response in throw HTTPError(.conflict) }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            let statuses: [HTTPResponse.Status] = try await app.test(.live) { client in
                let auth: HTTPFields = [.authorization: "Bearer \(adminToken)"]
                var statuses: [HTTPResponse.Status] = []
                statuses.append(try await client.execute(uri: "/api/v1/changes", method: .post, headers: auth).status)
                statuses.append(try await client.execute(uri: "/api/v1/failures", method: .post, headers: auth).status)
                // No route: no access check ran, so the token is looked up here (it is the admin's).
                statuses.append(try await client.execute(uri: "/api/v1/nothing-here", method: .post, headers: auth).status)
                statuses.append(try await client.execute(uri: "/api/v1/nothing-here", method: .post,
                                                         headers: [.authorization: "Bearer <script>'; DROP TABLE audit_log; --"]).status)
                return statuses
            }
            #expect(statuses == [.created, .conflict, .notFound, .notFound])
            let lines = try await store.auditEntries(AuditQuery()).map { "\($0.actor) \($0.action) \($0.status)" }
            #expect(lines == ["unauthenticated POST /api/v1/nothing-here 404", "admin POST /api/v1/nothing-here 404",
                              "named-by-the-check POST /api/v1/failures 409", "named-by-the-check POST /api/v1/changes 201"])
        }
    }

    @Test("the trimmer keeps the audit log for its retention period", arguments: StoreBackend.allCases)
    func retention(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let now = SystemWallClock().nowMillis(), day: Int64 = 86_400_000
            for age in [400, 366, 10, 0] as [Int64] {
                try await store.recordAudit(AuditEntry(at: now - age * day, actor: "admin", action: "POST /api/v1/tasks", target: "/api/v1/tasks",
                                                       address: "127.0.0.1", status: 201))
            }
            let trimmer = Trimmer(store: store, clock: SystemWallClock(), configuration: .init(), logger: Logger.test())
            #expect(try await trimmer.pass().audit == 2)
            #expect(try await store.auditEntries(AuditQuery()).count == 2)
        }
    }

    @Test("routes group alike changes: ids, appids, media ids and openids become placeholders")
    func routes() {
        #expect(AuditMiddleware<KefuRequestContext>.route("/api/v1/tasks/42/cancel") == "/api/v1/tasks/{id}/cancel")
        #expect(AuditMiddleware<KefuRequestContext>.route("/console/accounts/wx0123456789abcdef/media/m_0123456789abcdef0123/delete")
                == "/console/accounts/{appid}/media/{media}/delete")
        #expect(AuditMiddleware<KefuRequestContext>.route("/api/v1/accounts/wx0123456789abcdef/followers/oAbc") == "/api/v1/accounts/{appid}/followers/{openid}")
    }
}

import Hummingbird
import KefuCore
import KefuStore
import Logging
import WeChatProtocol

/// Writes every change made through the admin API or the console into the audit log: who (the
/// token's name, or the console session's principal), the action (method and route, ids
/// replaced by placeholders), the target (the path), the address and the status answered.
/// Reads (GET, HEAD) and WeChat's callbacks are not changes and are not logged; bodies never are,
/// so no secret can reach the log. Runs outermost, so it sees the status errors became. The
/// actor is the one the access check established (`AuditTrail`); only a change that no access
/// check saw (a route that matched nothing) has its token or session looked up here.
struct AuditMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let store: any AuditStore & ConsoleStore & ApiTokenStore
    let clock: any WallClock
    let authority: TokenAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method != .get, request.method != .head,
              path.hasPrefix("/api/v1/") || (path.hasPrefix("/console/") && !path.hasPrefix("/console/assets/")) else {
            return try await next(request, context)
        }
        let trail = AuditTrail()
        var context = context
        context.auditTrail = trail
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let actor = await actor(trail, request, api: path.hasPrefix("/api/v1/"))
            await record(request, context: context, actor: actor, status: (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500)
            throw error
        }
        let actor = await actor(trail, request, api: path.hasPrefix("/api/v1/"))
        await record(request, context: context, actor: actor, status: Int(response.status.code))
        return response
    }

    /// The access check's actor, or when none ran, the one this request's token or session names.
    func actor(_ trail: AuditTrail, _ request: Request, api: Bool) async -> String {
        if let actor = trail.actor { return actor }
        return await self.actor(request, api: api)
    }

    func record(_ request: Request, context: Context, actor: String, status: Int) async {
        let entry = AuditEntry(at: clock.nowMillis(), actor: actor, action: "\(request.method.rawValue) \(Self.route(request.uri.path))",
                               target: String(request.uri.path.prefix(512)), address: RemoteAddress.of(context), status: status)
        do {
            try await store.recordAudit(entry)
        } catch {
            context.logger.error("audit entry not written", metadata: ["kefu.audit.action": "\(entry.action)", "error": "\(String(reflecting: error))"])
        }
    }

    /// Who is asking, as the access checks put it: on the API the token's name (`admin` for
    /// `KEFU_ADMIN_TOKEN`), `local` on an open loopback API, `unauthenticated` otherwise; on the
    /// console `console:` and the session's principal (`admin`, `local`, or the named token's
    /// name), or `anonymous` before sign-in (`unknown` when the store cannot say: the request
    /// goes on, and its own handler answers for the store).
    func actor(_ request: Request, api: Bool) async -> String {
        do {
            if api {
                guard let header = request.headers[.authorization] else { return authority.adminToken == nil ? "local" : "unauthenticated" }
                guard header.hasPrefix("Bearer "),
                      let access = try await authority.access(presented: Array(header.utf8.dropFirst("Bearer ".count)), now: clock.nowMillis())
                else { return "unauthenticated" }
                return access.name
            }
            guard let idHash = ConsoleController<Context>.sessionIdHash(request),
                  let session = try await store.consoleSession(idHash: idHash, now: clock.nowMillis()) else { return "anonymous" }
            return "console:" + (try await ConsoleController<Context>.principalName(session.principal, store: store))
        } catch {
            return "unknown"
        }
    }

    /// The route of a path: numbers, appids, media ids and openids replaced by placeholders, so
    /// `action` groups alike changes (`POST /api/v1/tasks/{id}/cancel`).
    static func route(_ path: String) -> String {
        var previous = ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            defer { previous = String(segment) }
            if !segment.isEmpty, segment.allSatisfy(\.isNumber) { return "{id}" }
            if segment.hasPrefix("wx"), segment.count == 18 { return "{appid}" }
            if MediaItem.isId(String(segment)) { return "{media}" }
            if previous == "followers" { return "{openid}" }
            return String(segment.prefix(64))
        }
        return segments.joined(separator: "/")
    }
}

import Hummingbird
import KefuCore
import KefuStore
import Logging

/// The admin API's door: who is asking (`TokenAuthority`), whether their role allows the route
/// (`ApiPermissions`: else `403`), and whether a token scoped to accounts sees the account the
/// route names — by its `{appid}`, or the account of the task or rule its `{id}` names (else
/// `404`, the answer an absent one gets). A wrong token counts against its address
/// (`SignInThrottle`): past the limit, that address gets `429` for a minute, right token or not.
/// With no admin token configured (loopback only), a request without a token is `local` admin.
struct ApiAccessMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let authority: TokenAuthority
    let store: any BroadcastStore & RuleStore
    let throttle: SignInThrottle
    let clock: any WallClock
    let metrics: KefuMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let access: Access
        if let header = request.headers[.authorization] {
            // Until a token is found valid, a change is logged as made by nobody known.
            context.auditTrail?.actor = "unauthenticated"
            guard header.hasPrefix("Bearer ") else { return JSONBody.error(.unauthorized, "the Authorization header must be Bearer <token>") }
            let address = RemoteAddress.of(context), now = clock.nowMillis()
            if let retryAfter = throttle.held(address, now: now, surface: "api", metrics: metrics) {
                var response = JSONBody.error(.tooManyRequests, "too many failed sign-ins from this address; try again in a minute")
                response.headers[.retryAfter] = retryAfter
                return response
            }
            guard let found = try await authority.access(presented: Array(header.utf8.dropFirst("Bearer ".count)), now: now) else {
                throttle.refused(address, now: now, surface: "api", metrics: metrics, logger: context.logger)
                return JSONBody.error(.unauthorized, "the bearer token is not valid (unknown, revoked or expired)")
            }
            access = found
        } else if authority.adminToken == nil {
            access = .local
        } else {
            context.auditTrail?.actor = "unauthenticated"
            return JSONBody.error(.unauthorized, "an Authorization: Bearer <token> header is required")
        }
        context.auditTrail?.actor = access.name
        let endpoint = context.endpointPath ?? request.uri.path
        let needed = ApiPermissions.table.required(request.method, endpoint: endpoint)
        guard access.may(needed) else {
            return JSONBody.error(.forbidden, "this token's role (\(access.role.rawValue)) may not \(request.method.rawValue) \(endpoint); it needs \(needed.rawValue)")
        }
        if access.accounts != nil, let absent = try await outOfScope(endpoint, context: context, access: access) {
            return JSONBody.error(.notFound, absent)
        }
        var context = context
        context.access = access
        return try await next(request, context)
    }

    /// What an absent account, task or rule is answered, when the route names one the scoped
    /// token does not see; nil when it sees it (or the route names none).
    func outOfScope(_ endpoint: String, context: Context, access: Access) async throws -> String? {
        if let appid = context.parameters.get("appid"), !access.sees(appid) { return "no account \(appid)" }
        guard let text = context.parameters.get("id"), let id = Int64(text) else { return nil }
        if endpoint.hasPrefix("/api/v1/tasks/"), let task = try await store.task(id: id), !access.sees(task.appid) { return "no task \(text)" }
        if endpoint.hasPrefix("/api/v1/rules/"), let rule = try await store.rule(id: id), !access.sees(rule.appid) { return "no rule \(text)" }
        return nil
    }
}

import Hummingbird
import KefuCore
import Logging
import NIOCore
import WeChatProtocol

/// Bearer-token check for the admin API, compared in constant time. With no token configured
/// (allowed on loopback only) every request passes. A wrong token counts against its address
/// (`SignInThrottle`): past the limit, that address gets `429` for a minute, right token or not.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]?
    let throttle: SignInThrottle
    let clock: any WallClock
    let metrics: KefuMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return JSONBody.error(.unauthorized, "an Authorization: Bearer <token> header is required")
        }
        let address = RemoteAddress.of(context), now = clock.nowMillis()
        if let retryAfter = throttle.held(address, now: now, surface: "api", metrics: metrics) {
            var response = JSONBody.error(.tooManyRequests, "too many failed sign-ins from this address; try again in a minute")
            response.headers[.retryAfter] = retryAfter
            return response
        }
        let presented = Array(header.utf8.dropFirst("Bearer ".count))
        guard CallbackSignature.constantTimeEquals(presented, token) else {
            throttle.refused(address, now: now, surface: "api", metrics: metrics, logger: context.logger)
            return JSONBody.error(.unauthorized, "the bearer token is not valid")
        }
        return try await next(request, context)
    }
}

/// The address a request came from, as the throttle keys it (the IP, without the port).
enum RemoteAddress {
    static func of(_ context: some RequestContext) -> String {
        guard let address = (context as? any RemoteAddressRequestContext)?.remoteAddress else { return "unknown" }
        return address.ipAddress ?? address.pathname ?? "unknown"
    }
}

extension SignInThrottle {
    /// While `address` is held back: counts it (`throttled`) and gives the `Retry-After` seconds;
    /// nil when it may try. The API and the console answer a hold the same way.
    func held(_ address: String, now: Int64, surface: String, metrics: KefuMetrics) -> String? {
        guard case .blocked(let until) = check(address, now: now) else { return nil }
        metrics.signIn("throttled", surface: surface)
        return String(max(1, (until - now + 999) / 1000))
    }

    /// A wrong token from `address`: counted (`refused`), and logged when it starts a hold.
    func refused(_ address: String, now: Int64, surface: String, metrics: KefuMetrics, logger: Logger) {
        metrics.signIn("refused", surface: surface)
        if case .blocked = failed(address, now: now) {
            logger.warning("sign-ins from an address refused for a minute", metadata: ["kefu.address": "\(address)", "kefu.surface": "\(surface)"])
        }
    }
}

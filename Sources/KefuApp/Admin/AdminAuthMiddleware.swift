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
        if case .blocked(let until) = throttle.check(address, now: now) {
            metrics.signIn("throttled", surface: "api")
            return SignInThrottle.tooMany(until: until, now: now)
        }
        let presented = Array(header.utf8.dropFirst("Bearer ".count))
        guard CallbackSignature.constantTimeEquals(presented, token) else {
            metrics.signIn("refused", surface: "api")
            if case .blocked = throttle.failed(address, now: now) {
                context.logger.warning("sign-ins from an address refused for a minute", metadata: [
                    "kefu.address": "\(address)", "kefu.surface": "api"])
            }
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
    /// `429` with `Retry-After` and the API's error shape.
    static func tooMany(until: Int64, now: Int64) -> Response {
        var response = JSONBody.error(.tooManyRequests, "too many failed sign-ins from this address; try again in a minute")
        response.headers[.retryAfter] = String(max(1, (until - now + 999) / 1000))
        return response
    }
}

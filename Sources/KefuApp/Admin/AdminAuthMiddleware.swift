import Hummingbird
import KefuCore
import WeChatProtocol

/// Bearer-token check for the admin API, compared in constant time. With no token configured
/// (allowed on loopback only) every request passes.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return JSONBody.error(.unauthorized, "an Authorization: Bearer <token> header is required")
        }
        let presented = Array(header.utf8.dropFirst("Bearer ".count))
        guard CallbackSignature.constantTimeEquals(presented, token) else {
            return JSONBody.error(.unauthorized, "the bearer token is not valid")
        }
        return try await next(request, context)
    }
}

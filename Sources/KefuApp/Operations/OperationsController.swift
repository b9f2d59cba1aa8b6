import Logging
import Hummingbird
import KefuStore

/// `GET /healthz` (200 when the store answers) and `GET /metrics` (Prometheus text format).
struct OperationsController<Context: RequestContext> {
    let store: any StoreLifecycle
    let metrics: KefuMetrics

    func addRoutes(to router: Router<Context>) {
        router.get("/healthz", use: health)
        router.get("/metrics", use: render)
    }

    @Sendable func health(_ request: Request, context: Context) async throws -> Response {
        do {
            try await store.ping()
            return CallbackController<Context>.text(.ok, "ok")
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(String(reflecting: error))"])
            return CallbackController<Context>.text(.serviceUnavailable, "store unavailable")
        }
    }

    @Sendable func render(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}

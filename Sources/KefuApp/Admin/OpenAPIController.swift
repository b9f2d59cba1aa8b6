import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json`: the admin API's OpenAPI 3.1 document (docs/openapi.yaml as JSON,
/// `OpenAPIDocument`), without a token — it holds no data. `OpenAPIDocumentTests` fails when
/// a route and the document disagree, or when this copy and docs/openapi.yaml do.
struct OpenAPIController<Context: RequestContext> {
    func addRoutes(to router: Router<Context>) {
        router.get("/api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "public, max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}

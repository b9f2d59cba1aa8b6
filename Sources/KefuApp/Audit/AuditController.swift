import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// `GET /api/v1/audit`: the audit log for admins, newest first, filtered by `actor`, `action`
/// (its start, e.g. `POST /api/v1/tasks`), `target` (its start), `since` and `until` (RFC 3339),
/// 1 to 1000 a page (`limit`, default 100), the next page from `before` (`next_before`).
struct AuditController<Context: RequestContext> {
    let store: any AuditStore

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("/audit", use: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let parameters = request.uri.queryParameters
        func time(_ name: String) throws -> Int64? {
            guard let text = parameters.get(name) else { return nil }
            guard let millis = RFC3339.parse(text) else { throw KefuError.invalid(name, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z") }
            return millis
        }
        func text(_ name: String) throws -> String? {
            guard let value = parameters.get(name) else { return nil }
            guard !value.isEmpty, value.count <= 512 else { throw KefuError.invalid(name, "must be 1 to 512 characters") }
            return value
        }
        var before: Int64?
        if let value = parameters.get("before") {
            guard let id = Int64(value), id > 0 else { throw KefuError.invalid("before", "must be an entry id (next_before of the previous page)") }
            before = id
        }
        let limit = try JSONBody.limit(parameters.get("limit"), default: 100, max: 1000)
        let entries = try await store.auditEntries(AuditQuery(actor: try text("actor"), actionPrefix: try text("action"),
                                                              targetPrefix: try text("target"), since: try time("since"),
                                                              until: try time("until"), beforeId: before, limit: limit))
        let items: [[String: Any]] = entries.map {
            ["id": $0.id, "at": RFC3339.format(millis: $0.at), "actor": $0.actor, "action": $0.action, "target": $0.target,
             "address": $0.address, "status": $0.status]
        }
        return try JSONBody.object(.ok, ["entries": items, "next_before": entries.count == limit ? (entries.last?.id ?? 0) as Any : NSNull()])
    }
}

import Foundation
import Hummingbird
import KefuCore

/// `?state=&limit=&cursor=` of a per-recipient delivery log (tasks and rules alike).
struct DeliveryLogQuery {
    var state: DeliveryState?
    var limit: Int
    var afterId: Int64?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query.get("state") {
            guard let parsed = DeliveryState(rawValue: text) else {
                throw KefuError.invalid("state", "must be one of \(DeliveryState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        limit = try JSONBody.limit(query.get("limit"), default: 100, max: 1000)
        if let cursor = query.get("cursor") {
            guard let value = Int64(cursor) else { throw KefuError.invalid("cursor", "is not a cursor this API returned") }
            afterId = value
        }
    }

    /// `{"deliveries": [...], "next_cursor"}` for a page of rows.
    func page(_ rows: [DeliveryRecord], _ item: (DeliveryRecord) -> [String: Any]) throws -> Response {
        let next: Any = rows.count == limit ? String(rows.last!.id) : NSNull()
        return try JSONBody.object(.ok, ["deliveries": rows.map(item), "next_cursor": next])
    }
}

import Hummingbird
import KefuCore

/// The role every admin API route needs, in one table (README, Security). A route missing here
/// needs `admin`: a new route is closed until it is given its role, and a test fails until then.
enum ApiPermissions {
    static let table = RoutePermissions(routes: [
        "POST /api/v1/accounts": .admin,
        "GET /api/v1/accounts": .viewer,
        "GET /api/v1/accounts/{appid}": .viewer,
        "PATCH /api/v1/accounts/{appid}": .admin,
        "DELETE /api/v1/accounts/{appid}": .admin,
        "GET /api/v1/accounts/{appid}/audience": .viewer,
        "GET /api/v1/accounts/{appid}/followers/{openid}": .viewer,
        "POST /api/v1/accounts/{appid}/interactions": .admin,
        "POST /api/v1/accounts/{appid}/media": .operator,
        "GET /api/v1/accounts/{appid}/media": .viewer,
        "GET /api/v1/accounts/{appid}/media/{id}": .viewer,
        "GET /api/v1/accounts/{appid}/media/{id}/content": .viewer,
        "DELETE /api/v1/accounts/{appid}/media/{id}": .operator,
        "POST /api/v1/tasks": .operator,
        "GET /api/v1/tasks": .viewer,
        "GET /api/v1/tasks/{id}": .viewer,
        "GET /api/v1/tasks/{id}/preview": .viewer,
        "GET /api/v1/tasks/{id}/deliveries": .viewer,
        "POST /api/v1/tasks/{id}/cancel": .operator,
        "POST /api/v1/tasks/{id}/pause": .operator,
        "POST /api/v1/tasks/{id}/resume": .operator,
        "POST /api/v1/tasks/{id}/test": .operator,
        "POST /api/v1/rules": .operator,
        "GET /api/v1/rules": .viewer,
        "GET /api/v1/rules/{id}": .viewer,
        "PATCH /api/v1/rules/{id}": .operator,
        "DELETE /api/v1/rules/{id}": .operator,
        "GET /api/v1/rules/{id}/deliveries": .viewer,
        "GET /api/v1/audit": .admin,
        "GET /api/v1/tokens": .admin,
        "POST /api/v1/tokens": .admin,
        "DELETE /api/v1/tokens/{id}": .admin,
    ])
}

/// A table of `"METHOD /path/{placeholder}"` (as the router names its routes) to the role each
/// needs; `HEAD` needs what `GET` does, and a route missing needs `admin` (closed by default).
struct RoutePermissions: Sendable {
    let routes: [String: AccessRole]

    func required(_ method: HTTPRequest.Method, endpoint: String) -> AccessRole {
        let method = method == .head ? "GET" : method.rawValue
        return routes["\(method) \(endpoint)"] ?? .admin
    }
}

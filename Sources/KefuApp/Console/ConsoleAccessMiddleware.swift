import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// The role every console page and form needs (`ConsoleAccessMiddleware`); a route missing here
/// needs `admin`, so a new page is closed until it is given its role.
enum ConsolePermissions {
    static let table = RoutePermissions(routes: [
        "GET /console/accounts": .viewer,
        "GET /console/accounts/new": .admin,
        "POST /console/accounts": .admin,
        "GET /console/accounts/{appid}": .viewer,
        "GET /console/accounts/{appid}/edit": .admin,
        "POST /console/accounts/{appid}/edit": .admin,
        "POST /console/accounts/{appid}/rotate-aes": .admin,
        "GET /console/accounts/{appid}/audience": .viewer,
        "GET /console/accounts/{appid}/followers/{openid}": .viewer,
        "GET /console/accounts/{appid}/media": .viewer,
        "POST /console/accounts/{appid}/media": .operator,
        "GET /console/accounts/{appid}/media/{id}/content": .viewer,
        "POST /console/accounts/{appid}/media/{id}/delete": .operator,
        "GET /console/accounts/{appid}/tasks": .viewer,
        "GET /console/accounts/{appid}/tasks/new": .operator,
        "POST /console/accounts/{appid}/tasks": .operator,
        "GET /console/accounts/{appid}/forecast": .operator,
        "GET /console/tasks/{id}": .viewer,
        "GET /console/tasks/{id}/progress": .viewer,
        "POST /console/tasks/{id}/test": .operator,
        "POST /console/tasks/{id}/{action}": .operator,
        "GET /console/accounts/{appid}/rules": .viewer,
        "GET /console/accounts/{appid}/rules/new": .operator,
        "POST /console/accounts/{appid}/rules": .operator,
        "GET /console/accounts/{appid}/rule-warnings": .operator,
        "GET /console/rules/{id}": .viewer,
        "GET /console/rules/{id}/edit": .operator,
        "POST /console/rules/{id}": .operator,
        "POST /console/rules/{id}/delete": .operator,
    ])
}

/// The console's door for every page but sign-in, sign-out and the overview: a session whose
/// role does not allow the page gets a 403 page; one scoped to accounts gets the 404 page for an
/// account it does not see, or a task or rule of one. Without a session the page's own handler
/// sends the visitor to sign in.
struct ConsoleAccessMiddleware<Context: AccessRequestContext>: RouterMiddleware {
    let controller: ConsoleController<Context>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let session = try await controller.session(request) else {
            context.auditTrail?.actor = "anonymous"
            return try await next(request, context)
        }
        if let trail = context.auditTrail {
            trail.actor = "console:" + (try await ConsoleController<Context>.principalName(session.principal, store: controller.store))
        }
        let page = ConsoleController<Context>.Page(request)
        let endpoint = context.endpointPath ?? request.uri.path
        guard session.role >= ConsolePermissions.table.required(request.method, endpoint: endpoint) else {
            return controller.errorPage(page, .forbidden, page.text["error_role"] ?? "", session: session)
        }
        if let accounts = session.accounts {
            let store = controller.store
            if let appid = context.parameters.get("appid")?.removingPercentEncoding, !accounts.contains(appid) {
                return controller.notFound(page, session)
            }
            if let id = context.parameters.get("id").flatMap({ Int64($0) }) {
                if endpoint.hasPrefix("/console/tasks/"), let task = try await store.task(id: id), !accounts.contains(task.appid) {
                    return controller.notFound(page, session)
                }
                if endpoint.hasPrefix("/console/rules/"), let rule = try await store.rule(id: id), !accounts.contains(rule.appid) {
                    return controller.notFound(page, session)
                }
            }
        }
        var context = context
        context.access = Access(name: session.principal, role: session.role, accounts: session.accounts)
        context.consoleSession = session
        return try await next(request, context)
    }
}

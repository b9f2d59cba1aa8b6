import Foundation
import Hummingbird
import KefuCore
import KefuStore

/// The audience in the console: the open windows, closing soonest first, 50 at a time; and a
/// follower's page answering "why did (not) this follower get this message": the grants open
/// now, recent interactions, and recent deliveries with their reasons.
extension ConsoleController {
    @Sendable func audience(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        let query = request.uri.queryParameters
        if let openid = query.get("openid")?.trimmingCharacters(in: .whitespaces), !openid.isEmpty {
            // The look-up box: straight to that follower's page (escaped into the path).
            return Self.redirect("/console/accounts/\(appid)/followers/\(Self.pathComponent(openid))")
        }
        let now = clock.nowMillis()
        let audience = try await store.audience(appid: appid, now: now, limit: Self.pageSize,
                                                after: query.get("after").flatMap(AudienceCursor.init(token:)))
        let rows: [[String: Any]] = audience.users.map { user in
            [
                "openid": user.openid, "path": Self.pathComponent(user.openid),
                "last": page.text["interaction_\(user.lastInteraction.rawValue)"] ?? user.lastInteraction.rawValue,
                "lastAt": ConsoleFormat.chinaTime(user.lastInteractionAt), "closes": ConsoleFormat.chinaTime(user.windowClosesAt),
                "left": user.remaining.map(String.init) ?? "∞",
            ]
        }
        var values: [String: Any] = ["appid": appid, "label": account.name ?? appid, "count": audience.count, "rows": rows,
                                     "hasRows": !rows.isEmpty]
        if let next = audience.nextCursor { values["next"] = Self.queryValue(next.token) }
        return render(page, "audience", title: page.text["audience_title"] ?? "", session: session, nav: "navAccounts", values)
    }

    @Sendable func follower(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        let raw = try context.parameters.require("openid")
        let openid = raw.removingPercentEncoding ?? raw  // the router leaves path segments encoded
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        let now = clock.nowMillis()
        var values: [String: Any] = ["appid": appid, "label": account.name ?? appid, "openid": openid]
        guard openid.utf8.count <= 128, let ledger = try await store.follower(appid: appid, openid: openid, now: now, recent: 20) else {
            values["unknown"] = true
            return render(page, "follower", title: openid, session: session, nav: "navAccounts", status: .notFound, values)
        }
        values["subscribed"] = ledger.subscribed
        values["grants"] = ledger.grants.map { grant in
            ["kind": page.text["interaction_\(grant.kind.rawValue)"] ?? grant.kind.rawValue, "opened": ConsoleFormat.chinaTime(grant.openedAt),
             "closes": ConsoleFormat.chinaTime(grant.closesAt), "left": grant.remaining.map(String.init) ?? "∞"]
        }
        values["hasGrants"] = !ledger.grants.isEmpty
        values["interactions"] = ledger.recentInteractions.map { item in
            var row: [String: Any] = ["kind": page.text["interaction_\(item.kind.rawValue)"] ?? item.kind.rawValue, "detail": item.detail,
                                      "at": ConsoleFormat.chinaTime(item.at)]
            if let key = item.key { row["key"] = key }
            return row
        }
        values["deliveries"] = ledger.recentDeliveries.map { delivery in
            var row: [String: Any] = [
                "state": page.text["state_\(delivery.state)"] ?? delivery.state, "due": ConsoleFormat.chinaTime(delivery.dueAt),
                "reason": delivery.reason.map { Self.reasonText($0, page: page) } ?? "",
            ]
            if let task = delivery.taskId { row["task"] = task }
            if let rule = delivery.ruleId { row["rule"] = rule }
            if let code = delivery.errcode, code != 0 { row["errcode"] = code }
            if let sent = delivery.sentAt { row["sentTime"] = ConsoleFormat.chinaTime(sent) }
            return row
        }
        values["hasInteractions"] = !ledger.recentInteractions.isEmpty
        values["hasDeliveries"] = !ledger.recentDeliveries.isEmpty
        return render(page, "follower", title: openid, session: session, nav: "navAccounts", values)
    }

    /// An openid as one path segment (they are URL-safe in practice; kefu does not rely on it).
    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_"))) ?? ""
    }

    /// A value for a query string.
    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_."))) ?? ""
    }
}

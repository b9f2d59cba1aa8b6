import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// `/api/v1/rules`: delayed messages — "send this, N seconds after a follower does that".
struct RulesController<Context: RequestContext> {
    let store: any RuleStore & AccountReader
    let clock: any WallClock
    let policy: WindowPolicy
    let bodyLimit: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("/rules", use: create)
        group.get("/rules", use: list)
        group.get("/rules/:id", use: get)
        group.patch("/rules/:id", use: update)
        group.delete("/rules/:id", use: delete)
        group.get("/rules/:id/deliveries", use: deliveries)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONBody.object(from: request, limit: bodyLimit)
        let appid = try JSONFields(body).requiredString("appid")
        // An account the token does not see is answered as an absent one.
        guard Access.of(context).sees(appid), try await store.account(appid: appid) != nil else {
            throw KefuError.invalid("appid", "no account \(appid)")
        }
        let now = clock.nowMillis()
        var rule = DelayedRule(appid: appid, name: "", trigger: .init(kind: nil), delaySeconds: 0,
                               message: .text(content: "-"), createdAt: now, updatedAt: now)
        for key in DelayedRule.requiredFields where !JSONFields(body).has(key) {
            throw KefuError.invalid(key, "is required")
        }
        try rule.apply(json: body)
        rule.id = try await store.createRule(rule)
        context.logger.info("rule created", metadata: ["kefu.rule.id": "\(rule.id)", "kefu.appid": "\(appid)"])
        return try JSONBody.object(.created, json(rule))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let access = Access.of(context)
        let rules = try await store.rules(appid: request.uri.queryParameters.get("appid")).filter { access.sees($0.appid) }
        return try JSONBody.object(.ok, ["rules": rules.map(json)])
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        try JSONBody.object(.ok, json(try await existing(context)))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        var rule = try await existing(context)
        let body = try await JSONBody.object(from: request, limit: bodyLimit)
        if let appid = try JSONFields(body).string("appid"), appid != rule.appid { throw KefuError.invalid("appid", "cannot be changed") }
        try rule.apply(json: body)
        rule.updatedAt = clock.nowMillis()
        try await store.updateRule(rule)
        context.logger.info("rule updated", metadata: ["kefu.rule.id": "\(rule.id)", "kefu.rule.enabled": "\(rule.enabled)"])
        return try JSONBody.object(.ok, json(rule))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let rule = try await existing(context)
        _ = try await store.deleteRule(id: rule.id, now: clock.nowMillis())
        return Response(status: .noContent)
    }

    @Sendable func deliveries(_ request: Request, context: Context) async throws -> Response {
        let rule = try await existing(context)
        let query = try DeliveryLogQuery(request)
        let rows = try await store.ruleDeliveries(ruleId: rule.id, state: query.state, limit: query.limit, afterId: query.afterId)
        return try query.page(rows) { row in
            ["openid": row.openid, "state": row.state.rawValue, "attempts": row.attempts, "reason": row.reason ?? NSNull(),
             "errcode": row.errcode ?? NSNull(), "due_at": RFC3339.format(millis: row.dueAt),
             "sent_at": row.sentAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
             "wechat_media_id": row.wechatMedia ?? NSNull(),
             "lateness_ms": row.latenessMillis ?? NSNull()]
        }
    }

    private func existing(_ context: Context) async throws -> DelayedRule {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let rule = try await store.rule(id: id) else { throw KefuError(.notFound, "no rule \(text)") }
        return rule
    }

    func json(_ rule: DelayedRule) -> [String: Any] {
        [
            "id": rule.id, "name": rule.name, "appid": rule.appid,
            "trigger": ["kind": rule.trigger.kind?.rawValue ?? "any", "key": rule.trigger.key ?? NSNull()] as [String: Any],
            "delay_seconds": rule.delaySeconds, "message": rule.message.jsonObject, "kf_account": rule.message.kfAccount ?? NSNull(),
            "enabled": rule.enabled,
            "once_per_follower": rule.oncePerFollower, "cooldown_seconds": rule.cooldownSeconds,
            "created_at": RFC3339.format(millis: rule.createdAt), "updated_at": RFC3339.format(millis: rule.updatedAt),
            "warnings": rule.warnings(policy: policy),
        ]
    }
}

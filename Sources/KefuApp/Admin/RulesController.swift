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
        for key in ["name", "trigger", "delay_seconds", "message"] where !JSONFields(body).has(key) {
            throw KefuError.invalid(key, "is required")
        }
        try Self.apply(body, to: &rule)
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
        try Self.apply(body, to: &rule)
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

    /// Applies the fields present in `body`, validating each (422 naming the field).
    static func apply(_ object: [String: Any], to rule: inout DelayedRule) throws {
        let body = JSONFields(object)
        if let name = try body.string("name") {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw KefuError.invalid("name", "must be 1 to 100 characters")
            }
            rule.name = name
        }
        if let trigger = try body.object("trigger") {
            let kinds = DelayedRule.TriggerKind.allCases.map(\.rawValue) + ["any"]
            let kindText = try trigger.requiredString("kind", hint: ": one of \(kinds.joined(separator: ", "))")
            guard kinds.contains(kindText) else {
                throw KefuError.invalid("trigger.kind", "must be one of \(kinds.joined(separator: ", "))")
            }
            var key: String?
            if let text = try trigger.string("key") {
                guard !text.isEmpty, text.utf8.count <= 128 else { throw KefuError.invalid("trigger.key", "must be 1 to 128 characters") }
                guard kindText != "any" else { throw KefuError.invalid("trigger.key", "is not allowed with kind any") }
                key = text
            }
            rule.trigger = .init(kind: DelayedRule.TriggerKind(rawValue: kindText), key: key)
        }
        if body.has("delay_seconds") {
            guard let delay = try body.integer("delay_seconds"), (0...DelayedRule.maxDelaySeconds).contains(delay) else {
                throw KefuError.invalid("delay_seconds", "must be a whole number from 0 to \(DelayedRule.maxDelaySeconds)")
            }
            rule.delaySeconds = delay
        }
        if let message = try MessageInput.read(body, current: rule.message) { rule.message = message }
        if let value = try body.bool("enabled") { rule.enabled = value }
        if let value = try body.bool("once_per_follower") { rule.oncePerFollower = value }
        if body.has("cooldown_seconds") {
            guard let value = try body.integer("cooldown_seconds"), (0...30 * 86_400).contains(value) else {
                throw KefuError.invalid("cooldown_seconds", "must be a whole number from 0 to 2592000")
            }
            rule.cooldownSeconds = value
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

import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging
import NIOCore

/// Delayed rules in the console: the list, the form (trigger, delay, composer, once per
/// follower, cooldown) with the window-policy warnings as it changes, and the rule page with
/// its deliveries and a lateness histogram.
extension ConsoleController {
    @Sendable func rules(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        let rows: [[String: Any]] = try await store.rules(appid: appid).map { rule in
            var row: [String: Any] = ["id": rule.id, "name": rule.name, "trigger": triggerText(rule.trigger, page: page),
                                      "delay": durationText(rule.delaySeconds, page: page), "enabled": rule.enabled,
                                      "warned": !rule.policyWarnings(policy: policy).isEmpty]
            if rule.oncePerFollower { row["once"] = true }
            return row
        }
        return render(page, "rules", title: page.text["rules_title"] ?? "", session: session, nav: "navAccounts",
                      ["appid": appid, "label": account.name ?? appid, "rows": rows, "hasRows": !rows.isEmpty])
    }

    @Sendable func newRule(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        return try await ruleForm(page, session: session, account: account, rule: nil,
                                  fields: ["msgtype": "text", "trigger_kind": "message", "delay_seconds": "3600", "cooldown_seconds": "0",
                                           "enabled": "1"])
    }

    @Sendable func editRule(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let rule = try await existingRule(context), let account = try await store.account(appid: rule.appid) else {
            return notFound(page, session)
        }
        var fields = MessageComposer.fields(of: rule.message)
        fields["name"] = rule.name
        fields["trigger_kind"] = rule.trigger.kind?.rawValue ?? "any"
        fields["trigger_key"] = rule.trigger.key ?? ""
        fields["delay_seconds"] = String(rule.delaySeconds)
        fields["cooldown_seconds"] = String(rule.cooldownSeconds)
        if rule.oncePerFollower { fields["once_per_follower"] = "1" }
        if rule.enabled { fields["enabled"] = "1" }
        return try await ruleForm(page, session: session, account: account, rule: rule, fields: fields)
    }

    /// The rule form filled with `fields`, its warnings for what they say.
    func ruleForm(_ page: Page, session: ConsoleSession, account: Account, rule: DelayedRule?, fields: [String: String],
                  status: HTTPResponse.Status = .ok, error: KefuError? = nil) async throws -> Response {
        let library = try await store.mediaList(appid: account.appid, kind: nil, limit: 200, after: nil)
        var values = MessageComposer.values(fields, appid: account.appid, library: library, text: page.text)
        values["label"] = account.name ?? account.appid
        for name in ["name", "trigger_key", "delay_seconds", "cooldown_seconds"] { values[name] = fields[name] ?? "" }
        values["once"] = fields["once_per_follower"] == "1"
        values["enabled"] = fields["enabled"] == "1"
        let kind = fields["trigger_kind"] ?? "message"
        values["kinds"] = (["any"] + DelayedRule.TriggerKind.allCases.map(\.rawValue)).map {
            ["value": $0, "label": page.text["trigger_\($0)"] ?? $0, "selected": $0 == kind] as [String: Any]
        }
        values["action"] = rule.map { "/console/rules/\($0.id)" } ?? "/console/accounts/\(account.appid)/rules"
        values["heading"] = page.text[rule == nil ? "rule_new_title" : "rule_edit_title"] ?? ""
        values["submit"] = page.text[rule == nil ? "rule_create" : "rule_save"] ?? ""
        let warnings = warningTexts(kind: kind, delay: Int(fields["delay_seconds"] ?? "") ?? 0, page: page)
        values["warnings"] = warnings
        values["hasWarnings"] = !warnings.isEmpty
        if let error { values.merge(errorValues(error, page: page)) { _, new in new } }
        return render(page, "rule-form", title: values["heading"] as? String ?? "", session: session, nav: "navAccounts", status: status, values)
    }

    /// Create (`POST /console/accounts/:appid/rules`) or change (`POST /console/rules/:id`).
    @Sendable func saveRule(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let existing = context.parameters.get("id") != nil ? try await existingRule(context) : nil
        if context.parameters.get("id") != nil, existing == nil { return notFound(page, session) }
        let appid = try existing?.appid ?? context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        guard let form = try await multipartForm(request, session: session, page: page) else {
            return csrfRefused(page, session)
        }
        var filled = form
        do {
            filled = try await MessageComposer.uploadOnTheSpot(form, appid: appid, limits: limits, store: store, clock: clock)
            let message = try MessageComposer.message(filled)
            // The API's own checks (DelayedRule.apply), from the same JSON the API takes.
            var body: [String: Any] = [
                "name": filled["name"], "message": message.jsonObject,
                "trigger": ["kind": filled["trigger_kind"]].merging(filled.nonEmpty("trigger_key").map { ["key": $0] } ?? [:]) { a, _ in a },
                "once_per_follower": filled["once_per_follower"] == "1", "enabled": filled["enabled"] == "1",
            ]
            body["delay_seconds"] = Int(filled["delay_seconds"].trimmingCharacters(in: .whitespaces)) ?? filled["delay_seconds"]
            body["cooldown_seconds"] = Int(filled["cooldown_seconds"].trimmingCharacters(in: .whitespaces)) ?? (filled.nonEmpty("cooldown_seconds") ?? 0)
            let now = clock.nowMillis()
            var rule = existing ?? DelayedRule(appid: appid, name: "", trigger: .init(kind: nil), delaySeconds: 0,
                                               message: .text(content: "-"), createdAt: now, updatedAt: now)
            try rule.apply(json: body)
            rule.updatedAt = now
            if existing == nil {
                rule.id = try await store.createRule(rule)
                context.logger.info("rule created", metadata: ["kefu.rule.id": "\(rule.id)", "kefu.appid": "\(appid)",
                                                               "kefu.console.principal": "\(session.principal)"])
            } else {
                try await store.updateRule(rule)
                context.logger.info("rule updated", metadata: ["kefu.rule.id": "\(rule.id)", "kefu.console.principal": "\(session.principal)"])
            }
            return Self.redirect("/console/rules/\(rule.id)")
        } catch let error as KefuError where error.code == .invalid {
            return try await ruleForm(page, session: session, account: account, rule: existing, fields: filled.fields,
                                      status: .unprocessableContent, error: error)
        }
    }

    @Sendable func deleteRule(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return csrfRefused(page, session)
        }
        guard let rule = try await existingRule(context) else { return notFound(page, session) }
        _ = try await store.deleteRule(id: rule.id, now: clock.nowMillis())
        context.logger.info("rule deleted", metadata: ["kefu.rule.id": "\(rule.id)", "kefu.console.principal": "\(session.principal)"])
        return Self.redirect("/console/accounts/\(rule.appid)/rules")
    }

    @Sendable func rule(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let rule = try await existingRule(context), let account = try await store.account(appid: rule.appid) else {
            return notFound(page, session)
        }
        let counts = try await store.ruleDeliveryCounts(id: rule.id)
        var values: [String: Any] = [
            "id": rule.id, "name": rule.name, "appid": rule.appid, "label": account.name ?? rule.appid,
            "trigger": triggerText(rule.trigger, page: page), "delay": durationText(rule.delaySeconds, page: page),
            "enabled": rule.enabled, "once": rule.oncePerFollower, "cooldown": durationText(rule.cooldownSeconds, page: page),
            "msgtypeLabel": page.text["type_\(rule.message.msgtype)"] ?? rule.message.msgtype,
            "msg": MessageComposer.values(MessageComposer.fields(of: rule.message), appid: rule.appid, library: [], text: page.text),
            "counts": DeliveryState.allCases.map { ["label": page.text["state_\($0.rawValue)"] ?? $0.rawValue, "count": counts[$0] ?? 0] },
        ]
        let warnings = rule.policyWarnings(policy: policy).map { warningText($0, page: page) }
        values["warnings"] = warnings
        values["hasWarnings"] = !warnings.isEmpty
        let histogram = try await store.ruleLateness(id: rule.id)
        if histogram.contains(where: { $0 > 0 }) { values["chart"] = Self.latenessChart(histogram) }
        values.merge(try await logValues(request, page: page, action: "/console/rules/\(rule.id)") { state, after in
            try await store.ruleDeliveries(ruleId: rule.id, state: state, limit: Self.pageSize + 1, afterId: after)
        }) { _, new in new }
        return render(page, "rule", title: rule.name, session: session, nav: "navAccounts", values)
    }

    /// `GET /console/accounts/:appid/rule-warnings?trigger_kind=&delay_seconds=`: the warnings
    /// for what the form says now, in the page's language (the form's script shows them).
    @Sendable func ruleWarnings(_ request: Request, context: Context) async throws -> Response {
        guard try await session(request, context) != nil else { return Response(status: .unauthorized) }
        let page = Page(request)
        let query = request.uri.queryParameters
        let delay = query.get("delay_seconds").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let warnings = warningTexts(kind: query.get("trigger_kind") ?? "any", delay: delay, page: page)
        return try JSONBody.object(.ok, ["warnings": warnings, "none": page.text["warnings_none"] ?? ""])
    }

    func warningTexts(kind: String, delay: Int, page: Page) -> [String] {
        guard kind == "any" || DelayedRule.TriggerKind(rawValue: kind) != nil,
              (0...DelayedRule.maxDelaySeconds).contains(delay) else { return [] }
        let rule = DelayedRule(appid: "", name: "", trigger: .init(kind: DelayedRule.TriggerKind(rawValue: kind)), delaySeconds: delay,
                               message: .text(content: "-"), createdAt: 0, updatedAt: 0)
        return rule.policyWarnings(policy: policy).map { warningText($0, page: page) }
    }

    /// One warning in the page's language.
    func warningText(_ warning: DelayedRule.PolicyWarning, page: Page) -> String {
        let kind = page.text["interaction_\(warning.kind.rawValue)"] ?? warning.kind.rawValue
        var text = (warning.grantSeconds == nil ? page.text["warning_no_window"] : page.text["warning_closed"]) ?? ""
        text = text.replacingOccurrences(of: "{kind}", with: kind)
            .replacingOccurrences(of: "{grant}", with: warning.grantSeconds.map { durationText($0, page: page) } ?? "")
            .replacingOccurrences(of: "{delay}", with: durationText(warning.delaySeconds, page: page))
        if let seconds = warning.messageGrantSeconds {
            text += (page.text["warning_reach_message"] ?? "").replacingOccurrences(of: "{grant}", with: durationText(seconds, page: page))
        } else {
            text += page.text["warning_reach_other"] ?? ""
        }
        return text
    }

    func triggerText(_ trigger: DelayedRule.Trigger, page: Page) -> String {
        let kind = page.text["trigger_\(trigger.kind?.rawValue ?? "any")"] ?? ""
        return trigger.key.map { "\(kind)：\($0)" } ?? kind
    }

    /// 48 小时 / 48 h, 90 秒 / 90 s: the largest whole unit.
    func durationText(_ seconds: Int, page: Page) -> String {
        let (value, unit): (Int, String) = seconds > 0 && seconds % 86_400 == 0 && seconds >= 172_800 ? (seconds / 86_400, "unit_d")
            : seconds > 0 && seconds % 3600 == 0 ? (seconds / 3600, "unit_h")
            : seconds > 0 && seconds % 60 == 0 ? (seconds / 60, "unit_min") : (seconds, "unit_s")
        return "\(value) \(page.text[unit] ?? "")"
    }

    /// The lateness histogram as inline SVG: one bar per bucket of `LatenessBuckets`, counted.
    static func latenessChart(_ counts: [Int]) -> [String: Any] {
        barChart(counts, barWidth: 60, gap: 12, countLabels: true) { (LatenessBuckets.labels[$0], LatenessBuckets.labels[$0]) }
    }

    func existingRule(_ context: Context) async throws -> DelayedRule? {
        guard let id = Int64(try context.parameters.require("id")) else { return nil }
        return try await store.rule(id: id)
    }
}

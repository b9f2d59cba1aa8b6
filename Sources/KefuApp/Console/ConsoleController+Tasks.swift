import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging
import NIOCore
import WeChatProtocol

/// Broadcast tasks in the console: the list with progress bars, the composer with its phone
/// preview and audience forecast, and the task page (live progress, errors by code, the
/// per-recipient log, cancel / pause / resume / test send).
extension ConsoleController {
    // MARK: List

    @Sendable func tasks(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        let query = request.uri.queryParameters
        let status = query.get("status").flatMap(BroadcastTask.Status.init(rawValue:))
        let before = query.get("before").flatMap(Int64.init)
        let tasks = try await store.tasks(appid: appid, status: status, limit: Self.pageSize + 1, beforeId: before)
        let shown = Array(tasks.prefix(Self.pageSize))
        var rows: [[String: Any]] = []
        for task in shown {
            var row = taskValues(task, stats: try await store.taskStats(id: task.id), page: page)
            row["sendAt"] = ConsoleFormat.chinaTime(task.sendAt)
            rows.append(row)
        }
        var values: [String: Any] = [
            "appid": appid, "label": account.name ?? appid, "rows": rows, "hasRows": !rows.isEmpty,
            "statuses": BroadcastTask.Status.allCases.map {
                ["value": $0.rawValue, "label": page.text["task_status_\($0.rawValue)"] ?? $0.rawValue, "selected": $0 == status]
            },
        ]
        if tasks.count > Self.pageSize, let last = shown.last {
            values["next"] = "?before=\(last.id)" + (status.map { "&status=\($0.rawValue)" } ?? "")
        }
        return render(page, "tasks", title: page.text["tasks_title"] ?? "", session: session, nav: "navAccounts", values)
    }

    /// A task's name, status and progress as the list and the task page show them.
    func taskValues(_ task: BroadcastTask, stats: TaskStats, page: Page) -> [String: Any] {
        let done = stats.sent + stats.failed + stats.skipped + stats.cancelled
        let percent = stats.audience > 0 ? done * 100 / stats.audience : (task.status == .completed ? 100 : 0)
        return [
            "id": task.id, "name": task.name, "status": task.status.rawValue,
            "statusLabel": page.text["task_status_\(task.status.rawValue)"] ?? task.status.rawValue,
            "audience": stats.audience, "sent": stats.sent, "failed": stats.failed, "skipped": stats.skipped,
            "pending": stats.pending, "cancelled": stats.cancelled, "percent": percent, "hasFailed": stats.failed > 0,
            "live": task.status == .scheduled || task.status == .running,
        ]
    }

    // MARK: Composer

    @Sendable func newTask(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        return try await taskForm(page, session: session, account: account, fields: ["msgtype": "text"])
    }

    /// The composer, filled with `fields`; with the forecast and a confirm button once checked.
    func taskForm(_ page: Page, session: ConsoleSession, account: Account, fields: [String: String], status: HTTPResponse.Status = .ok,
                  error: KefuError? = nil, forecast: TaskPreview? = nil) async throws -> Response {
        let library = try await store.mediaList(appid: account.appid, kind: nil, limit: 200, after: nil)
        var values = MessageComposer.values(fields, appid: account.appid, library: library, text: page.text)
        values["label"] = account.name ?? account.appid
        for name in ["name", "description", "send_at"] { values[name] = fields[name] ?? "" }
        if let error { values.merge(errorValues(error, page: page)) { _, new in new } }
        if let forecast {
            values["forecast"] = [
                "reachableNow": forecast.reachableNow, "reachableAtSend": forecast.reachableAtSend,
                "closing": forecast.closingBeforeReached, "minutes": String(format: "%.1f", forecast.sendSeconds / 60),
                "quotaShare": String(format: "%.1f", forecast.quotaShare * 100), "usedToday": forecast.usedToday,
                "budget": forecast.dailyBudget,
            ] as [String: Any]
        }
        return render(page, "task-new", title: page.text["task_new_title"] ?? "", session: session, nav: "navAccounts", status: status, values)
    }

    /// The composer posted: `step=forecast` checks it and shows the forecast; `step=create`
    /// checks it again and creates the task.
    @Sendable func createTask(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { return notFound(page, session) }
        guard let form = try await multipartForm(request, session: session, page: page) else {
            return csrfRefused(page, session)
        }
        var filled = form
        do {
            filled = try await MessageComposer.uploadOnTheSpot(form, appid: appid, limits: limits, store: store, clock: clock)
            let now = clock.nowMillis()
            let name = filled["name"].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.count <= 100 else { throw KefuError.invalid("name", "must be 1 to 100 characters") }
            let description = filled.nonEmpty("description")
            if let description, description.count > 1000 { throw KefuError.invalid("description", "is longer than 1000 characters") }
            let sendAt = try ConsoleFormat.parseChinaTime(filled["send_at"], now: now)
            let message = try MessageComposer.message(filled)
            if filled["step"] != "create" {
                let forecast = try await store.audienceForecast(appid: appid, sendAt: sendAt, now: now)
                return try await taskForm(page, session: session, account: account, fields: filled.fields, forecast: forecast)
            }
            var task = BroadcastTask(appid: appid, name: name, description: description, sendAt: sendAt, message: message,
                                     createdAt: now, updatedAt: now)
            task.id = try await store.createTask(task)
            context.logger.info("task created", metadata: ["kefu.task.id": "\(task.id)", "kefu.appid": "\(appid)",
                                                           "kefu.console.principal": "\(session.principal)"])
            return Self.redirect("/console/tasks/\(task.id)")
        } catch let error as KefuError where error.code == .invalid {
            return try await taskForm(page, session: session, account: account, fields: filled.fields, status: .unprocessableContent, error: error)
        }
    }

    /// What was wrong with a form, as the page shows it: the field's label in the page's
    /// language, then the check's own words.
    func errorValues(_ error: KefuError, page: Page) -> [String: Any] {
        let field = error.field ?? ""
        let key = Self.fieldLabels.first { field == $0.0 || field.hasPrefix($0.0 + ".") || field.hasPrefix($0.0 + "[") }?.1
        let label = key.flatMap { page.text[$0] }
        return ["error": error.message, "errorField": label ?? field]
    }

    /// API field names (as the shared validation reports them) → the catalogue key of the
    /// console's label for that input; the most specific first.
    static var fieldLabels: [(String, String)] {
        [
            ("message.text.content", "field_text_content"), ("message.image", "field_image"), ("image_upload", "field_image"),
            ("message.voice", "field_voice"), ("voice_upload", "field_voice"),
            ("message.news.articles[0].title", "field_news_title"), ("message.news.articles[0].url", "field_news_url"),
            ("message.news.articles[0].picurl", "field_news_picurl"), ("message.news", "type_news"),
            ("message.miniprogrampage.title", "field_mp_title"), ("message.miniprogrampage.appid", "field_mp_appid"),
            ("message.miniprogrampage.pagepath", "field_mp_pagepath"), ("message.miniprogrampage", "field_mp_thumb"),
            ("mp_upload", "field_mp_thumb"), ("message.msgmenu", "type_msgmenu"), ("message.msgtype", "field_msgtype"),
            ("kf_account", "field_kf_account"), ("name", "field_task_name"), ("description", "field_description"),
            ("send_at", "field_send_at"), ("trigger.key", "field_trigger_key"), ("delay_seconds", "field_delay"),
            ("cooldown_seconds", "field_cooldown"),
        ]
    }

    /// The account's audience forecast for a send at `?send_at=` (China time), as JSON for the
    /// composer's script.
    @Sendable func forecast(_ request: Request, context: Context) async throws -> Response {
        guard try await session(request, context) != nil else { return Response(status: .unauthorized) }
        let appid = try context.parameters.require("appid")
        let now = clock.nowMillis()
        let sendAt = (try? ConsoleFormat.parseChinaTime(request.uri.queryParameters.get("send_at") ?? "", now: now)) ?? now
        guard let forecast = try await store.audienceForecast(appid: appid, sendAt: sendAt, now: now) else { return Response(status: .notFound) }
        return try JSONBody.object(.ok, [
            "reachable_now": forecast.reachableNow, "reachable_at_send": forecast.reachableAtSend,
            "closing_before_reached": forecast.closingBeforeReached, "send_minutes": String(format: "%.1f", forecast.sendSeconds / 60),
            "quota_share": String(format: "%.1f", forecast.quotaShare * 100), "used_today": forecast.usedToday,
            "daily_budget": forecast.dailyBudget,
        ])
    }

    // MARK: Task page

    @Sendable func task(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        return try await taskPage(request, context: context, session: session)
    }

    func taskPage(_ request: Request, context: Context, session: ConsoleSession, status: HTTPResponse.Status = .ok,
                  notice: String? = nil, error: String? = nil) async throws -> Response {
        let page = Page(request)
        guard let task = try await existingTask(context), let account = try await store.account(appid: task.appid) else {
            return notFound(page, session)
        }
        let stats = try await store.taskStats(id: task.id)
        var values = taskValues(task, stats: stats, page: page)
        values["appid"] = task.appid
        values["label"] = account.name ?? task.appid
        if let description = task.description, !description.isEmpty { values["description"] = description }  // "" is a true section
        values["sendAt"] = ConsoleFormat.chinaTime(task.sendAt)
        if let started = task.snapshotAt { values["startedAt"] = ConsoleFormat.chinaTime(started) }
        values["canCancel"] = [.scheduled, .running, .paused].contains(task.status)
        values["canPause"] = [.scheduled, .running].contains(task.status)
        values["canResume"] = task.status == .paused
        values["canTest"] = task.status != .cancelled
        values["errors"] = stats.errors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { code, count in
            ["code": code, "count": count, "meaning": page.text["errcode_\(code)"] ?? page.text["errcode_other"] ?? ""] as [String: Any]
        }
        values["hasErrors"] = !stats.errors.isEmpty
        values["msg"] = MessageComposer.values(MessageComposer.fields(of: task.message), appid: task.appid, library: [], text: page.text)
        values["msgtypeLabel"] = page.text["type_\(task.message.msgtype)"] ?? task.message.msgtype
        values.merge(try await logValues(request, page: page, action: "/console/tasks/\(task.id)") { state, after in
            try await store.deliveries(taskId: task.id, state: state, limit: Self.pageSize + 1, afterId: after)
        }) { _, new in new }
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return render(page, "task", title: task.name, session: session, nav: "navAccounts", status: status, values)
    }

    /// A per-recipient log page (task or rule) as `?state=&after=` asks: 50 rows, the state
    /// filter and the link to the next page. `read` gets one row more than a page.
    func logValues(_ request: Request, page: Page, action: String,
                   read: (DeliveryState?, Int64?) async throws -> [DeliveryRecord]) async throws -> [String: Any] {
        let query = request.uri.queryParameters
        let state = query.get("state").flatMap(DeliveryState.init(rawValue:))
        let rows = try await read(state, query.get("after").flatMap(Int64.init))
        let shown = rows.prefix(Self.pageSize)
        var values: [String: Any] = [
            "log": shown.map { deliveryValues($0, page: page) }, "hasLog": !shown.isEmpty, "logAction": action,
            "states": DeliveryState.allCases.map {
                ["value": $0.rawValue, "label": page.text["state_\($0.rawValue)"] ?? $0.rawValue, "selected": $0 == state] as [String: Any]
            },
        ]
        if rows.count > Self.pageSize, let last = shown.last {
            values["logNext"] = "?after=\(last.id)" + (state.map { "&state=\($0.rawValue)" } ?? "") + "#log"
        }
        return values
    }

    /// One row of a per-recipient log.
    func deliveryValues(_ row: DeliveryRecord, page: Page) -> [String: Any] {
        var values: [String: Any] = [
            "openid": row.openid, "state": row.state.rawValue, "stateLabel": page.text["state_\(row.state.rawValue)"] ?? row.state.rawValue,
            "attempts": row.attempts, "reason": row.reason.map { Self.reasonText($0, page: page) } ?? "", "dueTime": ConsoleFormat.chinaTime(row.dueAt),
        ]
        if let code = row.errcode, code != 0 { values["errcode"] = code }
        if let sent = row.sentAt { values["sentTime"] = ConsoleFormat.chinaTime(sent) }
        if row.test { values["test"] = true }
        if let lateness = row.latenessMillis { values["lateness"] = String(format: "%.1f s", Double(lateness) / 1000) }
        return values
    }

    /// A delivery's reason in the page's language when it is one kefu writes, as stored otherwise.
    static func reasonText(_ reason: String, page: Page) -> String {
        let known: [String: String] = [
            DeliveryReason.windowClosed: "reason_window_closed", DeliveryReason.quotaUsed: "reason_quota_used",
            DeliveryReason.unsubscribed: "reason_unsubscribed", DeliveryReason.taskCancelled: "reason_task_cancelled",
            DeliveryReason.outcomeUnknown: "reason_outcome_unknown", DeliveryReason.noAnswer: "reason_no_answer",
            DeliveryReason.invalidOpenid: "reason_invalid_openid", DeliveryReason.blocked: "reason_blocked",
            DeliveryReason.systemBusy: "reason_system_busy", DeliveryReason.badPayload: "reason_bad_payload",
            DeliveryReason.ruleDisabled: "reason_rule_disabled", DeliveryReason.ruleDeleted: "reason_rule_deleted",
        ]
        return known[reason].flatMap { page.text[$0] } ?? reason
    }

    /// `GET /console/tasks/:id/progress`: the figures the task page's script refreshes.
    @Sendable func taskProgress(_ request: Request, context: Context) async throws -> Response {
        guard try await session(request, context) != nil else { return Response(status: .unauthorized) }
        let page = Page(request)
        guard let task = try await existingTask(context) else { return Response(status: .notFound) }
        let values = taskValues(task, stats: try await store.taskStats(id: task.id), page: page)
        return try JSONBody.object(.ok, values.filter { ["status", "statusLabel", "audience", "sent", "failed", "skipped", "pending",
                                                         "cancelled", "percent", "live"].contains($0.key) })
    }

    /// Cancel, pause or resume, from the task page's buttons.
    @Sendable func taskAction(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return csrfRefused(page, session)
        }
        guard let task = try await existingTask(context) else { return notFound(page, session) }
        let action = try context.parameters.require("action"), now = clock.nowMillis()
        let done: Bool
        switch action {
        case "cancel": done = try await store.cancelTask(id: task.id, now: now)
        case "pause": done = try await store.transitionTask(id: task.id, from: [.scheduled, .running], to: .paused, now: now)
        case "resume":
            // A task paused before its send time goes back to waiting for it.
            done = try await store.transitionTask(id: task.id, from: [.paused], to: task.snapshotAt == nil ? .scheduled : .running, now: now)
        default: return notFound(page, session)
        }
        guard done else {
            return try await taskPage(request, context: context, session: session, status: .conflict,
                                      error: page.text["task_action_refused"] ?? "")
        }
        context.logger.info("task \(action)", metadata: ["kefu.task.id": "\(task.id)", "kefu.console.principal": "\(session.principal)"])
        return Self.redirect("/console/tasks/\(task.id)")
    }

    /// Test sends to the openids typed on the task page (one per line, at most 100).
    @Sendable func testTask(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard let form = try await Self.checkedForm(request, session: session, as: TestSendForm.self) else {
            return csrfRefused(page, session)
        }
        guard let task = try await existingTask(context) else { return notFound(page, session) }
        let openids = Array(Set((form.openids ?? "").split(whereSeparator: { $0.isNewline || $0 == "," || $0 == " " }).map(String.init)))
        guard !openids.isEmpty, openids.count <= 100, openids.allSatisfy({ $0.utf8.count <= 128 }) else {
            return try await taskPage(request, context: context, session: session, status: .unprocessableContent,
                                      error: page.text["test_invalid"] ?? "")
        }
        let queued = try await store.enqueueTestDeliveries(taskId: task.id, openids: openids, now: clock.nowMillis())
        context.logger.info("task test send", metadata: ["kefu.task.id": "\(task.id)", "kefu.console.principal": "\(session.principal)"])
        return try await taskPage(request, context: context, session: session, notice: "\(page.text["test_queued"] ?? "") \(queued)")
    }

    func existingTask(_ context: Context) async throws -> BroadcastTask? {
        guard let id = Int64(try context.parameters.require("id")) else { return nil }
        return try await store.task(id: id)
    }

    func notFound(_ page: Page, _ session: ConsoleSession) -> Response {
        errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
    }

    /// A `multipart/form-data` console form whose `_csrf` field is the session's; nil (answer 403,
    /// change nothing) when it is not. A malformed body is a 400 like any form.
    func multipartForm(_ request: Request, session: ConsoleSession, page: Page) async throws -> ConsoleMultipart? {
        let form: MultipartForm
        do {
            form = try await MediaUpload.form(request, limits: limits)
        } catch let error as HTTPError where error.status == .badRequest {
            throw HTTPError(.badRequest, message: "the form is not multipart/form-data")
        }
        let parsed = ConsoleMultipart(form)
        guard !parsed.fields.values.contains(where: { $0.utf8.contains(0) }) else {
            throw HTTPError(.badRequest, message: Self.nulInForm)
        }
        guard let presented = parsed.fields["_csrf"],
              CallbackSignature.constantTimeEquals(Array(presented.utf8), Array(session.csrf.utf8)) else { return nil }
        return parsed
    }
}

struct TestSendForm: Decodable, CSRFCarrying {
    var csrf: String?
    var openids: String?
    enum CodingKeys: String, CodingKey { case csrf = "_csrf", openids }
}

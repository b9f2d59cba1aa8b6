import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// `/api/v1/tasks`: scheduled broadcasts — create, list, read with progress, preview, cancel,
/// pause, resume, test-send, and the per-recipient log.
struct TasksController<Context: RequestContext> {
    let store: any BroadcastStore & AccountReader & MediaStore
    let clock: any WallClock
    let bodyLimit: Int
    /// When a library file's WeChat id is uploaded again before use (the preview says which are fresh).
    var mediaMaxAgeMillis: Int64 = 216_000_000

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("/tasks", use: create)
        group.get("/tasks", use: list)
        group.get("/tasks/:id", use: get)
        group.get("/tasks/:id/preview", use: preview)
        group.get("/tasks/:id/deliveries", use: deliveries)
        group.post("/tasks/:id/cancel", use: cancel)
        group.post("/tasks/:id/pause", use: pause)
        group.post("/tasks/:id/resume", use: resume)
        group.post("/tasks/:id/test", use: test)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = JSONFields(try await JSONBody.object(from: request, limit: bodyLimit))
        let name = try body.requiredString("name", hint: " (1 to 100 characters)")
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
            throw KefuError.invalid("name", "must be 1 to 100 characters")
        }
        let description = try body.string("description")
        if let description, description.count > 1000 { throw KefuError.invalid("description", "is longer than 1000 characters") }
        let appid = try body.requiredString("appid")
        // An account the token does not see is answered as an absent one.
        guard Access.of(context).sees(appid), try await store.account(appid: appid) != nil else {
            throw KefuError.invalid("appid", "no account \(appid)")
        }
        let sendAt = try Self.sendAt(body, now: clock.nowMillis())
        guard body.has("message"), let message = try MessageInput.read(body) else { throw KefuError.invalid("message", "is required") }
        let now = clock.nowMillis()
        var task = BroadcastTask(appid: appid, name: name, description: description, sendAt: sendAt,
                                 message: message, createdAt: now, updatedAt: now)
        task.id = try await store.createTask(task)
        context.logger.info("task created", metadata: ["kefu.task.id": "\(task.id)", "kefu.appid": "\(appid)"])
        return try await respond(.created, task)
    }

    /// How far in the past a `send_at` may lie (clock skew, a form submitted a moment late)
    /// before it is taken for a mistake rather than "now".
    static var sendAtTolerance: Int64 { 60_000 }

    /// `send_at`: absent → now; an RFC 3339 time; more than a minute in the past → 422, so a
    /// mistyped year never broadcasts at once.
    static func sendAt(_ body: JSONFields, now: Int64) throws -> Int64 {
        guard let raw = body.raw("send_at") else { return now }
        guard let text = raw as? String else {
            throw KefuError.invalid("send_at", "must be an RFC 3339 string such as \"\(RFC3339.format(millis: now + 3_600_000))\"")
        }
        guard let sendAt = RFC3339.parse(text) else {
            throw KefuError.invalid("send_at", "must be an RFC 3339 time such as \"\(RFC3339.format(millis: now + 3_600_000))\"")
        }
        guard sendAt >= now - sendAtTolerance else {
            throw KefuError.invalid("send_at", "\(text) is in the past; leave send_at out to send now")
        }
        return sendAt
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters
        var status: BroadcastTask.Status?
        if let text = query.get("status") {
            guard let parsed = BroadcastTask.Status(rawValue: text) else {
                throw KefuError.invalid("status", "must be one of \(BroadcastTask.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let limit = try JSONBody.limit(query.get("limit"), default: 100, max: 1000)
        let tasks = try await Self.visibleTasks(store: store, access: Access.of(context), appid: query.get("appid"), status: status, limit: limit)
        var items: [[String: Any]] = []
        for task in tasks { items.append(Self.json(task, stats: try await store.taskStats(id: task.id))) }
        return try JSONBody.object(.ok, ["tasks": items])
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        try await respond(.ok, try await existing(context))
    }

    /// The newest `limit` tasks the access sees: of `appid` (none when it does not see it), or of
    /// every account it sees — for a scoped token, each account's newest merged.
    static func visibleTasks(store: any BroadcastStore, access: Access, appid: String?, status: BroadcastTask.Status?,
                             limit: Int) async throws -> [BroadcastTask] {
        if let appid {
            return access.sees(appid) ? try await store.tasks(appid: appid, status: status, limit: limit) : []
        }
        guard let accounts = access.accounts else { return try await store.tasks(appid: nil, status: status, limit: limit) }
        var tasks: [BroadcastTask] = []
        for appid in accounts { tasks += try await store.tasks(appid: appid, status: status, limit: limit) }
        return Array(tasks.sorted { $0.id > $1.id }.prefix(limit))
    }

    @Sendable func preview(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        guard let preview = try await store.taskPreview(id: task.id, now: clock.nowMillis()) else {
            throw KefuError(.notFound, "no task \(task.id)")
        }
        // The library files the message uses, and whether each has a WeChat id fresh enough to
        // send with now (otherwise the first send uploads it).
        let now = clock.nowMillis()
        var media: [[String: Any]] = []
        for (id, kind, field) in task.message.kefuMedia {
            let item = try await store.media(appid: task.appid, id: id)
            let fresh = item.flatMap { item in item.wechatUploadedAt.map { now - $0 < mediaMaxAgeMillis } } ?? false
            media.append([
                "id": id, "type": kind.rawValue, "field": field, "exists": item != nil,
                "filename": item?.filename ?? NSNull(), "wechat_media_id": item?.wechatMediaId ?? NSNull(),
                "wechat_uploaded_at": item?.wechatUploadedAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
                "fresh": fresh,
            ])
        }
        return try JSONBody.object(.ok, [
            "media": media,
            "reachable_now": preview.reachableNow,
            "reachable_at_send": preview.reachableAtSend,
            "closing_before_reached": preview.closingBeforeReached,
            "send_seconds": preview.sendSeconds,
            "daily_budget": preview.dailyBudget,
            "used_today": preview.usedToday,
            "quota_share": preview.quotaShare,
        ])
    }

    @Sendable func deliveries(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        let query = try DeliveryLogQuery(request)
        let rows = try await store.deliveries(taskId: task.id, state: query.state, limit: query.limit, afterId: query.afterId)
        return try query.page(rows) { row in
            var item: [String: Any] = ["openid": row.openid, "state": row.state.rawValue, "attempts": row.attempts,
                                       "reason": row.reason ?? NSNull(), "errcode": row.errcode ?? NSNull(),
                                       "sent_at": row.sentAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
                                       "wechat_media_id": row.wechatMedia ?? NSNull()]
            if row.test { item["test"] = true }
            return item
        }
    }

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        guard try await store.cancelTask(id: task.id, now: clock.nowMillis()) else {
            throw KefuError(.conflict, "task \(task.id) is \(task.status.rawValue) and cannot be cancelled")
        }
        context.logger.info("task cancelled", metadata: ["kefu.task.id": "\(task.id)"])
        return try await respond(.ok, try await existing(context))
    }

    @Sendable func pause(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        guard try await store.transitionTask(id: task.id, from: [.scheduled, .running], to: .paused, now: clock.nowMillis()) else {
            throw KefuError(.conflict, "task \(task.id) is \(task.status.rawValue) and cannot be paused")
        }
        return try await respond(.ok, try await existing(context))
    }

    @Sendable func resume(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        // A task paused before its send time goes back to waiting for it.
        let target: BroadcastTask.Status = task.snapshotAt == nil ? .scheduled : .running
        guard try await store.transitionTask(id: task.id, from: [.paused], to: target, now: clock.nowMillis()) else {
            throw KefuError(.conflict, "task \(task.id) is \(task.status.rawValue), not paused")
        }
        return try await respond(.ok, try await existing(context))
    }

    @Sendable func test(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        let body = JSONFields(try await JSONBody.object(from: request, limit: bodyLimit))
        guard let list = try body.array("openids"), !list.isEmpty else {
            throw KefuError.invalid("openids", "is required: a list of follower openids")
        }
        var openids: [String] = []
        for (index, item) in list.enumerated() {
            guard let openid = item as? String else { throw KefuError.invalid("openids[\(index)]", "must be a string") }
            openids.append(openid)
        }
        guard openids.count <= 100 else { throw KefuError.invalid("openids", "at most 100 per test") }
        for (index, openid) in openids.enumerated() where openid.isEmpty || openid.utf8.count > 128 {
            throw KefuError.invalid("openids[\(index)]", "must be 1 to 128 characters")
        }
        let queued = try await store.enqueueTestDeliveries(taskId: task.id, openids: Array(Set(openids)), now: clock.nowMillis())
        return try JSONBody.object(.accepted, ["queued": queued])
    }

    private func existing(_ context: Context) async throws -> BroadcastTask {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let task = try await store.task(id: id) else { throw KefuError(.notFound, "no task \(text)") }
        return task
    }

    private func respond(_ status: HTTPResponse.Status, _ task: BroadcastTask) async throws -> Response {
        try JSONBody.object(status, Self.json(task, stats: try await store.taskStats(id: task.id)))
    }

    static func json(_ task: BroadcastTask, stats: TaskStats) -> [String: Any] {
        var errors: [String: Int] = [:]
        for (code, count) in stats.errors { errors[String(code)] = count }
        return [
            "id": task.id, "name": task.name, "description": task.description ?? NSNull(), "appid": task.appid,
            "send_at": RFC3339.format(millis: task.sendAt), "status": task.status.rawValue,
            "message": task.message.jsonObject, "kf_account": task.message.kfAccount ?? NSNull(),
            "created_at": RFC3339.format(millis: task.createdAt), "updated_at": RFC3339.format(millis: task.updatedAt),
            "started_at": task.snapshotAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
            "stats": [
                "audience": stats.audience, "sent": stats.sent, "failed": stats.failed, "skipped": stats.skipped,
                "pending": stats.pending, "cancelled": stats.cancelled, "errors": errors,
            ] as [String: Any],
        ]
    }
}

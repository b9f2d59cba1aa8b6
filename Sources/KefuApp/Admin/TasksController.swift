import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// `/api/v1/tasks`: scheduled broadcasts — create, list, read with progress, preview, cancel,
/// pause, resume, test-send, and the per-recipient log.
struct TasksController<Context: RequestContext> {
    let store: any KefuStore
    let clock: any WallClock
    let bodyLimit: Int

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
        let body = try await JSONBody.object(from: request, limit: bodyLimit)
        guard let name = body["name"] as? String, !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
            throw KefuError.invalid("name", "is required (1 to 100 characters)")
        }
        let description = body["description"] as? String
        if let description, description.count > 1000 { throw KefuError.invalid("description", "is longer than 1000 characters") }
        guard let appid = body["appid"] as? String else { throw KefuError.invalid("appid", "is required") }
        guard try await store.account(appid: appid) != nil else { throw KefuError.invalid("appid", "no account \(appid)") }
        guard let sendAtText = body["send_at"] as? String else { throw KefuError.invalid("send_at", "is required (RFC 3339)") }
        guard let sendAt = RFC3339.parse(sendAtText) else { throw KefuError.invalid("send_at", "must be an RFC 3339 time") }
        guard let message = body["message"] else { throw KefuError.invalid("message", "is required") }
        let now = clock.nowMillis()
        var task = BroadcastTask(appid: appid, name: name, description: description, sendAt: sendAt,
                                 message: try CustomMessage(object: message), createdAt: now, updatedAt: now)
        task.id = try await store.createTask(task)
        context.logger.info("task created", metadata: ["kefu.task.id": "\(task.id)", "kefu.appid": "\(appid)"])
        return try await respond(.created, task)
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
        let tasks = try await store.tasks(appid: query.get("appid"), status: status, limit: limit)
        var items: [[String: Any]] = []
        for task in tasks { items.append(Self.json(task, stats: try await store.taskStats(id: task.id))) }
        return try JSONBody.object(.ok, ["tasks": items])
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        try await respond(.ok, try await existing(context))
    }

    @Sendable func preview(_ request: Request, context: Context) async throws -> Response {
        let task = try await existing(context)
        guard let preview = try await store.taskPreview(id: task.id, now: clock.nowMillis()) else {
            throw KefuError(.notFound, "no task \(task.id)")
        }
        return try JSONBody.object(.ok, [
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
                                       "sent_at": row.sentAt.map { RFC3339.format(millis: $0) } ?? NSNull()]
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
        let body = try await JSONBody.object(from: request, limit: bodyLimit)
        guard let openids = body["openids"] as? [String], !openids.isEmpty else {
            throw KefuError.invalid("openids", "is required: a list of follower openids")
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
            "message": task.message.jsonObject,
            "created_at": RFC3339.format(millis: task.createdAt), "updated_at": RFC3339.format(millis: task.updatedAt),
            "started_at": task.snapshotAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
            "stats": [
                "audience": stats.audience, "sent": stats.sent, "failed": stats.failed, "skipped": stats.skipped,
                "pending": stats.pending, "cancelled": stats.cancelled, "errors": errors,
            ] as [String: Any],
        ]
    }
}

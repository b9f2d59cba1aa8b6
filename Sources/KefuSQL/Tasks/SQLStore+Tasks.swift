import KefuCore
import KefuStore

/// Broadcast tasks: everything but starting one (the audience snapshot, whose set-based copy each
/// backend does its own way) and completing one (PostgreSQL also waits for an unfinished
/// snapshot).
extension SQLStore {
    public func createTask(_ task: BroadcastTask) async throws -> Int64 {
        try await inTransaction { db in
            try await Self.checkMediaReferences(db, appid: task.appid, message: task.message)
            let id = try await db.fetchOne(
                """
                INSERT INTO tasks (appid, name, description, send_at, message, status, created_at, updated_at)
                VALUES (\(task.appid), \(task.name), \(task.description), \(task.sendAt), \(task.message.json),
                        \(task.status.rawValue), \(task.createdAt), \(task.updatedAt))
                RETURNING id
                """)?.int64("id") ?? 0
            try await db.notify(.schedule)
            return id
        }
    }

    public func task(id: Int64) async throws -> BroadcastTask? {
        try await forReading { db in
            try await db.fetchOne("SELECT \(raw: StoreRows.taskColumns) FROM tasks WHERE id = \(id)").map(StoreRows.task)
        }
    }

    public func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int, beforeId: Int64?) async throws -> [BroadcastTask] {
        try await forReading { db in
            var sql: SQL = "SELECT \(raw: StoreRows.taskColumns) FROM tasks WHERE 1 = 1"
            if let appid { sql += " AND appid = \(appid)" }
            if let status { sql += " AND status = \(status.rawValue)" }
            if let beforeId { sql += " AND id < \(beforeId)" }
            sql += " ORDER BY id DESC LIMIT \(limit)"
            return try await db.fetchAll(sql).map(StoreRows.task)
        }
    }

    public func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool {
        try await inTransaction { db in
            let changed = try await db.run(
                "UPDATE tasks SET status = \(to.rawValue), updated_at = \(now) WHERE id = \(id) AND status \(anyOf: from.map(\.rawValue))")
            if changed == 1 { try await db.notify(to == .running ? .deliveries : .schedule) }
            return changed == 1
        }
    }

    /// The task first, alone: once it is cancelled no claim takes its deliveries (a claim needs a
    /// running task), whatever is still pending. Then its pending deliveries in chunks, each its
    /// own transaction, for at most `budget`: one statement over a million-recipient broadcast ran
    /// past the store's 20 s operation deadline on a slow machine and was rolled back, and the
    /// task could not be cancelled at all. The first chunk is always done; what the budget leaves
    /// (or a crash in between) the trimmer finishes (`cancelLeftovers`).
    public func cancelTask(id: Int64, now: Int64, chunk: Int, budget: Duration) async throws -> Bool {
        guard try await inTransaction({ db in
            try await db.run(
                "UPDATE tasks SET status = 'cancelled', updated_at = \(now) WHERE id = \(id) AND status IN ('scheduled', 'running', 'paused')") == 1
        }) else { return false }
        let deadline = ContinuousClock.now + budget
        repeat {
            if try await cancelPending(of: "task_id = \(id)", limit: chunk) < chunk { break }
        } while ContinuousClock.now < deadline
        return true
    }

    public func cancelLeftovers(limit: Int) async throws -> Int {
        try await cancelPending(of: "task_id IN (SELECT id FROM tasks WHERE status = 'cancelled')", limit: limit)
    }

    /// Cancels up to `limit` pending deliveries that `filter` picks, in one transaction, and
    /// answers how many. Rows a claim holds locked are skipped, not waited for: whatever is left
    /// is the next chunk's or the trimmer's.
    private func cancelPending(of filter: SQL, limit: Int) async throws -> Int {
        try await inTransaction { db in
            try await db.run(
                """
                UPDATE deliveries SET state = 'cancelled', reason = \(DeliveryReason.taskCancelled)
                WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND \(filter) LIMIT \(limit)\(SQL.skipLocked))
                """)
        }
    }

    public func taskStats(id: Int64) async throws -> TaskStats {
        try await forReading { db in
            StoreRows.taskStats(
                states: try await db.fetchAll("SELECT state, count(*) AS n FROM deliveries WHERE task_id = \(id) AND test = 0 GROUP BY state"),
                errors: try await db.fetchAll(
                    """
                    SELECT errcode, count(*) AS n FROM deliveries
                    WHERE task_id = \(id) AND test = 0 AND errcode IS NOT NULL AND errcode <> 0 GROUP BY errcode
                    """))
        }
    }

    public func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await deliveryLog(column: "task_id", id: taskId, state: state, limit: limit, afterId: afterId)
    }

    /// A task's or a rule's per-recipient log, by id. `column` is kefu's own constant.
    func deliveryLog(column: String, id: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await forReading { db in
            var sql: SQL = "SELECT \(raw: StoreRows.deliveryRecordColumns) FROM deliveries WHERE \(raw: column) = \(id)"
            if let state { sql += " AND state = \(state.rawValue)" }
            if let afterId { sql += " AND id > \(afterId)" }
            sql += " ORDER BY id LIMIT \(limit)"
            return try await db.fetchAll(sql).map(StoreRows.deliveryRecord)
        }
    }

    public func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int {
        guard !openids.isEmpty else { return 0 }
        return try await inTransaction { db in
            guard let appid = try await db.fetchOne("SELECT appid FROM tasks WHERE id = \(taskId)")?.string("appid") else {
                throw KefuError(.notFound, "no task \(taskId)")
            }
            let rows: [[SQLValue]] = openids.map {
                [.int(taskId), .int(1), .text(appid), .text($0), .int(now), .int(now), .text(DeliveryState.pending.rawValue), .int(now)]
            }
            let count = try await db.run(
                """
                INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at)
                VALUES \(rows: rows)
                """)
            try await db.notify(.deliveries)
            return count
        }
    }

    public func nextTaskStart() async throws -> Int64? {
        try await forReading { db in
            try await db.fetchOne("SELECT min(send_at) AS next FROM tasks WHERE status = 'scheduled'")?.optionalInt64("next")
        }
    }

    public func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview? {
        guard let task = try await task(id: id) else { return nil }
        return try await audienceForecast(appid: task.appid, sendAt: task.sendAt, now: now)
    }

    public func audienceForecast(appid: String, sendAt: Int64, now: Int64) async throws -> TaskPreview? {
        try await forReading { db in
            guard let row = try await db.fetchOne("SELECT reserve, send_rate, daily_budget FROM accounts WHERE appid = \(appid)") else {
                return nil
            }
            let reserve = row.int64("reserve"), rate = max(row.int64("send_rate"), 1)
            let start = max(sendAt, now)
            // The snapshot's audience (`StoreRows.sendsLeft`), counted.
            let eligible: SQL = """
                FROM followers f WHERE f.appid = \(appid) AND f.window_closes_at > \(now) AND f.subscribed = 1
                  AND (SELECT \(raw: StoreRows.sendsLeft)
                       FROM grants g WHERE g.appid = f.appid AND g.openid = f.openid AND g.closes_at > \(now)) > \(reserve)
                """
            let reachableNow = try await db.fetchOne("SELECT count(*) AS n \(eligible)")?.int("n") ?? 0
            let atSend = try await db.fetchOne("SELECT count(*) AS n \(eligible) AND f.window_closes_at > \(start)")?.int("n") ?? 0
            // Sent earliest-close first at `rate` per second, the k-th follower is reached k/rate
            // seconds after the start; count those whose window closes before then.
            let closing = try await db.fetchOne(
                """
                SELECT count(*) AS n FROM (
                    SELECT f.window_closes_at AS closes, row_number() OVER (ORDER BY f.window_closes_at, f.openid) AS k
                    \(eligible) AND f.window_closes_at > \(start)) ranked
                WHERE closes < \(start) + (k - 1) * 1000.0 / \(rate)
                """)?.int("n") ?? 0
            let used = try await db.fetchOne("SELECT used FROM send_days WHERE appid = \(appid) AND day = \(QuotaDay.of(now))")?.int("used") ?? 0
            let budget = max(row.int("daily_budget"), 1)
            return TaskPreview(reachableNow: reachableNow, reachableAtSend: atSend, closingBeforeReached: closing,
                               sendSeconds: Double(atSend) / Double(rate), dailyBudget: budget, usedToday: used,
                               quotaShare: Double(atSend) / Double(budget))
        }
    }
}

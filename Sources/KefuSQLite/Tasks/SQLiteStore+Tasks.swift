import KefuCore
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func createTask(_ task: BroadcastTask) async throws -> Int64 {
        try await write { db in
            let rows = try await db.query(
                """
                INSERT INTO tasks (appid, name, description, send_at, message, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                [.text(task.appid), .text(task.name), .optional(task.description), .millis(task.sendAt),
                 .text(task.message.json), .text(task.status.rawValue), .millis(task.createdAt), .millis(task.updatedAt)])
            return rows.first?.int64("id") ?? 0
        }
    }

    public func task(id: Int64) async throws -> BroadcastTask? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.taskColumns) FROM tasks WHERE id = ?", [.millis(id)]).first.map(StoreRows.task)
        }
    }

    public func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int) async throws -> [BroadcastTask] {
        try await read { db in
            var sql = "SELECT \(StoreRows.taskColumns) FROM tasks WHERE 1 = 1"
            var binds: [SQLiteData] = []
            if let appid { sql += " AND appid = ?"; binds.append(.text(appid)) }
            if let status { sql += " AND status = ?"; binds.append(.text(status.rawValue)) }
            sql += " ORDER BY id DESC LIMIT ?"
            binds.append(.integer(limit))
            return try await db.query(sql, binds).map(StoreRows.task)
        }
    }

    public func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool {
        try await write { db in
            let states = from.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            _ = try await db.query("UPDATE tasks SET status = ?, updated_at = ? WHERE id = ? AND status IN (\(states))",
                                   [.text(to.rawValue), .millis(now), .millis(id)])
            return try await Self.changes(db) == 1
        }
    }

    public func cancelTask(id: Int64, now: Int64) async throws -> Bool {
        try await write { db in
            _ = try await db.query(
                "UPDATE tasks SET status = 'cancelled', updated_at = ? WHERE id = ? AND status IN ('scheduled', 'running', 'paused')",
                [.millis(now), .millis(id)])
            guard try await Self.changes(db) == 1 else { return false }
            _ = try await db.query(
                "UPDATE deliveries SET state = 'cancelled', reason = ? WHERE task_id = ? AND state = 'pending'",
                [.text(DeliveryReason.taskCancelled), .millis(id)])
            return true
        }
    }

    public func taskStats(id: Int64) async throws -> TaskStats {
        try await read { db in
            StoreRows.taskStats(
                states: try await db.query("SELECT state, count(*) AS n FROM deliveries WHERE task_id = ? AND test = 0 GROUP BY state", [.millis(id)]),
                errors: try await db.query(
                    """
                    SELECT errcode, count(*) AS n FROM deliveries
                    WHERE task_id = ? AND test = 0 AND errcode IS NOT NULL AND errcode <> 0 GROUP BY errcode
                    """, [.millis(id)]))
        }
    }

    public func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await read { db in
            var sql = "SELECT \(StoreRows.deliveryRecordColumns) FROM deliveries WHERE task_id = ?"
            var binds: [SQLiteData] = [.millis(taskId)]
            if let state { sql += " AND state = ?"; binds.append(.text(state.rawValue)) }
            if let afterId { sql += " AND id > ?"; binds.append(.millis(afterId)) }
            sql += " ORDER BY id LIMIT ?"
            binds.append(.integer(limit))
            return try await db.query(sql, binds).map(StoreRows.deliveryRecord)
        }
    }

    public func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int {
        guard !openids.isEmpty else { return 0 }
        return try await write { db in
            guard let task = try await db.query("SELECT appid FROM tasks WHERE id = ?", [.millis(taskId)]).first else {
                throw KefuError(.notFound, "no task \(taskId)")
            }
            var binds: [SQLiteData] = []
            for openid in openids {
                binds += [.millis(taskId), .text(task.string("appid")), .text(openid), .millis(now), .millis(now), .millis(now)]
            }
            _ = try await db.query(
                """
                INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at)
                SELECT column1, 1, column2, column3, column4, column5, 'pending', column6
                FROM (VALUES \(Self.placeholders(rows: openids.count, columns: 6)))
                """, binds)
            return try await Self.changes(db)
        }
    }

    public func startDueTasks(now: Int64) async throws -> [(Int64, Int)] {
        let due = try await read { db in
            try await db.query("SELECT id FROM tasks WHERE status = 'scheduled' AND send_at <= ? ORDER BY send_at LIMIT 100",
                               [.millis(now)]).map { $0.int64("id") }
        }
        var started: [(Int64, Int)] = []
        for id in due {
            let count: Int? = try await write { db in
                // Exactly one process wins the scheduled → running transition; the snapshot rides
                // in the same transaction.
                _ = try await db.query(
                    "UPDATE tasks SET status = 'running', snapshot_at = ?, updated_at = ? WHERE id = ? AND status = 'scheduled'",
                    [.millis(now), .millis(now), .millis(id)])
                guard try await Self.changes(db) == 1 else { return nil }
                guard let task = try await db.query(
                    "SELECT t.appid, t.send_at, a.reserve FROM tasks t JOIN accounts a ON a.appid = t.appid WHERE t.id = ?",
                    [.millis(id)]).first
                else { return 0 }
                _ = try await db.query(Self.snapshotSQL, [
                    .millis(id), .millis(now), .text(task.string("appid")), .integer(task.int("reserve")),
                ])
                return try await Self.changes(db)
            }
            if let count { started.append((id, count)) }
        }
        return started
    }

    /// One set-based statement: every follower whose window is open now and who has more sends
    /// left than the account's reserve becomes one pending delivery (?1 task, ?2 now, ?3 appid,
    /// ?4 reserve). Unlimited grants count as plenty.
    static let snapshotSQL = """
        INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at)
        SELECT ?1, 0, f.appid, f.openid, ?2, f.window_closes_at, 'pending', ?2
        FROM followers f
        WHERE f.appid = ?3 AND f.window_closes_at > ?2 AND f.subscribed = 1
          AND (SELECT CASE WHEN max(g.remaining IS NULL) = 1 THEN 1000000000 ELSE coalesce(sum(g.remaining), 0) END
               FROM grants g WHERE g.appid = f.appid AND g.openid = f.openid AND g.closes_at > ?2) > ?4
        ON CONFLICT DO NOTHING
        """

    public func nextTaskStart() async throws -> Int64? {
        try await read { db in
            try await db.query("SELECT min(send_at) AS next FROM tasks WHERE status = 'scheduled'", []).first?.optionalInt("next").map(Int64.init)
        }
    }

    public func completeFinishedTasks(now: Int64) async throws -> [Int64] {
        try await write { db in
            try await db.query(
                """
                UPDATE tasks SET status = 'completed', updated_at = ?
                WHERE status = 'running' AND NOT EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.task_id = tasks.id AND d.test = 0 AND d.state IN ('pending', 'sending'))
                RETURNING id
                """, [.millis(now)]).map { $0.int64("id") }
        }
    }

    public func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview? {
        try await read { db in
            guard let row = try await db.query(
                """
                SELECT t.appid, t.send_at, a.reserve, a.send_rate, a.daily_budget FROM tasks t
                JOIN accounts a ON a.appid = t.appid WHERE t.id = ?
                """, [.millis(id)]).first
            else { return nil }
            let appid = row.string("appid"), reserve = row.int("reserve"), rate = max(row.int("send_rate"), 1)
            let start = max(row.int64("send_at"), now)
            let eligible = """
                FROM followers f WHERE f.appid = ?1 AND f.window_closes_at > ?2 AND f.subscribed = 1
                  AND (SELECT CASE WHEN max(g.remaining IS NULL) = 1 THEN 1000000000 ELSE coalesce(sum(g.remaining), 0) END
                       FROM grants g WHERE g.appid = f.appid AND g.openid = f.openid AND g.closes_at > ?2) > ?3
                """
            let reachableNow = try await db.query("SELECT count(*) AS n \(eligible)",
                                                  [.text(appid), .millis(now), .integer(reserve)]).first?.int("n") ?? 0
            let atSend = try await db.query("SELECT count(*) AS n \(eligible) AND f.window_closes_at > ?4",
                                            [.text(appid), .millis(now), .integer(reserve), .millis(start)]).first?.int("n") ?? 0
            // Sent earliest-close first at `rate` per second, the k-th follower is reached k/rate
            // seconds after the start; count those whose window closes before then.
            let closing = try await db.query(
                """
                SELECT count(*) AS n FROM (
                    SELECT f.window_closes_at AS closes, row_number() OVER (ORDER BY f.window_closes_at, f.openid) AS k
                    \(eligible) AND f.window_closes_at > ?4)
                WHERE closes < ?4 + (k - 1) * 1000.0 / ?5
                """, [.text(appid), .millis(now), .integer(reserve), .millis(start), .integer(rate)]).first?.int("n") ?? 0
            let day = QuotaDay.of(now)
            let used = try await db.query("SELECT used FROM send_days WHERE appid = ? AND day = ?",
                                          [.text(appid), .millis(day)]).first?.int("used") ?? 0
            let budget = max(row.int("daily_budget"), 1)
            return TaskPreview(reachableNow: reachableNow, reachableAtSend: atSend, closingBeforeReached: closing,
                               sendSeconds: Double(atSend) / Double(rate), dailyBudget: budget, usedToday: used,
                               quotaShare: Double(atSend) / Double(budget))
        }
    }

    static func changes(_ db: SQLiteConnection) async throws -> Int {
        try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
    }
}

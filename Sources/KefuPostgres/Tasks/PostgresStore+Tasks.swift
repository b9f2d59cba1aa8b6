import KefuCore
import KefuStore

extension PostgresStore {
    public func createTask(_ task: BroadcastTask) async throws -> Int64 {
        try await write { db in
            let id = try await db.query(
                """
                INSERT INTO tasks (appid, name, description, send_at, message, status, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                """,
                [.text(task.appid), .text(task.name), .optional(task.description), .int(task.sendAt),
                 .text(task.message.json), .text(task.status.rawValue), .int(task.createdAt), .int(task.updatedAt)]).first?.int64("id") ?? 0
            try await db.notify(.schedule)
            return id
        }
    }

    public func task(id: Int64) async throws -> BroadcastTask? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.taskColumns) FROM tasks WHERE id = $1", [.int(id)]).first.map(StoreRows.task)
        }
    }

    public func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int) async throws -> [BroadcastTask] {
        try await read { db in
            var sql = "SELECT \(StoreRows.taskColumns) FROM tasks WHERE 1 = 1"
            var binds: [PGValue] = []
            if let appid { binds.append(.text(appid)); sql += " AND appid = $\(binds.count)" }
            if let status { binds.append(.text(status.rawValue)); sql += " AND status = $\(binds.count)" }
            binds.append(.int(limit))
            sql += " ORDER BY id DESC LIMIT $\(binds.count)"
            return try await db.query(sql, binds).map(StoreRows.task)
        }
    }

    public func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool {
        try await write { db in
            let changed = try await db.execute("UPDATE tasks SET status = $1, updated_at = $2 WHERE id = $3 AND status = ANY($4)",
                                               [.text(to.rawValue), .int(now), .int(id), .texts(from.map(\.rawValue))])
            if changed == 1 { try await db.notify(to == .running ? .deliveries : .schedule) }
            return changed == 1
        }
    }

    public func cancelTask(id: Int64, now: Int64) async throws -> Bool {
        try await write { db in
            guard try await db.execute(
                "UPDATE tasks SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status IN ('scheduled', 'running', 'paused')",
                [.int(now), .int(id)]) == 1
            else { return false }
            try await db.execute(
                "UPDATE deliveries SET state = 'cancelled', reason = $1 WHERE task_id = $2 AND state = 'pending'",
                [.text(DeliveryReason.taskCancelled), .int(id)])
            return true
        }
    }

    public func taskStats(id: Int64) async throws -> TaskStats {
        try await read { db in
            StoreRows.taskStats(
                states: try await db.query("SELECT state, count(*) AS n FROM deliveries WHERE task_id = $1 AND test = 0 GROUP BY state", [.int(id)]),
                errors: try await db.query(
                    """
                    SELECT errcode, count(*) AS n FROM deliveries
                    WHERE task_id = $1 AND test = 0 AND errcode IS NOT NULL AND errcode <> 0 GROUP BY errcode
                    """, [.int(id)]))
        }
    }

    public func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await deliveryLog(column: "task_id", id: taskId, state: state, limit: limit, afterId: afterId)
    }

    /// A task's or a rule's per-recipient log, by id.
    func deliveryLog(column: String, id: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await read { db in
            var sql = "SELECT \(StoreRows.deliveryRecordColumns) FROM deliveries WHERE \(column) = $1"
            var binds: [PGValue] = [.int(id)]
            if let state { binds.append(.text(state.rawValue)); sql += " AND state = $\(binds.count)" }
            if let afterId { binds.append(.int(afterId)); sql += " AND id > $\(binds.count)" }
            binds.append(.int(limit))
            sql += " ORDER BY id LIMIT $\(binds.count)"
            return try await db.query(sql, binds).map(StoreRows.deliveryRecord)
        }
    }

    public func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int {
        guard !openids.isEmpty else { return 0 }
        return try await write { db in
            guard let task = try await db.query("SELECT appid FROM tasks WHERE id = $1", [.int(taskId)]).first else {
                throw KefuError(.notFound, "no task \(taskId)")
            }
            let count = try await db.execute(
                """
                INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at)
                SELECT $1, 1, $2, o, $3, $3, 'pending', $3 FROM unnest($4::text[]) AS o
                """, [.int(taskId), .text(task.string("appid")), .int(now), .texts(openids)])
            try await db.notify(.deliveries)
            return count
        }
    }

    /// Starts due tasks. The `scheduled → running` transition is a row-locked UPDATE, so exactly
    /// one process wins it; in the same transaction it leaves a `task_snapshots` marker (with a
    /// lease) that keeps the task from completing while its audience is copied. The copy then
    /// runs in chunks of the account's followers (`snapshotChunk` each, by openid range), two at
    /// a time, each in its own transaction: a million-follower audience uses both of a small
    /// server's cores, no transaction is huge, and sending starts with the first chunk. A
    /// snapshot whose process died is found by its expired lease and redone idempotently
    /// (`ON CONFLICT DO NOTHING` on the task/follower key).
    public func startDueTasks(now: Int64) async throws -> [(Int64, Int)] {
        let (due, abandoned) = try await read { db in
            (try await db.query("SELECT id FROM tasks WHERE status = 'scheduled' AND send_at <= $1 ORDER BY send_at LIMIT 100",
                                [.int(now)]).map { $0.int64("id") },
             try await db.query("SELECT task_id FROM task_snapshots WHERE lease_until < $1 LIMIT 100", [.int(now)]).map { $0.int64("task_id") })
        }
        var started: [(Int64, Int)] = []
        for (id, resume) in due.map({ ($0, false) }) + abandoned.map({ ($0, true) }) {
            let snapshot: Snapshot? = try await write { db in
                if resume {
                    return try await db.query(
                        """
                        UPDATE task_snapshots SET lease_until = $2 WHERE task_id = $1 AND lease_until < $3
                        RETURNING at, appid, reserve
                        """, [.int(id), .int(now + Self.snapshotLeaseMillis), .int(now)]).first
                        .map { Snapshot(task: id, at: $0.int64("at"), appid: $0.string("appid"), reserve: $0.int64("reserve"), resumed: true) }
                }
                guard try await db.execute(
                    "UPDATE tasks SET status = 'running', snapshot_at = $1, updated_at = $1 WHERE id = $2 AND status = 'scheduled'",
                    [.int(now), .int(id)]) == 1,
                    let task = try await db.query(
                        "SELECT t.appid, a.reserve FROM tasks t JOIN accounts a ON a.appid = t.appid WHERE t.id = $1", [.int(id)]).first
                else { return nil }
                let snapshot = Snapshot(task: id, at: now, appid: task.string("appid"), reserve: task.int64("reserve"), resumed: false)
                try await db.execute(
                    "INSERT INTO task_snapshots (task_id, at, appid, reserve, lease_until) VALUES ($1, $2, $3, $4, $5)",
                    [.int(id), .int(now), .text(snapshot.appid), .int(snapshot.reserve), .int(now + Self.snapshotLeaseMillis)])
                return snapshot
            }
            guard let snapshot else { continue }
            started.append((id, try await copyAudience(snapshot)))
        }
        // A large snapshot changes the queue's shape at once, and often follows a bulk import
        // of the account's followers: refresh the planner's statistics of every table a claim
        // reads now, rather than when autovacuum gets to them. With stale ones (an appid the
        // statistics think rare, a tasks table never analysed) the planner reads a whole
        // account's rows per claim instead of walking the queue index.
        if started.reduce(0, { $0 + $1.1 }) >= 100_000 {
            _ = try? await write(timeout: Self.longOperationTimeout) { db in try await db.execute("ANALYZE deliveries, followers, grants, tasks") }
        }
        return started
    }

    struct Snapshot: Sendable {
        let task: Int64, at: Int64, appid: String, reserve: Int64, resumed: Bool
    }

    /// A follower's sends left across the grants `g` aggregated over (a billion when one is
    /// unlimited): who is in a task's audience, in the snapshot and in the preview alike.
    static let sendsLeft = "CASE WHEN bool_or(g.remaining IS NULL) THEN 1000000000 ELSE coalesce(sum(g.remaining), 0) END"

    static let snapshotLeaseMillis: Int64 = 60_000
    static let snapshotChunk = 50_000
    static let snapshotParallelism = 2

    /// Copies a task's audience in openid-range chunks, `snapshotParallelism` at a time, renewing
    /// the snapshot's lease after each; then removes the marker. Returns the deliveries queued.
    func copyAudience(_ snapshot: Snapshot) async throws -> Int {
        // Chunk boundaries: every `snapshotChunk`-th openid of the account (from the primary key
        // alone; a few thousand strings for the largest accounts).
        let bounds = try await read { db in
            try await db.query(
                """
                SELECT openid FROM (SELECT openid, row_number() OVER (ORDER BY openid) AS n FROM followers WHERE appid = $1) ranked
                WHERE n % $2 = 0 ORDER BY openid
                """, [.text(snapshot.appid), .int(Int64(Self.snapshotChunk))]).map { $0.string("openid") }
        }
        let ranges: [(String?, String?)] = zip([nil] + bounds.map(Optional.some), bounds.map(Optional.some) + [nil]).map { ($0, $1) }
        var queued = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            func add() {
                let range = ranges[next]
                next += 1
                group.addTask { try await self.copyChunk(snapshot, after: range.0, through: range.1) }
            }
            while next < min(Self.snapshotParallelism, ranges.count) { add() }
            while let count = try await group.next() {
                queued += count
                _ = try await write { db in
                    try await db.execute("UPDATE task_snapshots SET lease_until = greatest(lease_until, $2) WHERE task_id = $1",
                                         [.int(snapshot.task), .int(SystemWallClock().nowMillis() + Self.snapshotLeaseMillis)])
                }
                if next < ranges.count { add() }
            }
        }
        _ = try await write { db in
            try await db.execute("DELETE FROM task_snapshots WHERE task_id = $1", [.int(snapshot.task)])
            try await db.notify(.deliveries)
        }
        return queued
    }

    /// One chunk of the audience, in its own transaction: followers with an open window, still
    /// subscribed, whose open grants leave more than the account's reserve, with openid in
    /// (`after`, `through`]. The task row is share-locked first, so a cancellation waits for the
    /// chunk (and then cancels its deliveries) and a chunk after a cancellation copies nothing.
    func copyChunk(_ snapshot: Snapshot, after: String?, through: String?) async throws -> Int {
        try await write { db in
            guard let status = try await db.query("SELECT status FROM tasks WHERE id = $1 FOR SHARE", [.int(snapshot.task)]).first?.string("status"),
                  status == "running" || status == "paused"
            else { return 0 }
            var binds: [PGValue] = [.int(snapshot.task), .int(snapshot.at), .text(snapshot.appid), .int(snapshot.reserve)]
            var followerRange = "", grantRange = ""
            if let after {
                binds.append(.text(after))
                followerRange += " AND f.openid > $\(binds.count)"
                grantRange += " AND g.openid > $\(binds.count)"
            }
            if let through {
                binds.append(.text(through))
                followerRange += " AND f.openid <= $\(binds.count)"
                grantRange += " AND g.openid <= $\(binds.count)"
            }
            let count = try await db.execute(
                """
                INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at)
                SELECT $1, 0, f.appid, f.openid, $2, f.window_closes_at, 'pending', $2
                FROM followers f JOIN (
                    SELECT g.openid, \(Self.sendsLeft) AS units
                    FROM grants g WHERE g.appid = $3 AND g.closes_at > $2\(grantRange) GROUP BY g.openid
                ) u ON u.openid = f.openid
                WHERE f.appid = $3 AND f.window_closes_at > $2 AND f.subscribed = 1 AND u.units > $4\(followerRange)
                \(snapshot.resumed ? "ON CONFLICT DO NOTHING" : "")
                """, binds)
            if count > 0 { try await db.notify(.deliveries) }
            return count
        }
    }

    public func nextTaskStart() async throws -> Int64? {
        try await read { db in
            try await db.query("SELECT min(send_at) AS next FROM tasks WHERE status = 'scheduled'").first?.optionalInt64("next")
        }
    }

    public func completeFinishedTasks(now: Int64) async throws -> [Int64] {
        try await write { db in
            try await db.query(
                """
                UPDATE tasks SET status = 'completed', updated_at = $1
                WHERE status = 'running'
                  AND NOT EXISTS (SELECT 1 FROM task_snapshots s WHERE s.task_id = tasks.id)
                  AND NOT EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.task_id = tasks.id AND d.test = 0 AND d.state IN ('pending', 'sending'))
                RETURNING id
                """, [.int(now)]).map { $0.int64("id") }
        }
    }

    public func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview? {
        try await read { db in
            guard let row = try await db.query(
                """
                SELECT t.appid, t.send_at, a.reserve, a.send_rate, a.daily_budget FROM tasks t
                JOIN accounts a ON a.appid = t.appid WHERE t.id = $1
                """, [.int(id)]).first
            else { return nil }
            let appid = row.string("appid"), reserve = row.int64("reserve"), rate = max(row.int64("send_rate"), 1)
            let start = max(row.int64("send_at"), now)
            let eligible = """
                FROM followers f WHERE f.appid = $1 AND f.window_closes_at > $2 AND f.subscribed = 1
                  AND (SELECT \(Self.sendsLeft)
                       FROM grants g WHERE g.appid = f.appid AND g.openid = f.openid AND g.closes_at > $2) > $3
                """
            let reachableNow = try await db.query("SELECT count(*) AS n \(eligible)", [.text(appid), .int(now), .int(reserve)]).first?.int("n") ?? 0
            let atSend = try await db.query("SELECT count(*) AS n \(eligible) AND f.window_closes_at > $4",
                                            [.text(appid), .int(now), .int(reserve), .int(start)]).first?.int("n") ?? 0
            let closing = try await db.query(
                """
                SELECT count(*) AS n FROM (
                    SELECT f.window_closes_at AS closes, row_number() OVER (ORDER BY f.window_closes_at, f.openid) AS k
                    \(eligible) AND f.window_closes_at > $4) ranked
                WHERE closes < $4 + (k - 1) * 1000.0 / $5
                """, [.text(appid), .int(now), .int(reserve), .int(start), .int(rate)]).first?.int("n") ?? 0
            let used = try await db.query("SELECT used FROM send_days WHERE appid = $1 AND day = $2",
                                          [.text(appid), .int(QuotaDay.of(now))]).first?.int("used") ?? 0
            let budget = max(row.int("daily_budget"), 1)
            return TaskPreview(reachableNow: reachableNow, reachableAtSend: atSend, closingBeforeReached: closing,
                               sendSeconds: Double(atSend) / Double(rate), dailyBudget: budget, usedToday: used,
                               quotaShare: Double(atSend) / Double(budget))
        }
    }
}

import KefuCore
import KefuSQL
import KefuStore

/// Starting and completing broadcasts; the rest of their life is the SQL layer's
/// (`SQLStore+Tasks`). Per backend because the snapshot really differs: here it is copied in
/// leased, parallel chunks (a million followers use both cores, and a process that dies mid-copy
/// leaves a marker another resumes), where SQLite's single writer copies it in one statement.
extension PostgresStore {
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
                    // The database's clock, which every host's lease checks read (`StoreClock`).
                    try await db.execute(
                        "UPDATE task_snapshots SET lease_until = greatest(lease_until, (extract(epoch from clock_timestamp()) * 1000)::bigint + $2) WHERE task_id = $1",
                        [.int(snapshot.task), .int(Self.snapshotLeaseMillis)])
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
                    SELECT g.openid, \(StoreRows.sendsLeft) AS units
                    FROM grants g WHERE g.appid = $3 AND g.closes_at > $2\(grantRange) GROUP BY g.openid
                ) u ON u.openid = f.openid
                WHERE f.appid = $3 AND f.window_closes_at > $2 AND f.subscribed = 1 AND u.units > $4\(followerRange)
                \(snapshot.resumed ? "ON CONFLICT DO NOTHING" : "")
                """, binds)
            if count > 0 { try await db.notify(.deliveries) }
            return count
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

}

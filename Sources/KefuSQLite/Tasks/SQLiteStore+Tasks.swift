import KefuCore
import KefuSQL
import KefuStore
import SQLiteNIO

/// Starting and completing broadcasts; the rest of their life is the SQL layer's
/// (`SQLStore+Tasks`). Per backend because the snapshot really differs: here one writer runs at
/// a time, so the audience is copied by one statement in the transaction that starts the task
/// (nothing to gain from parallel chunks, and no partial snapshot to resume); PostgreSQL copies
/// it in leased, parallel chunks and so also keeps a snapshot marker that completion waits for.
extension SQLiteStore {
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
          AND (SELECT \(StoreRows.sendsLeft)
               FROM grants g WHERE g.appid = f.appid AND g.openid = f.openid AND g.closes_at > ?2) > ?4
        ON CONFLICT DO NOTHING
        """

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

    static func changes(_ db: SQLiteConnection) async throws -> Int {
        try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
    }
}

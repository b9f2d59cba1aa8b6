import KefuCore
import KefuSQL
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    /// Consumes the interaction log in id order from a stored position. Per backend because the
    /// batch is found differently: here one writer runs at a time, so a position in the log is
    /// enough; PostgreSQL's concurrent transactions can commit ids out of order, so it keeps an
    /// inbox of unconsumed ids instead. The matching itself is shared (`enqueueMatches`).
    public func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)? {
        try await inTransaction { db in
            let current = try await db.fetchOne("SELECT value FROM kefu_state WHERE key = 'rules_generation'")?.int64("value") ?? 0
            guard current == generation else { return nil }
            let position = try await db.fetchOne("SELECT value FROM kefu_state WHERE key = 'trigger_position'")?.int64("value") ?? 0
            // The batch is the next `limit` ids, read from the primary key alone.
            guard let batch = try await db.fetchOne(
                "SELECT count(*) AS n, max(id) AS last FROM (SELECT id FROM interactions WHERE id > \(position) ORDER BY id LIMIT \(limit))"),
                let last = batch.optionalInt64("last")
            else { return (0, 0) }
            let enqueued = try await Self.enqueueMatches(db, interactionIds: "id > \(position) AND id <= \(last)", rules: rules, now: now)
            try await db.run("UPDATE kefu_state SET value = \(last) WHERE key = 'trigger_position'")
            return (batch.int("n"), enqueued)
        }
    }
}

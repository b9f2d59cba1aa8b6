import KefuCore
import KefuSQL
import KefuStore

extension PostgresStore {
    /// Consumes the trigger inbox in log order. Per backend because the batch is found
    /// differently: concurrent transactions commit interaction ids out of order, so a position in
    /// the log would skip ids committed late; `kefu_record` adds each id to an inbox instead (a
    /// single SQLite writer makes a position enough). The matching is shared (`enqueueMatches`).
    ///
    /// One evaluator at a time cluster-wide (an advisory lock; the others find it taken and
    /// return at once), the rules generation read `FOR SHARE` so no rule changes while a batch is
    /// matched; matched deliveries are queued and the consumed inbox rows deleted in the same
    /// transaction.
    public func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)? {
        try await inTransaction { db in
            guard try await db.fetchOne("SELECT pg_try_advisory_xact_lock(\(PostgresSchema.triggerLock)) AS got")?.int("got") == 1
            else { return (0, 0) }
            let current = try await db.fetchOne("SELECT value FROM kefu_state WHERE key = 'rules_generation' FOR SHARE")?.int64("value") ?? 0
            guard current == generation else { return nil }
            // Taken off the inbox in the statement that finds them; a failure below rolls it back.
            let inbox = try await db.fetchAll(
                """
                DELETE FROM trigger_inbox WHERE interaction_id IN (SELECT interaction_id FROM trigger_inbox ORDER BY interaction_id LIMIT \(limit))
                RETURNING interaction_id
                """).map { $0.int64("interaction_id") }
            guard !inbox.isEmpty else { return (0, 0) }
            let enqueued = try await Self.enqueueMatches(db, interactionIds: "id \(anyOf: inbox)", rules: rules, now: now)
            return (inbox.count, enqueued)
        }
    }
}

import KefuCore
import KefuStore

extension PostgresStore {
    public func createRule(_ rule: DelayedRule) async throws -> Int64 {
        try await write { db in
            let id = try await db.query(
                """
                INSERT INTO rules (appid, name, trigger_kind, trigger_key, delay_seconds, message, enabled, once_per_follower,
                                   cooldown_seconds, created_at, updated_at)
                VALUES \(pgPlaceholders(rows: 1, columns: 11)) RETURNING id
                """, Self.binds(rule)).first?.int64("id") ?? 0
            try await Self.bumpRulesGeneration(db)
            return id
        }
    }

    public func rule(id: Int64) async throws -> DelayedRule? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules WHERE id = $1", [.int(id)]).first.map(StoreRows.rule)
        }
    }

    public func rules(appid: String?) async throws -> [DelayedRule] {
        try await read { db in
            if let appid {
                return try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules WHERE appid = $1 ORDER BY id", [.text(appid)]).map(StoreRows.rule)
            }
            return try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules ORDER BY id").map(StoreRows.rule)
        }
    }

    public func updateRule(_ rule: DelayedRule) async throws {
        try await write { db in
            guard try await db.execute(
                """
                UPDATE rules SET appid = $1, name = $2, trigger_kind = $3, trigger_key = $4, delay_seconds = $5, message = $6, enabled = $7,
                    once_per_follower = $8, cooldown_seconds = $9, created_at = $10, updated_at = $11
                WHERE id = $12
                """, Self.binds(rule) + [.int(rule.id)]) == 1
            else { throw KefuError(.notFound, "no rule \(rule.id)") }
            if !rule.enabled {
                try await db.execute(
                    "UPDATE deliveries SET state = 'cancelled', reason = $1 WHERE rule_id = $2 AND state IN ('waiting', 'pending')",
                    [.text(DeliveryReason.ruleDisabled), .int(rule.id)])
            }
            try await Self.bumpRulesGeneration(db)
        }
    }

    public func deleteRule(id: Int64, now: Int64) async throws -> Bool {
        try await write { db in
            guard try await db.execute("DELETE FROM rules WHERE id = $1", [.int(id)]) == 1 else { return false }
            try await db.execute(
                "UPDATE deliveries SET state = 'cancelled', reason = $1 WHERE rule_id = $2 AND state IN ('waiting', 'pending')",
                [.text(DeliveryReason.ruleDeleted), .int(id)])
            try await Self.bumpRulesGeneration(db)
            return true
        }
    }

    public func ruleDeliveries(ruleId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await deliveryLog(column: "rule_id", id: ruleId, state: state, limit: limit, afterId: afterId)
    }

    public func ruleDeliveryCounts(id: Int64) async throws -> [DeliveryState: Int] {
        try await read { db in
            StoreRows.stateCounts(try await db.query("SELECT state, count(*) AS n FROM deliveries WHERE rule_id = $1 GROUP BY state", [.int(id)]))
        }
    }

    public func rulesGeneration() async throws -> Int64 {
        try await read { db in
            try await db.query("SELECT value FROM kefu_state WHERE key = 'rules_generation'").first?.int64("value") ?? 0
        }
    }

    static func bumpRulesGeneration(_ db: PGSession) async throws {
        try await db.execute("UPDATE kefu_state SET value = value + 1 WHERE key = 'rules_generation'")
    }

    /// Consumes the trigger inbox in log order. One evaluator at a time cluster-wide (an advisory
    /// lock; the others find it taken and return at once), the rules generation read `FOR SHARE`
    /// so no rule changes while a batch is matched; matched deliveries are queued and the
    /// consumed inbox rows deleted in the same transaction.
    public func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)? {
        try await write { db in
            guard try await db.query("SELECT pg_try_advisory_xact_lock(\(PostgresSchema.triggerLock)) AS got").first?.int("got") == 1
            else { return (0, 0) }
            let current = try await db.query("SELECT value FROM kefu_state WHERE key = 'rules_generation' FOR SHARE").first?.int64("value") ?? 0
            guard current == generation else { return nil }
            // Taken off the inbox in the statement that finds them; a failure below rolls it back.
            let inbox = try await db.query(
                """
                DELETE FROM trigger_inbox WHERE interaction_id IN (SELECT interaction_id FROM trigger_inbox ORDER BY interaction_id LIMIT $1)
                RETURNING interaction_id
                """, [.int(limit)]).map { $0.int64("interaction_id") }
            guard !inbox.isEmpty else { return (0, 0) }
            // Only the interactions a rule could match are read: those of accounts with rules,
            // imports excepted (history from another system triggers nothing).
            let ruled = rules.filter { !$0.value.isEmpty }.keys.sorted()
            let rows = ruled.isEmpty ? [] : try await db.query(
                """
                SELECT id, appid, openid, kind, detail, key, content, at, received_at FROM interactions
                WHERE id = ANY($1) AND appid = ANY($2) AND detail <> 'import' ORDER BY id
                """, [.ints(inbox), .texts(ruled)])
            var enqueued = 0
            for row in rows {
                let appid = row.string("appid")
                guard let accountRules = rules[appid] else { continue }
                let interaction = Interaction(
                    appid: appid, openid: row.string("openid"), kind: InteractionKind(rawValue: row.string("kind")) ?? .other,
                    detail: row.string("detail"), key: row.optionalString("key"), content: row.optionalString("content"),
                    at: row.int64("at"), dedupeKey: "")
                for rule in accountRules where rule.enabled && row.int64("received_at") >= rule.createdAt && rule.trigger.matches(interaction) {
                    if rule.oncePerFollower || rule.cooldownSeconds > 0 {
                        let since = rule.oncePerFollower ? Int64.min : interaction.at - Int64(rule.cooldownSeconds) * 1000
                        let earlier = try await db.query(
                            "SELECT 1 AS one FROM deliveries WHERE rule_id = $1 AND openid = $2 AND trigger_at > $3 LIMIT 1",
                            [.int(rule.id), .text(interaction.openid), .int(since)])
                        if !earlier.isEmpty { continue }
                    }
                    let due = interaction.at + Int64(rule.delaySeconds) * 1000
                    enqueued += try await db.execute(
                        """
                        INSERT INTO deliveries (rule_id, interaction_id, appid, openid, message, due_at, window_closes_at, state,
                                                trigger_at, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $6, 'waiting', $7, $8) ON CONFLICT DO NOTHING
                        """, [.int(rule.id), .int(row.int64("id")), .text(appid), .text(interaction.openid),
                              .text(rule.message.json), .int(due), .int(interaction.at), .int(now)])
                }
            }
            if enqueued > 0 { try await db.notify(.schedule) }
            return (inbox.count, enqueued)
        }
    }

    public func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?) {
        try await write { db in
            let promoted = try await db.execute(
                """
                UPDATE deliveries SET state = 'pending', window_closes_at = coalesce(
                    (SELECT f.window_closes_at FROM followers f WHERE f.appid = deliveries.appid AND f.openid = deliveries.openid), due_at)
                WHERE id IN (SELECT id FROM deliveries WHERE state = 'waiting' AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, [.int(now), .int(limit)])
            if promoted > 0 { try await db.notify(.deliveries) }
            let next = try await db.query("SELECT min(due_at) AS next FROM deliveries WHERE state = 'waiting'").first?.optionalInt64("next")
            return (promoted, next)
        }
    }

    static func binds(_ rule: DelayedRule) -> [PGValue] {
        [.text(rule.appid), .text(rule.name), .optional(rule.trigger.kind?.rawValue), .optional(rule.trigger.key),
         .int(rule.delaySeconds), .text(rule.message.json), .int(rule.enabled ? 1 : 0), .int(rule.oncePerFollower ? 1 : 0),
         .int(rule.cooldownSeconds), .int(rule.createdAt), .int(rule.updatedAt)]
    }
}

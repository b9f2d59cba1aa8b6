import KefuCore
import KefuStore

/// Delayed-message rules, their deliveries, and the matching of interactions against them. How
/// the trigger evaluator finds its next batch of interactions is each backend's
/// (`evaluateTriggers`); what it does with the batch is `enqueueMatches`, here.
extension SQLStore {
    public func createRule(_ rule: DelayedRule) async throws -> Int64 {
        try await inTransaction { db in
            try await Self.checkMediaReferences(db, appid: rule.appid, message: rule.message)
            let id = try await db.fetchOne(
                """
                INSERT INTO rules (appid, name, trigger_kind, trigger_key, delay_seconds, message, enabled, once_per_follower,
                                   cooldown_seconds, created_at, updated_at)
                VALUES (\(rule.appid), \(rule.name), \(rule.trigger.kind?.rawValue), \(rule.trigger.key), \(rule.delaySeconds),
                        \(rule.message.json), \(rule.enabled), \(rule.oncePerFollower), \(rule.cooldownSeconds),
                        \(rule.createdAt), \(rule.updatedAt))
                RETURNING id
                """)?.int64("id") ?? 0
            try await Self.bumpRulesGeneration(db)
            return id
        }
    }

    public func rule(id: Int64) async throws -> DelayedRule? {
        try await forReading { db in
            try await db.fetchOne("SELECT \(raw: StoreRows.ruleColumns) FROM rules WHERE id = \(id)").map(StoreRows.rule)
        }
    }

    public func rules(appid: String?) async throws -> [DelayedRule] {
        try await forReading { db in
            var sql: SQL = "SELECT \(raw: StoreRows.ruleColumns) FROM rules"
            if let appid { sql += " WHERE appid = \(appid)" }
            return try await db.fetchAll(sql + " ORDER BY id").map(StoreRows.rule)
        }
    }

    public func updateRule(_ rule: DelayedRule) async throws {
        try await inTransaction { db in
            try await Self.checkMediaReferences(db, appid: rule.appid, message: rule.message)
            guard try await db.run(
                """
                UPDATE rules SET appid = \(rule.appid), name = \(rule.name), trigger_kind = \(rule.trigger.kind?.rawValue),
                    trigger_key = \(rule.trigger.key), delay_seconds = \(rule.delaySeconds), message = \(rule.message.json),
                    enabled = \(rule.enabled), once_per_follower = \(rule.oncePerFollower), cooldown_seconds = \(rule.cooldownSeconds),
                    created_at = \(rule.createdAt), updated_at = \(rule.updatedAt)
                WHERE id = \(rule.id)
                """) == 1
            else { throw KefuError(.notFound, "no rule \(rule.id)") }
            if !rule.enabled {
                try await db.run(
                    """
                    UPDATE deliveries SET state = 'cancelled', reason = \(DeliveryReason.ruleDisabled)
                    WHERE rule_id = \(rule.id) AND state IN ('waiting', 'pending')
                    """)
            }
            try await Self.bumpRulesGeneration(db)
        }
    }

    public func deleteRule(id: Int64, now: Int64) async throws -> Bool {
        try await inTransaction { db in
            guard try await db.run("DELETE FROM rules WHERE id = \(id)") == 1 else { return false }
            try await db.run(
                """
                UPDATE deliveries SET state = 'cancelled', reason = \(DeliveryReason.ruleDeleted)
                WHERE rule_id = \(id) AND state IN ('waiting', 'pending')
                """)
            try await Self.bumpRulesGeneration(db)
            return true
        }
    }

    public func ruleDeliveries(ruleId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await deliveryLog(column: "rule_id", id: ruleId, state: state, limit: limit, afterId: afterId)
    }

    public func ruleDeliveryCounts(id: Int64) async throws -> [DeliveryState: Int] {
        try await forReading { db in
            StoreRows.stateCounts(try await db.fetchAll("SELECT state, count(*) AS n FROM deliveries WHERE rule_id = \(id) GROUP BY state"))
        }
    }

    public func ruleLateness(id: Int64) async throws -> [Int] {
        try await forReading { db in
            let cases = LatenessBuckets.bounds.enumerated().map { "WHEN sent_at - due_at < \($1) THEN \($0)" }.joined(separator: " ")
            let rows = try await db.fetchAll(
                """
                SELECT CASE \(raw: cases) ELSE \(raw: String(LatenessBuckets.bounds.count)) END AS bucket, count(*) AS n
                FROM deliveries WHERE rule_id = \(id) AND state = 'sent' AND sent_at IS NOT NULL GROUP BY 1
                """)
            var counts = Array(repeating: 0, count: LatenessBuckets.bounds.count + 1)
            for row in rows where (0..<counts.count).contains(row.int("bucket")) { counts[row.int("bucket")] = row.int("n") }
            return counts
        }
    }

    public func rulesGeneration() async throws -> Int64 {
        try await forReading { db in
            try await db.fetchOne("SELECT value FROM kefu_state WHERE key = 'rules_generation'")?.int64("value") ?? 0
        }
    }

    /// Every rule change moves the generation on; a trigger batch matched against older rules
    /// is not committed (`evaluateTriggers` returns nil and the evaluator reloads them).
    public static func bumpRulesGeneration(_ db: Session) async throws {
        try await db.run("UPDATE kefu_state SET value = value + 1 WHERE key = 'rules_generation'")
    }

    /// Matches a batch of interactions (`interactionIds`) against the accounts' rules and queues
    /// a waiting delivery for each match, honouring once-per-follower and cooldowns; returns how
    /// many were queued. Imports (history from another system) open windows but trigger nothing,
    /// and a rule matches only interactions received after it was created.
    public static func enqueueMatches(_ db: Session, interactionIds: SQL, rules: [String: [DelayedRule]], now: Int64) async throws -> Int {
        let ruled = rules.filter { !$0.value.isEmpty }.keys.sorted()
        guard !ruled.isEmpty else { return 0 }
        let rows = try await db.fetchAll(
            """
            SELECT id, appid, openid, kind, detail, key, content, at, received_at FROM interactions
            WHERE \(interactionIds) AND appid \(anyOf: ruled) AND detail <> 'import' ORDER BY id
            """)
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
                    let earlier = try await db.fetchOne(
                        "SELECT 1 AS one FROM deliveries WHERE rule_id = \(rule.id) AND openid = \(interaction.openid) AND trigger_at > \(since) LIMIT 1")
                    if earlier != nil { continue }
                }
                let due = interaction.at + Int64(rule.delaySeconds) * 1000
                enqueued += try await db.run(
                    """
                    INSERT INTO deliveries (rule_id, interaction_id, appid, openid, message, due_at, window_closes_at, state,
                                            trigger_at, created_at)
                    VALUES (\(rule.id), \(row.int64("id")), \(appid), \(interaction.openid), \(rule.message.json), \(due), \(due),
                            'waiting', \(interaction.at), \(now))
                    ON CONFLICT DO NOTHING
                    """)
            }
        }
        if enqueued > 0 { try await db.notify(.schedule) }
        return enqueued
    }

    public func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?) {
        try await inTransaction { db in
            // Due now: into the send queue, ordered by the follower's window as it is now.
            let promoted = try await db.run(
                """
                UPDATE deliveries SET state = 'pending', window_closes_at = coalesce(
                    (SELECT f.window_closes_at FROM followers f WHERE f.appid = deliveries.appid AND f.openid = deliveries.openid), due_at)
                WHERE id IN (SELECT id FROM deliveries WHERE state = 'waiting' AND due_at <= \(now) ORDER BY due_at LIMIT \(limit)\(SQL.skipLocked))
                """)
            if promoted > 0 { try await db.notify(.deliveries) }
            let next = try await db.fetchOne("SELECT min(due_at) AS next FROM deliveries WHERE state = 'waiting'")?.optionalInt64("next")
            return (promoted, next)
        }
    }
}

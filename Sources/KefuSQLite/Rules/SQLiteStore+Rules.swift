import KefuCore
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func createRule(_ rule: DelayedRule) async throws -> Int64 {
        try await write { db in
            let id = try await db.query(
                """
                INSERT INTO rules (appid, name, trigger_kind, trigger_key, delay_seconds, message, enabled, once_per_follower,
                                   cooldown_seconds, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, Self.binds(rule)).first?.int64("id") ?? 0
            try await bumpRulesGeneration(db)
            return id
        }
    }

    public func rule(id: Int64) async throws -> DelayedRule? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules WHERE id = ?", [.millis(id)]).first.map(StoreRows.rule)
        }
    }

    public func rules(appid: String?) async throws -> [DelayedRule] {
        try await read { db in
            if let appid {
                return try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules WHERE appid = ? ORDER BY id", [.text(appid)]).map(StoreRows.rule)
            }
            return try await db.query("SELECT \(StoreRows.ruleColumns) FROM rules ORDER BY id", []).map(StoreRows.rule)
        }
    }

    public func updateRule(_ rule: DelayedRule) async throws {
        try await write { db in
            _ = try await db.query(
                """
                UPDATE rules SET appid = ?, name = ?, trigger_kind = ?, trigger_key = ?, delay_seconds = ?, message = ?, enabled = ?,
                    once_per_follower = ?, cooldown_seconds = ?, created_at = ?, updated_at = ?
                WHERE id = ?
                """, Self.binds(rule) + [.millis(rule.id)])
            guard try await Self.changes(db) == 1 else { throw KefuError(.notFound, "no rule \(rule.id)") }
            if !rule.enabled {
                _ = try await db.query(
                    "UPDATE deliveries SET state = 'cancelled', reason = ? WHERE rule_id = ? AND state IN ('waiting', 'pending')",
                    [.text(DeliveryReason.ruleDisabled), .millis(rule.id)])
            }
            try await bumpRulesGeneration(db)
        }
    }

    public func deleteRule(id: Int64, now: Int64) async throws -> Bool {
        try await write { db in
            _ = try await db.query("DELETE FROM rules WHERE id = ?", [.millis(id)])
            guard try await Self.changes(db) == 1 else { return false }
            _ = try await db.query(
                "UPDATE deliveries SET state = 'cancelled', reason = ? WHERE rule_id = ? AND state IN ('waiting', 'pending')",
                [.text(DeliveryReason.ruleDeleted), .millis(id)])
            try await bumpRulesGeneration(db)
            return true
        }
    }

    public func ruleDeliveries(ruleId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord] {
        try await read { db in
            var sql = "SELECT \(StoreRows.deliveryRecordColumns) FROM deliveries WHERE rule_id = ?"
            var binds: [SQLiteData] = [.millis(ruleId)]
            if let state { sql += " AND state = ?"; binds.append(.text(state.rawValue)) }
            if let afterId { sql += " AND id > ?"; binds.append(.millis(afterId)) }
            sql += " ORDER BY id LIMIT ?"
            binds.append(.integer(limit))
            return try await db.query(sql, binds).map(StoreRows.deliveryRecord)
        }
    }

    public func ruleDeliveryCounts(id: Int64) async throws -> [DeliveryState: Int] {
        try await read { db in
            StoreRows.stateCounts(try await db.query("SELECT state, count(*) AS n FROM deliveries WHERE rule_id = ? GROUP BY state", [.millis(id)]))
        }
    }

    public func rulesGeneration() async throws -> Int64 {
        try await read { db in
            try await db.query("SELECT value FROM kefu_state WHERE key = 'rules_generation'", []).first?.int64("value") ?? 0
        }
    }

    func bumpRulesGeneration(_ db: SQLiteConnection) async throws {
        _ = try await db.query("UPDATE kefu_state SET value = value + 1 WHERE key = 'rules_generation'", [])
    }

    public func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)? {
        try await write { db in
            let current = try await db.query("SELECT value FROM kefu_state WHERE key = 'rules_generation'", []).first?.int64("value") ?? 0
            guard current == generation else { return nil }
            let position = try await db.query("SELECT value FROM kefu_state WHERE key = 'trigger_position'", []).first?.int64("value") ?? 0
            // The batch is the next `limit` ids (read from the primary key alone); of those, only
            // the interactions a rule could match are read: those of accounts with rules, imports
            // excepted (history from another system: they open windows but trigger nothing).
            guard let batch = try await db.query(
                "SELECT count(*) AS n, max(id) AS last FROM (SELECT id FROM interactions WHERE id > ? ORDER BY id LIMIT ?)",
                [.millis(position), .integer(limit)]).first, let last = batch.optionalInt64("last")
            else { return (0, 0) }
            let ruled = rules.filter { !$0.value.isEmpty }.keys.sorted()
            let rows = ruled.isEmpty ? [] : try await db.query(
                """
                SELECT id, appid, openid, kind, detail, key, content, at, received_at FROM interactions
                WHERE id > ? AND id <= ? AND appid IN (\(Self.inList(ruled.count))) AND detail <> 'import' ORDER BY id
                """, [.millis(position), .millis(last)] + ruled.map { .text($0) })
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
                            "SELECT 1 FROM deliveries WHERE rule_id = ? AND openid = ? AND trigger_at > ? LIMIT 1",
                            [.millis(rule.id), .text(interaction.openid), .millis(since)])
                        if !earlier.isEmpty { continue }
                    }
                    let due = interaction.at + Int64(rule.delaySeconds) * 1000
                    _ = try await db.query(
                        """
                        INSERT INTO deliveries (rule_id, interaction_id, appid, openid, message, due_at, window_closes_at, state,
                                                trigger_at, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?) ON CONFLICT DO NOTHING
                        """, [.millis(rule.id), .millis(row.int64("id")), .text(appid), .text(interaction.openid),
                              .text(rule.message.json), .millis(due), .millis(due), .millis(interaction.at), .millis(now)])
                    enqueued += try await Self.changes(db)
                }
            }
            _ = try await db.query("UPDATE kefu_state SET value = ? WHERE key = 'trigger_position'", [.millis(last)])
            return (batch.int("n"), enqueued)
        }
    }

    public func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?) {
        try await write { db in
            // Due now: into the send queue, ordered by the follower's window as it is now.
            _ = try await db.query(
                """
                UPDATE deliveries SET state = 'pending', window_closes_at = coalesce(
                    (SELECT f.window_closes_at FROM followers f WHERE f.appid = deliveries.appid AND f.openid = deliveries.openid), due_at)
                WHERE id IN (SELECT id FROM deliveries WHERE state = 'waiting' AND due_at <= ? ORDER BY due_at LIMIT ?)
                """, [.millis(now), .integer(limit)])
            let promoted = try await Self.changes(db)
            let next = try await db.query("SELECT min(due_at) AS next FROM deliveries WHERE state = 'waiting'", []).first?.optionalInt("next")
            return (promoted, next.map(Int64.init))
        }
    }

    static func binds(_ rule: DelayedRule) -> [SQLiteData] {
        [.text(rule.appid), .text(rule.name), .optional(rule.trigger.kind?.rawValue), .optional(rule.trigger.key),
         .integer(rule.delaySeconds), .text(rule.message.json), .integer(rule.enabled ? 1 : 0), .integer(rule.oncePerFollower ? 1 : 0),
         .integer(rule.cooldownSeconds), .millis(rule.createdAt), .millis(rule.updatedAt)]
    }
}

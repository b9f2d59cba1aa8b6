import KefuCore
import KefuStore

extension PostgresStore {
    /// The same set-based steps as the embedded store (see `SQLiteStore.record`), shaped for
    /// PostgreSQL: an upsert may touch a row once per statement, so the batch is first reduced
    /// to one row per follower and per grant — the latest by (time, log id), which is what the
    /// row-by-row comparison would have kept. Rows are written in key order, so two servers
    /// recording overlapping batches lock followers in the same order.
    public func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool] {
        guard !interactions.isEmpty else { return [] }
        return try await write { db in
            var logBinds: [PGValue] = []
            logBinds.reserveCapacity(interactions.count * 9)
            for item in interactions {
                logBinds += [
                    .text(item.appid), .text(item.openid), .text(item.kind.rawValue), .text(item.detail),
                    .optional(item.key), .optional(item.content), .int(item.at), .int(now), .text(item.dedupeKey),
                ]
            }
            // The log and the trigger inbox in one statement; imports trigger nothing.
            let inserted = try await db.query(
                """
                WITH logged AS (
                    INSERT INTO interactions (appid, openid, kind, detail, key, content, at, received_at, dedupe_key)
                    VALUES \(pgPlaceholders(rows: interactions.count, columns: 9))
                    ON CONFLICT (appid, dedupe_key) DO NOTHING
                    RETURNING id, appid, dedupe_key, detail
                ), inbox AS (
                    INSERT INTO trigger_inbox (interaction_id) SELECT id FROM logged WHERE detail <> 'import'
                )
                SELECT id, appid, dedupe_key FROM logged
                """, logBinds)
            var newKeys: [String: Int64] = [:]
            for row in inserted { newKeys["\(row.string("appid"))\u{0}\(row.string("dedupe_key"))"] = row.int64("id") }
            var fresh: [Bool] = []
            fresh.reserveCapacity(interactions.count)
            var applied: [(item: Interaction, id: Int64)] = []
            for item in interactions {
                let id = newKeys.removeValue(forKey: "\(item.appid)\u{0}\(item.dedupeKey)")
                fresh.append(id != nil)
                if let id { applied.append((item, id)) }
            }
            guard !applied.isEmpty else { return fresh }
            func later(_ a: (item: Interaction, id: Int64), than b: (item: Interaction, id: Int64)) -> Bool {
                (a.item.at, a.id) > (b.item.at, b.id)
            }

            // Per follower: the latest interaction, and the latest one that decides subscription
            // (events and unknown kinds leave it as it is).
            struct FollowerChange { var latest: (item: Interaction, id: Int64); var decisive: (item: Interaction, id: Int64)? }
            var followers: [String: FollowerChange] = [:]
            var grants: [String: (item: Interaction, id: Int64)] = [:]
            for entry in applied {
                let key = "\(entry.item.appid)\u{0}\(entry.item.openid)"
                let decides = entry.item.kind != .event && entry.item.kind != .other
                if var change = followers[key] {
                    if later(entry, than: change.latest) { change.latest = entry }
                    if decides, change.decisive.map({ later(entry, than: $0) }) ?? true { change.decisive = entry }
                    followers[key] = change
                } else {
                    followers[key] = FollowerChange(latest: entry, decisive: decides ? entry : nil)
                }
                if policy.grant(for: entry.item.kind) != nil {
                    let grantKey = "\(key)\u{0}\(entry.item.kind.rawValue)"
                    if grants[grantKey].map({ later(entry, than: $0) }) ?? true { grants[grantKey] = entry }
                }
            }
            let changes = followers.sorted { $0.key < $1.key }.map(\.value)

            // Subscription, for followers already known, from a decisive interaction later than
            // what the ledger has seen.
            var subscriptionBinds: [PGValue] = []
            for change in changes {
                guard let decisive = change.decisive else { continue }
                subscriptionBinds += [.text(decisive.item.appid), .text(decisive.item.openid),
                                      .int(decisive.item.kind == .unsubscribe ? 0 : 1), .int(decisive.item.at), .int(decisive.id)]
            }
            if !subscriptionBinds.isEmpty {
                try await db.execute(
                    """
                    UPDATE followers f SET subscribed = v.subscribed
                    FROM (VALUES \(pgPlaceholders(rows: subscriptionBinds.count / 5, columns: 5))) AS v(appid, openid, subscribed, at, id)
                    WHERE f.appid = v.appid AND f.openid = v.openid
                      AND (v.at::bigint, v.id::bigint) > (f.last_interaction_at, f.last_interaction_id)
                    """, subscriptionBinds)
            }

            var followerBinds: [PGValue] = []
            for change in changes {
                let (item, id) = change.latest
                let subscribed = change.decisive.map { $0.item.kind == .unsubscribe ? 0 : 1 } ?? 1
                followerBinds += [.text(item.appid), .text(item.openid), .int(subscribed), .int(item.at), .text(item.kind.rawValue), .int(id)]
            }
            try await db.execute(
                """
                INSERT INTO followers (appid, openid, subscribed, last_interaction_at, last_interaction, last_interaction_id)
                VALUES \(pgPlaceholders(rows: changes.count, columns: 6))
                ON CONFLICT (appid, openid) DO UPDATE SET
                    last_interaction_at = excluded.last_interaction_at,
                    last_interaction = excluded.last_interaction,
                    last_interaction_id = excluded.last_interaction_id
                WHERE (excluded.last_interaction_at, excluded.last_interaction_id)
                    > (followers.last_interaction_at, followers.last_interaction_id)
                """, followerBinds)

            var grantRows = 0
            var grantBinds: [PGValue] = []
            for (_, entry) in grants.sorted(by: { $0.key < $1.key }) {
                let (item, id) = entry
                guard let grant = policy.grant(for: item.kind) else { continue }
                let closes = item.at + Int64(grant.seconds) * 1000
                guard closes > now else { continue }
                grantRows += 1
                grantBinds += [.text(item.appid), .text(item.openid), .text(item.kind.rawValue),
                               .int(item.at), .int(id), .int(closes), .optional(grant.sends)]
            }
            if grantRows > 0 {
                try await db.execute(
                    """
                    INSERT INTO grants (appid, openid, kind, opened_at, opened_id, closes_at, remaining)
                    VALUES \(pgPlaceholders(rows: grantRows, columns: 7))
                    ON CONFLICT (appid, openid, kind) DO UPDATE SET
                        opened_at = excluded.opened_at, opened_id = excluded.opened_id,
                        closes_at = excluded.closes_at, remaining = excluded.remaining
                    WHERE (excluded.opened_at, excluded.opened_id) > (grants.opened_at, grants.opened_id)
                    """, grantBinds)
            }

            for (item, id) in applied where item.kind == .unsubscribe {
                try await db.execute(
                    """
                    UPDATE followers SET unsubscribed_at = $3, unsubscribed_id = $4
                    WHERE appid = $1 AND openid = $2
                      AND (unsubscribed_at IS NULL OR (unsubscribed_at, unsubscribed_id) < ($3::bigint, $4::bigint))
                    """, [.text(item.appid), .text(item.openid), .int(item.at), .int(id)])
            }

            var touched: [PGValue] = []
            for change in changes { touched += [.text(change.latest.item.appid), .text(change.latest.item.openid)] }
            // An unsubscribe closes every grant opened before it, whichever arrived first.
            try await db.execute(
                """
                DELETE FROM grants
                WHERE (appid, openid) IN (VALUES \(pgPlaceholders(rows: changes.count, columns: 2)))
                  AND (opened_at, opened_id) < (
                      SELECT f.unsubscribed_at, f.unsubscribed_id FROM followers f
                      WHERE f.appid = grants.appid AND f.openid = grants.openid)
                """, touched)
            try await db.execute(
                """
                UPDATE followers SET window_closes_at = (
                    SELECT max(g.closes_at) FROM grants g
                    WHERE g.appid = followers.appid AND g.openid = followers.openid
                      AND g.closes_at > $1 AND (g.remaining IS NULL OR g.remaining > 0))
                WHERE (appid, openid) IN (VALUES \(pgPlaceholders(rows: changes.count, columns: 2, from: 2)))
                """, [.int(now)] + touched)
            try await db.notify(.interactions)
            return fresh
        }
    }

    public func audience(appid: String, now: Int64, limit: Int, after: AudienceCursor?) async throws -> AudiencePage {
        try await read { db in
            let count = try await db.query("SELECT count(*) AS n FROM followers WHERE appid = $1 AND window_closes_at > $2",
                                           [.text(appid), .int(now)]).first?.int("n") ?? 0
            var binds: [PGValue] = [.text(appid), .int(now)]
            var sql = "SELECT openid, last_interaction_at, last_interaction, window_closes_at FROM followers WHERE appid = $1 AND window_closes_at > $2"
            if let after {
                sql += " AND (window_closes_at, openid) > ($3::bigint, $4::text)"
                binds += [.int(after.closesAt), .text(after.openid)]
            }
            sql += " ORDER BY window_closes_at, openid LIMIT $\(binds.count + 1)"
            binds.append(.int(limit + 1))
            let rows = try await db.query(sql, binds)
            let page = rows.prefix(limit)
            let remaining = try await Self.remaining(db, appid: appid, openids: page.map { $0.string("openid") }, now: now)
            let users = page.map { row in
                let openid = row.string("openid")
                return AudienceEntry(
                    openid: openid, lastInteractionAt: row.int64("last_interaction_at"),
                    lastInteraction: InteractionKind(rawValue: row.string("last_interaction")) ?? .other,
                    windowClosesAt: row.int64("window_closes_at"), remaining: remaining[openid] ?? 0)
            }
            let next = rows.count > limit ? users.last.map { AudienceCursor(closesAt: $0.windowClosesAt, openid: $0.openid) } : nil
            return AudiencePage(count: count, users: users, nextCursor: next)
        }
    }

    /// Sends left per follower across grants open at `now`; nil = unlimited.
    static func remaining(_ db: PGSession, appid: String, openids: [String], now: Int64) async throws -> [String: Int?] {
        guard !openids.isEmpty else { return [:] }
        let rows = try await db.query(
            """
            SELECT openid, coalesce(sum(remaining), 0)::bigint AS left_, bool_or(remaining IS NULL) AS unlimited FROM grants
            WHERE appid = $1 AND closes_at > $2 AND (remaining IS NULL OR remaining > 0) AND openid = ANY($3)
            GROUP BY openid
            """, [.text(appid), .int(now), .texts(openids)])
        var result: [String: Int?] = [:]
        for row in rows {
            result[row.string("openid")] = row.int("unlimited") == 1 ? .some(nil) : row.int("left_")
        }
        return result
    }

    public func follower(appid: String, openid: String, now: Int64, recent: Int) async throws -> FollowerLedger? {
        try await read { db in
            guard let row = try await db.query(
                "SELECT subscribed, last_interaction_at, last_interaction FROM followers WHERE appid = $1 AND openid = $2",
                [.text(appid), .text(openid)]).first
            else { return nil }
            let grants = try await db.query(
                "SELECT kind, opened_at, closes_at, remaining FROM grants WHERE appid = $1 AND openid = $2 AND closes_at > $3 ORDER BY closes_at",
                [.text(appid), .text(openid), .int(now)]
            ).map { grant in
                GrantState(kind: InteractionKind(rawValue: grant.string("kind")) ?? .other, openedAt: grant.int64("opened_at"),
                           closesAt: grant.int64("closes_at"), remaining: grant.optionalInt("remaining"))
            }
            let log = try await db.query(
                "SELECT id, kind, detail, key, at, received_at FROM interactions WHERE appid = $1 AND openid = $2 ORDER BY id DESC LIMIT $3",
                [.text(appid), .text(openid), .int(recent)]
            ).map { entry in
                LoggedInteraction(id: entry.int64("id"), kind: InteractionKind(rawValue: entry.string("kind")) ?? .other,
                                  detail: entry.string("detail"), key: entry.optionalString("key"),
                                  at: entry.int64("at"), receivedAt: entry.int64("received_at"))
            }
            let deliveries = try await db.query(
                """
                SELECT task_id, rule_id, state, reason, errcode, due_at, sent_at FROM deliveries
                WHERE appid = $1 AND openid = $2 ORDER BY id DESC LIMIT $3
                """, [.text(appid), .text(openid), .int(recent)]
            ).map { entry in
                FollowerDelivery(taskId: entry.optionalInt64("task_id"), ruleId: entry.optionalInt64("rule_id"),
                                 state: entry.string("state"), reason: entry.optionalString("reason"), errcode: entry.optionalInt("errcode"),
                                 dueAt: entry.int64("due_at"), sentAt: entry.optionalInt64("sent_at"))
            }
            return FollowerLedger(
                openid: openid, subscribed: row.int("subscribed") == 1, lastInteractionAt: row.int64("last_interaction_at"),
                lastInteraction: InteractionKind(rawValue: row.string("last_interaction")) ?? .other,
                grants: grants, recentInteractions: log, recentDeliveries: deliveries)
        }
    }
}

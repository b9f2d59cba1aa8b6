import KefuCore
import KefuStore

extension PostgresStore {
    /// One call of `kefu_record` (see `RecordFunction`): the batch goes as parallel arrays with,
    /// beside it, what the window policy makes of each kind, so the rules stay here.
    public func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool] {
        guard !interactions.isEmpty else { return [] }
        var appids: [String] = [], openids: [String] = [], kinds: [String] = [], details: [String] = []
        var keys: [String] = [], hasKey: [Bool] = [], contents: [String] = [], hasContent: [Bool] = []
        var ats: [Int64] = [], dedupeKeys: [String] = []
        for item in interactions {
            appids.append(item.appid)
            openids.append(item.openid)
            kinds.append(item.kind.rawValue)
            details.append(item.detail)
            keys.append(item.key ?? "")
            hasKey.append(item.key != nil)
            contents.append(item.content ?? "")
            hasContent.append(item.content != nil)
            ats.append(item.at)
            dedupeKeys.append(item.dedupeKey)
        }
        let kindTable = InteractionKind.allCases
        let binds: [PGValue] = [
            .texts(appids), .texts(openids), .texts(kinds), .texts(details), .texts(keys), .bools(hasKey),
            .texts(contents), .bools(hasContent), .ints(ats), .texts(dedupeKeys),
            .texts(kindTable.map(\.rawValue)),
            .ints(kindTable.map { $0.subscribes.map { $0 ? 1 : 0 } ?? -1 }),
            .ints(kindTable.map { Int64(policy.grant(for: $0)?.seconds ?? 0) }),
            .ints(kindTable.map { Int64(policy.grant(for: $0)?.sends ?? -1) }),
            .int(now),
        ]
        // A single statement is a transaction of its own.
        let rows = try await write(transaction: false) { db in
            try await db.query(
                """
                SELECT recorded_appid, recorded_dedupe_key
                FROM kefu_record($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::integer[], $13, $14, $15)
                """, binds)
        }
        var recorded = Set<String>(minimumCapacity: rows.count)
        for row in rows { recorded.insert("\(row.string("recorded_appid"))\u{0}\(row.string("recorded_dedupe_key"))") }
        // A key repeated in the batch is fresh once, at its first position.
        return interactions.map { recorded.remove("\($0.appid)\u{0}\($0.dedupeKey)") != nil }
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
        let rows = try await db.query(remainingSQL, [.text(appid), .int(now), .texts(openids)])
        var result: [String: Int?] = [:]
        for row in rows {
            result[row.string("openid")] = row.int("unlimited") == 1 ? .some(nil) : row.int("left_")
        }
        return result
    }

    /// A page's followers (`$3`) looked up one by one, by key, as a claim's are
    /// (`PostgresStore.subscribedSQL`); `OFFSET 0` keeps the planner from flattening the lookup.
    static let remainingSQL = """
        SELECT v.openid, coalesce(sum(g.remaining), 0)::bigint AS left_, bool_or(g.remaining IS NULL) AS unlimited
        FROM unnest($3::text[]) AS v(openid)
        CROSS JOIN LATERAL (SELECT remaining FROM grants WHERE appid = $1 AND openid = v.openid AND closes_at > $2
                              AND (remaining IS NULL OR remaining > 0) OFFSET 0) g
        GROUP BY v.openid
        """

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

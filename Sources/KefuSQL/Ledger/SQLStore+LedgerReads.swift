import KefuCore
import KefuStore

/// Per-backend pieces of the ledger reads, each with its reason where it is implemented.
public protocol SQLLedgerReads: SQLStore {
    /// Sends left per follower of `openids` across grants open at `now` (nil: unlimited).
    func sendsLeft(_ db: Session, appid: String, openids: [String], now: Int64) async throws -> [String: Int?]
}

/// An account's audience: followers whose window is open now, closing soonest first. Both are
/// range scans of `followers_window` (appid, window_closes_at, openid), in the index's order
/// (`SQLiteQueryPlanTests`): what keeps an audience of millions cheap.
public enum AudienceSQL {
    public static func count(appid: String, now: Int64) -> SQL {
        "SELECT count(*) AS n FROM followers WHERE appid = \(appid) AND window_closes_at > \(now)"
    }

    /// From the cursor, spelled out rather than as a row comparison so that SQLite bounds the
    /// range scan by it.
    public static func page(appid: String, now: Int64, after: AudienceCursor?, limit: Int) -> SQL {
        var sql: SQL = """
            SELECT openid, last_interaction_at, last_interaction, window_closes_at FROM followers
            WHERE appid = \(appid) AND window_closes_at > \(now)
            """
        if let after {
            sql += " AND window_closes_at >= \(after.closesAt) AND (window_closes_at > \(after.closesAt) OR openid > \(after.openid))"
        }
        return sql + " ORDER BY window_closes_at, openid LIMIT \(limit)"
    }
}

/// The window ledger read back: an account's audience page by page, and one follower's ledger.
extension SQLLedgerReads {
    /// A page is a range scan of `followers_window` (appid, window_closes_at, openid) from the
    /// cursor; one more row than asked tells whether there is a next page.
    public func audience(appid: String, now: Int64, limit: Int, after: AudienceCursor?) async throws -> AudiencePage {
        try await forReading { db in
            let count = try await db.fetchOne(AudienceSQL.count(appid: appid, now: now))?.int("n") ?? 0
            let rows = try await db.fetchAll(AudienceSQL.page(appid: appid, now: now, after: after, limit: limit + 1))
            let page = rows.prefix(limit)
            let remaining = try await self.sendsLeft(db, appid: appid, openids: page.map { $0.string("openid") }, now: now)
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

    public func follower(appid: String, openid: String, now: Int64, recent: Int) async throws -> FollowerLedger? {
        try await forReading { db in
            guard let row = try await db.fetchOne(
                "SELECT subscribed, last_interaction_at, last_interaction FROM followers WHERE appid = \(appid) AND openid = \(openid)")
            else { return nil }
            let grants = try await db.fetchAll(
                """
                SELECT kind, opened_at, closes_at, remaining FROM grants
                WHERE appid = \(appid) AND openid = \(openid) AND closes_at > \(now) ORDER BY closes_at
                """
            ).map { grant in
                GrantState(kind: InteractionKind(rawValue: grant.string("kind")) ?? .other, openedAt: grant.int64("opened_at"),
                           closesAt: grant.int64("closes_at"), remaining: grant.optionalInt("remaining"))
            }
            let log = try await db.fetchAll(
                """
                SELECT id, kind, detail, key, at, received_at FROM interactions
                WHERE appid = \(appid) AND openid = \(openid) ORDER BY id DESC LIMIT \(recent)
                """
            ).map { entry in
                LoggedInteraction(id: entry.int64("id"), kind: InteractionKind(rawValue: entry.string("kind")) ?? .other,
                                  detail: entry.string("detail"), key: entry.optionalString("key"),
                                  at: entry.int64("at"), receivedAt: entry.int64("received_at"))
            }
            let deliveries = try await db.fetchAll(
                """
                SELECT task_id, rule_id, state, reason, errcode, due_at, sent_at FROM deliveries
                WHERE appid = \(appid) AND openid = \(openid) ORDER BY id DESC LIMIT \(recent)
                """
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

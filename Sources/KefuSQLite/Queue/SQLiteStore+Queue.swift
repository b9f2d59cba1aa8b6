import KefuCore
import KefuSQL
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func claimDeliveries(owner: String, now: Int64, limit: Int, leaseMillis: Int64) async throws -> [ClaimedDelivery] {
        try await write { db in
            var claimed: [ClaimedDelivery] = []
            let accounts = try await db.query(
                """
                SELECT a.appid, a.send_rate, a.daily_budget, a.reserve FROM accounts a
                WHERE NOT EXISTS (SELECT 1 FROM account_pauses p WHERE p.appid = a.appid AND p.until > ?1)
                  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.appid = a.appid AND d.state = 'pending' AND d.due_at <= ?1)
                ORDER BY random()
                """, [.millis(now)])
            for account in accounts where claimed.count < limit {
                let appid = account.string("appid")
                let rate = account.int("send_rate")
                // The bucket (`SendBucket`) is shared by every process claiming from this store.
                // Processes' `now`s arrive out of order (each waits for the write lock), so
                // refilled_at never moves back: an interval is never credited twice.
                let bucket = try await db.query("SELECT tokens, refilled_at FROM send_buckets WHERE appid = ?", [.text(appid)]).first
                let tokens = bucket.map {
                    SendBucket.tokens(held: $0.column("tokens")?.double ?? 0, refilledAt: $0.int64("refilled_at"), now: now, rate: rate)
                } ?? SendBucket.capacity(rate: rate)
                let day = QuotaDay.of(now)
                let used = try await db.query("SELECT used FROM send_days WHERE appid = ? AND day = ?",
                                              [.text(appid), .millis(day)]).first?.int("used") ?? 0
                let take = min(Int(tokens), account.int("daily_budget") - used, limit - claimed.count)
                var taken = 0
                if take > 0 {
                    let candidates = try await db.query(
                        """
                        SELECT d.id, d.openid, d.attempts, d.due_at, d.rule_id, coalesce(d.message, t.message) AS message FROM deliveries d
                        LEFT JOIN tasks t ON t.id = d.task_id
                        WHERE d.appid = ? AND d.state = 'pending' AND d.due_at <= ?
                          AND (d.task_id IS NULL OR d.test = 1 OR t.status = 'running')
                        ORDER BY d.window_closes_at LIMIT ?
                        """, [.text(appid), .millis(now), .integer(take * 2)])
                    let reserved = try await reserve(db, candidates: Array(candidates), appid: appid, reserve: account.int("reserve"),
                                                     take: take, owner: owner, now: now, leaseMillis: leaseMillis)
                    claimed += reserved
                    taken = reserved.count
                }
                _ = try await db.query(
                    """
                    INSERT INTO send_buckets (appid, tokens, refilled_at) VALUES (?1, ?2, ?3)
                    ON CONFLICT (appid) DO UPDATE SET tokens = ?2, refilled_at = max(refilled_at, ?3)
                    """, [.text(appid), .float(tokens - Double(taken)), .millis(now)])
                if taken > 0 {
                    _ = try await db.query(
                        """
                        INSERT INTO send_days (appid, day, used) VALUES (?1, ?2, ?3)
                        ON CONFLICT (appid, day) DO UPDATE SET used = used + ?3
                        """, [.text(appid), .millis(day), .integer(taken)])
                }
            }
            return claimed
        }
    }

    /// Re-checks the ledger for a batch of candidates in a constant number of statements (see
    /// `BatchReservation`): the followers and their open grants read at once, decisions made in
    /// memory, then one statement each for the grant units, the windows that closed, the skipped
    /// and the claimed deliveries.
    func reserve(_ db: SQLiteConnection, candidates: [SQLiteRow], appid: String, reserve: Int, take: Int,
                 owner: String, now: Int64, leaseMillis: Int64) async throws -> [ClaimedDelivery] {
        guard !candidates.isEmpty else { return [] }
        let openids = Array(Set(candidates.map { $0.string("openid") })).sorted()
        let list = Self.inList(openids.count)
        var subscribed: [String: Bool] = [:]
        for row in try await db.query("SELECT openid, subscribed FROM followers WHERE appid = ? AND openid IN (\(list))",
                                      [.text(appid)] + openids.map { .text($0) }) {
            subscribed[row.string("openid")] = row.int("subscribed") == 1
        }
        var grants: [String: [GrantReservation.Grant]] = [:]
        for row in try await db.query(
            "SELECT openid, kind, remaining FROM grants WHERE appid = ? AND closes_at > ? AND openid IN (\(list)) ORDER BY openid, closes_at, kind",
            [.text(appid), .millis(now)] + openids.map { .text($0) }) {
            grants[row.string("openid"), default: []].append(.init(kind: row.string("kind"), remaining: row.optionalInt("remaining")))
        }
        let batch = BatchReservation.decide(openids: candidates.map { $0.string("openid") }, subscribed: subscribed,
                                            grants: grants, reserve: reserve, take: take)
        if !batch.units.isEmpty {
            _ = try await db.query(
                """
                UPDATE grants SET remaining = remaining - v.column3
                FROM (VALUES \(Self.placeholders(rows: batch.units.count, columns: 3))) AS v
                WHERE grants.appid = ? AND grants.openid = v.column1 AND grants.kind = v.column2
                """, batch.units.flatMap { [SQLiteData.text($0.openid), .text($0.kind), .integer($0.count)] } + [.text(appid)])
        }
        if !batch.closedWindows.isEmpty { try await recomputeWindows(db, appid: appid, openids: batch.closedWindows, now: now) }
        if !batch.skipped.isEmpty {
            _ = try await db.query(
                """
                UPDATE deliveries SET state = 'skipped', reason = v.column2
                FROM (VALUES \(Self.placeholders(rows: batch.skipped.count, columns: 2))) AS v WHERE deliveries.id = v.column1
                """, batch.skipped.flatMap { [SQLiteData.millis(candidates[$0.index].int64("id")), .text($0.reason)] })
        }
        let claimed = batch.reserved.map { index, kind in
            let row = candidates[index]
            return ClaimedDelivery(id: row.int64("id"), appid: appid, openid: row.string("openid"), message: row.string("message"),
                                   attempts: row.int("attempts"), grantKind: kind, dueAt: row.int64("due_at"),
                                   delayed: row.optionalInt64("rule_id") != nil)
        }
        if !claimed.isEmpty {
            _ = try await db.query(
                """
                UPDATE deliveries SET state = 'sending', lease_owner = ?, lease_expires_at = ?, grant_kind = v.column2, started_at = NULL
                FROM (VALUES \(Self.placeholders(rows: claimed.count, columns: 2))) AS v WHERE deliveries.id = v.column1
                """, [.text(owner), .millis(now + leaseMillis)] + claimed.flatMap { [SQLiteData.millis($0.id), .text($0.grantKind ?? "")] })
        }
        return claimed
    }

    /// Sets each follower's window to the latest close among its grants still open and usable.
    func recomputeWindows(_ db: SQLiteConnection, appid: String, openids: [String], now: Int64) async throws {
        _ = try await db.query(
            """
            UPDATE followers SET window_closes_at = (\(Self.windowSQL(appid: "followers.appid", openid: "followers.openid", now: "?")))
            WHERE appid = ? AND openid IN (\(Self.inList(openids.count)))
            """, [.millis(now), .text(appid)] + openids.map { .text($0) })
    }

}

extension SQLiteStore: SQLQueueSettling {
    /// Nothing to lock: one writer runs at a time.
    public func lockFollowers(_ db: SQLiteSession, appid: String, openids: [String]) async throws {}

    public func returnUnits(_ db: SQLiteSession, appid: String, openids: [String], kinds: [String], counts: [Int64], now: Int64) async throws {
        _ = try await db.connection.query(
            """
            UPDATE grants SET remaining = remaining + v.column3
            FROM (VALUES \(Self.placeholders(rows: openids.count, columns: 3))) AS v
            WHERE grants.appid = ? AND grants.openid = v.column1 AND grants.kind = v.column2
              AND grants.remaining IS NOT NULL AND grants.closes_at > ?
            """, (0..<openids.count).flatMap { [SQLiteData.text(openids[$0]), .text(kinds[$0]), .millis(counts[$0])] }
                + [.text(appid), .millis(now)])
    }

    public func recomputeWindows(_ db: SQLiteSession, appid: String, openids: [String], now: Int64) async throws {
        try await recomputeWindows(db.connection, appid: appid, openids: openids, now: now)
    }
}

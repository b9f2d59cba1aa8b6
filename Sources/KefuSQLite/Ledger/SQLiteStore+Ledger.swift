import KefuCore
import KefuSQL
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    /// Applies a batch in a fixed number of set-based statements, whatever its size. Usually
    /// (no unsubscribe in the batch) three, after `BEGIN`:
    /// 1. append to the log, skipping retries (`ON CONFLICT DO NOTHING … RETURNING`);
    /// 2. open or reset the grants the policy names (the latest opening wins), except those
    ///    opened before the follower's latest unsubscribe;
    /// 3. upsert the followers (the latest interaction wins, the latest deciding one sets
    ///    subscription), each with its window recomputed from its grants, written only if
    ///    something changed.
    /// A batch holding an unsubscribe needs the follower rows before it can mark them, so it runs
    /// the upsert first, then marks each follower's latest unsubscribe, opens the grants, closes
    /// those recorded before an unsubscribe, and recomputes the windows last.
    ///
    /// Fewer statements is what makes a batch cheaper. SQLiteNIO compiles every statement anew,
    /// and compiling these costs 60–150 µs of CPU each, whatever the batch size; the round trip to
    /// SQLite's thread is about 17 µs (`kefu bench --phases store` with statements left out).
    /// Folding the window into the upsert, and closing grants only when the batch has an
    /// unsubscribe, took two statements out of the usual batch: about 8 % less CPU per
    /// interaction at every batch size.
    ///
    /// Every step compares (time, log id) instead of relying on statement order, so out-of-order
    /// pushes give the same ledger as in-order ones; at equal times (CreateTime has one-second
    /// resolution) arrival order decides.
    public func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool] {
        guard !interactions.isEmpty else { return [] }
        return try await write { db in
            var logBinds: [SQLiteData] = []
            logBinds.reserveCapacity(interactions.count * 9)
            for item in interactions {
                logBinds += [
                    .text(item.appid), .text(item.openid), .text(item.kind.rawValue), .text(item.detail),
                    .optional(item.key), .optional(item.content), .millis(item.at), .millis(now), .text(item.dedupeKey),
                ]
            }
            let inserted = try await db.query(
                """
                INSERT INTO interactions (appid, openid, kind, detail, key, content, at, received_at, dedupe_key)
                VALUES \(Self.placeholders(rows: interactions.count, columns: 9))
                ON CONFLICT (appid, dedupe_key) DO NOTHING
                RETURNING id, appid, dedupe_key
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
            applied.sort { $0.id < $1.id }
            guard !applied.isEmpty else { return fresh }
            for statement in Self.ledgerStatements(applied, policy: policy, now: now) {
                _ = try await db.query(statement.sql, statement.binds)
            }
            return fresh
        }
    }

    /// The statements that bring followers, grants and windows up to date after `applied` (log
    /// order) was appended to the log.
    static func ledgerStatements(_ applied: [(item: Interaction, id: Int64)], policy: WindowPolicy,
                                 now: Int64) -> [(sql: String, binds: [SQLiteData])] {
        // Row by row, in log order: the latest interaction, and the latest one deciding
        // subscription (events and unknown kinds decide nothing: (0, 0)), each kept with its
        // (time, log id) so that one arriving late is weighed against it. ?1 is `now`, for the window.
        var followerBinds: [SQLiteData] = [.millis(now)]
        var grantRows = 0
        var grantBinds: [SQLiteData] = []
        var unsubscribes: [(item: Interaction, id: Int64)] = []
        for (item, id) in applied {
            let decides = item.kind.subscribes != nil
            followerBinds += [.text(item.appid), .text(item.openid), .integer(item.kind.subscribes == false ? 0 : 1),
                              .millis(item.at), .text(item.kind.rawValue), .millis(id),
                              decides ? .millis(item.at) : .integer(0), decides ? .millis(id) : .integer(0)]
            if item.kind == .unsubscribe { unsubscribes.append((item, id)) }
            guard let grant = policy.grant(for: item.kind) else { continue }
            let closes = item.at + Int64(grant.seconds) * 1000
            guard closes > now else { continue }
            grantRows += 1
            grantBinds += [.text(item.appid), .text(item.openid), .text(item.kind.rawValue),
                           .millis(item.at), .millis(id), .millis(closes), .optional(grant.sends)]
        }
        let window = windowSQL(appid: "v.column1", openid: "v.column2", now: "?1")
        // Without an unsubscribe the grants are already written when the followers are, so each
        // row carries its recomputed window. (`WHERE true`: SQLite's grammar needs it between a
        // SELECT and an upsert's ON CONFLICT.)
        let withWindow = unsubscribes.isEmpty
        let followerUpsert = (sql: """
            INSERT INTO followers (appid, openid, subscribed, last_interaction_at, last_interaction, last_interaction_id,
                                   decided_at, decided_id\(withWindow ? ", window_closes_at" : ""))
            SELECT v.*\(withWindow ? ", (\(window))" : "") FROM (VALUES \(placeholders(rows: applied.count, columns: 8, from: 2))) AS v
            WHERE true
            \(withWindow ? FollowerUpsert.onConflictWithWindow : FollowerUpsert.onConflict)
            """, binds: followerBinds)
        // The latest opening wins; none opened before the follower's latest unsubscribe,
        // whichever arrived first.
        let grants = grantRows == 0 ? [] : [(sql: """
            INSERT INTO grants (appid, openid, kind, opened_at, opened_id, closes_at, remaining)
            SELECT * FROM (VALUES \(placeholders(rows: grantRows, columns: 7))) AS v
            WHERE NOT EXISTS (
                SELECT 1 FROM followers f WHERE f.appid = v.column1 AND f.openid = v.column2
                  AND (f.unsubscribed_at, f.unsubscribed_id) > (v.column4, v.column5))
            ON CONFLICT (appid, openid, kind) DO UPDATE SET
                opened_at = excluded.opened_at, opened_id = excluded.opened_id,
                closes_at = excluded.closes_at, remaining = excluded.remaining
            WHERE (excluded.opened_at, excluded.opened_id) > (grants.opened_at, grants.opened_id)
            """, binds: grantBinds)]
        if unsubscribes.isEmpty { return grants + [followerUpsert] }

        // With an unsubscribe: the followers, each one's latest unsubscribe marked, the grants,
        // those opened before an unsubscribe closed, and the windows recomputed last.
        var statements = [followerUpsert]
        for (item, id) in unsubscribes {
            statements.append((
                """
                UPDATE followers SET unsubscribed_at = ?3, unsubscribed_id = ?4
                WHERE appid = ?1 AND openid = ?2
                  AND (unsubscribed_at IS NULL OR (unsubscribed_at, unsubscribed_id) < (?3, ?4))
                """, [.text(item.appid), .text(item.openid), .millis(item.at), .millis(id)]))
        }
        statements += grants
        var touched: [SQLiteData] = [.millis(now)]
        var seen = Set<String>()
        for (item, _) in applied where seen.insert("\(item.appid)\u{0}\(item.openid)").inserted {
            touched += [.text(item.appid), .text(item.openid)]
        }
        let followerList = "(VALUES \(placeholders(rows: seen.count, columns: 2, from: 2)))"
        statements.append((
            """
            DELETE FROM grants
            WHERE (appid, openid) IN \(followerList)
              AND (opened_at, opened_id) < (
                  SELECT f.unsubscribed_at, f.unsubscribed_id FROM followers f
                  WHERE f.appid = grants.appid AND f.openid = grants.openid)
            """, touched))
        statements.append((
            """
            UPDATE followers SET window_closes_at = w.closes
            FROM (SELECT v.column1 AS appid, v.column2 AS openid, (\(window)) AS closes FROM \(followerList) AS v) AS w
            WHERE followers.appid = w.appid AND followers.openid = w.openid AND followers.window_closes_at IS NOT w.closes
            """, touched))
        return statements
    }

    /// A follower's window, as a scalar subquery: the latest close among its grants still open at
    /// `now` with sends left (NULL: none). The arguments are SQL expressions.
    static func windowSQL(appid: String, openid: String, now: String) -> String {
        """
        SELECT max(g.closes_at) FROM grants g
        WHERE g.appid = \(appid) AND g.openid = \(openid) AND g.closes_at > \(now) AND (g.remaining IS NULL OR g.remaining > 0)
        """
    }

    /// `?, ?, …`: the inside of an `IN (…)` list of `count` values.
    static func inList(_ count: Int) -> Substring {
        placeholders(rows: 1, columns: count).dropFirst().dropLast()
    }

    /// `(?, ?), (?, ?)…`, optionally numbered from `from` (`(?2, ?3), …`).
    static func placeholders(rows: Int, columns: Int, from: Int? = nil) -> String {
        var out = ""
        out.reserveCapacity(rows * (columns * 3 + 4))
        var number = from ?? 0
        for row in 0..<rows {
            if row > 0 { out += ", " }
            out += "("
            for column in 0..<columns {
                if column > 0 { out += ", " }
                if from != nil {
                    out += "?\(number)"
                    number += 1
                } else {
                    out += "?"
                }
            }
            out += ")"
        }
        return out
    }
}

extension SQLiteStore: SQLLedgerReads {
    /// Sends left per follower of a page across grants open at `now` (nil: unlimited): one
    /// grouped scan of the account's grants for the listed followers, which SQLite plans by key.
    public func sendsLeft(_ db: SQLiteSession, appid: String, openids: [String], now: Int64) async throws -> [String: Int?] {
        guard !openids.isEmpty else { return [:] }
        let rows = try await db.fetchAll(
            """
            SELECT openid, sum(remaining) AS left_, max(remaining IS NULL) AS unlimited FROM grants
            WHERE appid = \(appid) AND closes_at > \(now) AND (remaining IS NULL OR remaining > 0) AND openid \(anyOf: openids)
            GROUP BY openid
            """)
        var result: [String: Int?] = [:]
        for row in rows {
            result[row.string("openid")] = row.int("unlimited") == 1 ? .some(nil) : row.int("left_")
        }
        return result
    }
}

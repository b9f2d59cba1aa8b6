import KefuCore
import KefuSQL
import KefuStore

extension PostgresStore {
    /// Claims as in the embedded store (see `SQLiteStore.claimDeliveries`), made safe for many
    /// processes on many hosts by row locks: an account's send bucket is locked `FOR UPDATE SKIP
    /// LOCKED` (while one process claims for an account, the others claim for other accounts),
    /// its deliveries are taken `FOR UPDATE SKIP LOCKED`, and a follower's grants are locked in key
    /// order — the order in which recording callbacks lock them too.
    public func claimDeliveries(owner: String, now: Int64, limit: Int, leaseMillis: Int64) async throws -> [ClaimedDelivery] {
        try await write { db in
            var claimed: [ClaimedDelivery] = []
            // "Has due work" is the account's earliest pending due time, which PostgreSQL reads
            // from the end of `deliveries_pending_due` whatever its statistics say. Written as
            // EXISTS, the planner flattened it into a hash join over every pending delivery; as
            // a LIMIT 1 probe, into a sequential scan that starts among rows already sent — each a
            // million rows read per claim (117 ms, measured during a broadcast).
            let accounts = try await db.query(
                """
                SELECT a.appid, a.send_rate, a.daily_budget, a.reserve FROM accounts a
                WHERE NOT EXISTS (SELECT 1 FROM account_pauses p WHERE p.appid = a.appid AND p.until > $1)
                  AND (SELECT min(d.due_at) FROM deliveries d WHERE d.appid = a.appid AND d.state = 'pending') <= $1
                ORDER BY random()
                """, [.int(now)])
            for account in accounts where claimed.count < limit {
                let appid = account.string("appid")
                let rate = account.int("send_rate")
                try await db.execute(
                    "INSERT INTO send_buckets (appid, tokens, refilled_at) VALUES ($1, $2, $3) ON CONFLICT (appid) DO NOTHING",
                    [.text(appid), .double(SendBucket.capacity(rate: rate)), .int(now)])
                guard let bucket = try await db.query(
                    "SELECT tokens, refilled_at FROM send_buckets WHERE appid = $1 FOR UPDATE SKIP LOCKED", [.text(appid)]).first
                else { continue }
                let tokens = SendBucket.tokens(held: bucket.double("tokens"), refilledAt: bucket.int64("refilled_at"), now: now, rate: rate)
                let day = QuotaDay.of(now)
                let used = try await db.query("SELECT used FROM send_days WHERE appid = $1 AND day = $2",
                                              [.text(appid), .int(day)]).first?.int("used") ?? 0
                let take = min(Int(tokens), account.int("daily_budget") - used, limit - claimed.count)
                var taken = 0
                if take > 0 {
                    let candidates = try await db.query(
                        """
                        SELECT d.id, d.openid, d.attempts, d.due_at, d.rule_id, coalesce(d.message, t.message) AS message FROM deliveries d
                        LEFT JOIN tasks t ON t.id = d.task_id
                        WHERE d.appid = $1 AND d.state = 'pending' AND d.due_at <= $2
                          AND (d.task_id IS NULL OR d.test = 1 OR t.status = 'running')
                        ORDER BY d.window_closes_at LIMIT $3
                        FOR UPDATE OF d SKIP LOCKED
                        """, [.text(appid), .int(now), .int(take * 2)])
                    let reserved = try await Self.reserve(db, candidates: candidates, appid: appid, reserve: account.int("reserve"),
                                                          take: take, owner: owner, now: now, leaseMillis: leaseMillis)
                    claimed += reserved
                    taken = reserved.count
                }
                // refilled_at never moves back: an interval is never credited twice.
                try await db.execute("UPDATE send_buckets SET tokens = $2, refilled_at = greatest(refilled_at, $3) WHERE appid = $1",
                                     [.text(appid), .double(tokens - Double(taken)), .int(now)])
                if taken > 0 {
                    try await db.execute(
                        """
                        INSERT INTO send_days (appid, day, used) VALUES ($1, $2, $3)
                        ON CONFLICT (appid, day) DO UPDATE SET used = send_days.used + excluded.used
                        """, [.text(appid), .int(day), .int(taken)])
                }
            }
            return claimed
        }
    }

    public func nextClaimDelay(now: Int64) async throws -> Int64? {
        try await read { db in
            let accounts = try await db.query(
                """
                SELECT a.appid, a.send_rate, a.daily_budget,
                    (SELECT min(d.due_at) FROM deliveries d WHERE d.appid = a.appid AND d.state = 'pending') AS due,
                    (SELECT p.until FROM account_pauses p WHERE p.appid = a.appid AND p.until > $1) AS paused_until,
                    b.tokens, b.refilled_at, coalesce(s.used, 0) AS used
                FROM accounts a
                LEFT JOIN send_buckets b ON b.appid = a.appid
                LEFT JOIN send_days s ON s.appid = a.appid AND s.day = $2
                """, [.int(now), .int(QuotaDay.of(now))])
            var soonest: Int64?
            for account in accounts {
                guard let due = account.optionalInt64("due") else { continue }
                var wait = max(due - now, 0)
                if let until = account.optionalInt64("paused_until") { wait = max(wait, until - now) }
                if account.int("used") >= account.int("daily_budget") {
                    wait = max(wait, QuotaDay.nextStart(after: now) - now)
                }
                if let refilledAt = account.optionalInt64("refilled_at") {
                    let rate = account.int("send_rate")
                    let tokens = SendBucket.tokens(held: account.double("tokens"), refilledAt: refilledAt, now: now, rate: rate)
                    wait = max(wait, SendBucket.millisUntilToken(tokens, rate: rate))
                }
                soonest = min(soonest ?? wait, wait)
            }
            return soonest
        }
    }

    /// Re-checks the ledger for a batch of candidates in a constant number of statements: the
    /// followers' subscription read, then their grants locked (in key order);
    /// each candidate decided in order (`GrantReservation`), units reserved in memory so two
    /// deliveries to one follower see each other; then one statement each for the grant units,
    /// the windows that closed, the skipped and the claimed deliveries.
    static func reserve(_ db: PGSession, candidates: [PGRow], appid: String, reserve: Int, take: Int,
                        owner: String, now: Int64, leaseMillis: Int64) async throws -> [ClaimedDelivery] {
        guard !candidates.isEmpty else { return [] }
        let openids = Array(Set(candidates.map { $0.string("openid") })).sorted()
        var subscribed: [String: Bool] = [:]
        // The follower rows are read, not locked: the decision rests on the grants, which are
        // locked (in key order, as recording locks them); an unsubscribe committing after this
        // read is the same as one arriving just after the send. Locking them too cost a row
        // lock write per delivery. (When a claim uses up a follower's last unit it updates that
        // follower's window after holding the grant: if the follower's interaction is being
        // recorded at that very moment, PostgreSQL reports a deadlock and `write` retries.)
        for row in try await db.query(subscribedSQL, [.text(appid), .texts(openids)]) {
            subscribed[row.string("openid")] = row.int("subscribed") == 1
        }
        var grants: [String: [GrantReservation.Grant]] = [:]
        for row in try await db.query(grantsForUpdateSQL, [.text(appid), .texts(openids), .int(now)]) {
            grants[row.string("openid"), default: []].append(.init(kind: row.string("kind"), remaining: row.optionalInt("remaining")))
        }
        let batch = BatchReservation.decide(openids: candidates.map { $0.string("openid") }, subscribed: subscribed,
                                            grants: grants, reserve: reserve, take: take)
        let claimed = batch.reserved.map { index, kind in
            let row = candidates[index]
            return ClaimedDelivery(id: row.int64("id"), appid: appid, openid: row.string("openid"), message: row.string("message"),
                                   attempts: row.int("attempts"), grantKind: kind, dueAt: row.int64("due_at"),
                                   delayed: row.optionalInt64("rule_id") != nil)
        }
        let skipped = batch.skipped.map { (candidates[$0.index].int64("id"), $0.reason) }
        if !batch.units.isEmpty {
            try await db.execute(spendUnitsSQL, [.text(appid), .texts(batch.units.map(\.openid)), .texts(batch.units.map(\.kind)),
                                                 .ints(batch.units.map { Int64($0.count) })])
        }
        if !batch.closedWindows.isEmpty { try await recomputeWindows(db, appid: appid, openids: batch.closedWindows, now: now) }
        if !skipped.isEmpty {
            try await db.execute(
                """
                UPDATE deliveries d SET state = 'skipped', reason = v.reason
                FROM (SELECT unnest($1::bigint[]) AS id, unnest($2::text[]) AS reason) v WHERE d.id = v.id
                """, [.ints(skipped.map(\.0)), .texts(skipped.map(\.1))])
        }
        if !claimed.isEmpty {
            try await db.execute(
                """
                UPDATE deliveries d SET state = 'sending', lease_owner = $1, lease_expires_at = $2, grant_kind = v.kind, started_at = NULL
                FROM (SELECT unnest($3::bigint[]) AS id, unnest($4::text[]) AS kind) v WHERE d.id = v.id
                """, [.text(owner), .int(now + leaseMillis), .ints(claimed.map(\.id)), .texts(claimed.map { $0.grantKind ?? "" })])
        }
        return claimed
    }

    /// Sets each follower's window to the latest close among its grants still open and usable;
    /// the followers are locked in key order, as recording locks them.
    static func recomputeWindows(_ db: PGSession, appid: String, openids: [String], now: Int64) async throws {
        try await db.execute(recomputeWindowsSQL, [.text(appid), .texts(openids.sorted()), .int(now)])
    }

    // What a claim runs per batch of followers (`$1` the appid, `$2` their openids, sorted). Each
    // looks the followers up one by one, by primary key, in a `LATERAL` subquery the planner
    // cannot flatten (`LIMIT`, `FOR UPDATE`): `appid = $1 AND openid = ANY($2)`, or a join with
    // the array, left PostgreSQL free to read all of the account's rows instead, which it does
    // when a table has grown since its last `ANALYZE` (a burst of callbacks, an import) and
    // `appid = $1` looks like a few rows. Measured during `kefu bench`'s delayed phase, 100,000
    // followers recorded a minute earlier: 21–22 ms per statement, every claim, against ≈ 2 ms.
    // An update finds its rows the same way, locks them, and writes them by their `ctid`, which
    // the lock keeps still until the transaction ends (`PostgresQueryPlanTests`).

    static let subscribedSQL = """
        SELECT f.openid, f.subscribed FROM unnest($2::text[]) AS v(openid)
        CROSS JOIN LATERAL (SELECT openid, subscribed FROM followers WHERE appid = $1 AND openid = v.openid LIMIT 1) f
        """

    /// The followers' open grants (`$3`: now), locked in key order as recording locks them.
    static let grantsForUpdateSQL = """
        SELECT g.openid, g.kind, g.remaining FROM unnest($2::text[]) AS v(openid)
        CROSS JOIN LATERAL (SELECT openid, kind, remaining, closes_at FROM grants
                            WHERE appid = $1 AND openid = v.openid AND closes_at > $3 ORDER BY kind FOR UPDATE) g
        ORDER BY g.openid, g.closes_at, g.kind
        """

    /// `$4` units off each grant (`$2`, `$3`).
    static let spendUnitsSQL = """
        UPDATE grants g SET remaining = g.remaining - x.n
        FROM (SELECT l.ctid AS row_at, v.n FROM unnest($2::text[], $3::text[], $4::bigint[]) AS v(openid, kind, n)
              CROSS JOIN LATERAL (SELECT ctid FROM grants WHERE appid = $1 AND openid = v.openid AND kind = v.kind
                                  LIMIT 1 FOR UPDATE) l) x
        WHERE g.ctid = x.row_at
        """

    /// The window from the grants (`$3`: now).
    static let recomputeWindowsSQL = """
        UPDATE followers f SET window_closes_at = (\(windowSQL(appid: "f.appid", openid: "f.openid", now: "$3")))
        FROM (SELECT l.ctid AS row_at FROM unnest($2::text[]) AS v(openid)
              CROSS JOIN LATERAL (SELECT ctid FROM followers WHERE appid = $1 AND openid = v.openid LIMIT 1 FOR UPDATE) l) x
        WHERE f.ctid = x.row_at
        """

    /// A follower's window, as a scalar subquery: the latest close among its grants still open
    /// at `now` with sends left (NULL: none). The arguments are SQL expressions. The claim and
    /// `kefu_record` (migrations 3 and 4, whose text `MigrationHistoryTests` pins) use it, as
    /// `SQLiteStore.windowSQL` serves the embedded store.
    static func windowSQL(appid: String, openid: String, now: String) -> String {
        """
        SELECT max(g.closes_at) FROM grants g
                          WHERE g.appid = \(appid) AND g.openid = \(openid) AND g.closes_at > \(now)
                            AND (g.remaining IS NULL OR g.remaining > 0)
        """
    }

}

extension PostgresStore: SQLQueueSettling {
    /// Locks the followers' rows in the order given (sorted by the caller), each found by primary
    /// key as `recomputeWindowsSQL` finds them, so that a recording callback (which locks the
    /// follower before its grants) and a settle never take the same two rows in opposite orders.
    public func lockFollowers(_ db: PGSession, appid: String, openids: [String]) async throws {
        try await db.execute(
            """
            SELECT l.openid FROM unnest($2::text[]) AS v(openid)
            CROSS JOIN LATERAL (SELECT openid FROM followers WHERE appid = $1 AND openid = v.openid LIMIT 1 FOR UPDATE) l
            """, [.text(appid), .texts(openids)])
    }

    /// By key, as a claim spends them (`spendUnitsSQL`).
    public func returnUnits(_ db: PGSession, appid: String, openids: [String], kinds: [String], counts: [Int64], now: Int64) async throws {
        try await db.execute(
            """
            UPDATE grants g SET remaining = g.remaining + x.n
            FROM (SELECT l.ctid AS row_at, v.n FROM unnest($2::text[], $3::text[], $4::bigint[]) AS v(openid, kind, n)
                  CROSS JOIN LATERAL (SELECT ctid FROM grants WHERE appid = $1 AND openid = v.openid AND kind = v.kind
                                      AND remaining IS NOT NULL AND closes_at > $5 LIMIT 1 FOR UPDATE) l) x
            WHERE g.ctid = x.row_at
            """, [.text(appid), .texts(openids), .texts(kinds), .ints(counts), .int(now)])
    }

    /// By key, followers locked in key order (`recomputeWindowsSQL`).
    public func recomputeWindows(_ db: PGSession, appid: String, openids: [String], now: Int64) async throws {
        try await Self.recomputeWindows(db, appid: appid, openids: openids, now: now)
    }
}

import KefuCore
import KefuSQL
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
        // A single statement is a transaction of its own. Its deadline is short: the pushes
        // waiting on it are answered 503 after 4 s anyway (`GroupCommitter.answerWithinMillis`),
        // and a statement lost on a connection the server dropped (seen when its backends were
        // terminated) must not hold the committer, and every push after it, for the usual 20 s.
        let rows = try await write(transaction: false, timeout: .seconds(5)) { db in
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

    /// A page's followers (`$3`) looked up one by one, by key, as a claim's are
    /// (`PostgresStore.subscribedSQL`); `OFFSET 0` keeps the planner from flattening the lookup.
    static let remainingSQL = """
        SELECT v.openid, coalesce(sum(g.remaining), 0)::bigint AS left_, bool_or(g.remaining IS NULL) AS unlimited
        FROM unnest($3::text[]) AS v(openid)
        CROSS JOIN LATERAL (SELECT remaining FROM grants WHERE appid = $1 AND openid = v.openid AND closes_at > $2
                              AND (remaining IS NULL OR remaining > 0) OFFSET 0) g
        GROUP BY v.openid
        """

}

extension PostgresStore: SQLLedgerReads {
    /// Sends left per follower of a page across grants open at `now` (nil: unlimited). Per
    /// backend for the plan: PostgreSQL, given the list as one array, would otherwise scan the
    /// account's grants; the lateral lookup goes by key (`remainingSQL`).
    public func sendsLeft(_ db: PGSession, appid: String, openids: [String], now: Int64) async throws -> [String: Int?] {
        guard !openids.isEmpty else { return [:] }
        let rows = try await db.query(Self.remainingSQL, [.text(appid), .int(now), .texts(openids)])
        var result: [String: Int?] = [:]
        for row in rows {
            result[row.string("openid")] = row.int("unlimited") == 1 ? .some(nil) : row.int("left_")
        }
        return result
    }
}

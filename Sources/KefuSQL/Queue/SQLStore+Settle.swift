import KefuCore
import KefuStore

/// The per-backend pieces of the send queue's settling, each with its reason where implemented.
public protocol SQLQueueSettling: SQLStore {
    /// Locks followers' rows (`openids` sorted) before their grants change, in the order
    /// recording locks them (PostgreSQL); nothing where one writer runs at a time (SQLite).
    func lockFollowers(_ db: Session, appid: String, openids: [String]) async throws
    /// Gives `counts` units back to each follower's grant of `kinds`, where it counts units and is
    /// still open at `now` (the followers locked).
    func returnUnits(_ db: Session, appid: String, openids: [String], kinds: [String], counts: [Int64], now: Int64) async throws
    /// Sets each follower's window to the latest close among its grants still open and usable.
    func recomputeWindows(_ db: Session, appid: String, openids: [String], now: Int64) async throws
}

/// A follower's grant of one kind: the units handed back to it are counted by this.
struct GrantUnit: Hashable {
    var openid: String
    var kind: String
}

/// Settling claimed deliveries: groups marked started before their calls, results recorded, units and budget given back for sends that did
/// not go out, WeChat's verdicts about followers applied to the ledger, expired leases recovered.
/// (Claiming stays per backend: `claimDeliveries`.)
extension SQLQueueSettling {
    public func markStarted(_ ids: [Int64], owner: String, now: Int64) async throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        return try await inOneStatement { db in
            // Only what this worker still holds, on a lease not yet expired: a delivery another
            // worker took over (or the lease recovery gave back) is not sent by this one.
            let kept = try await db.fetchAll(
                """
                UPDATE deliveries SET started_at = \(now)
                WHERE id \(anyOf: ids) AND state = 'sending' AND lease_owner = \(owner) AND lease_expires_at > \(now)
                RETURNING id
                """)
            let owned = Set(kept.map { $0.int64("id") })
            return ids.filter { owned.contains($0) }
        }
    }

    @discardableResult
    public func recordResults(_ results: [DeliveryResult], owner: String) async throws -> [Int64] {
        guard !results.isEmpty else { return [] }
        let sent = results.filter { if case .sent = $0.outcome { true } else { false } }
        if sent.count == results.count {
            // Only sends that went out — a broadcast's batches, nearly always: one statement,
            // without a transaction around it. Every call's place in the sender is free again only
            // once this returns, so on PostgreSQL the BEGIN and COMMIT round trips it saves are
            // waited for by every call.
            try await inOneStatement { db in try await recordSent(db, sent) }
            return []
        }
        return try await inTransaction { db in
            try await recordSent(db, sent)
            var owned: Set<Int64> = []
            // Back to the queue — hand-backs of claims never sent are most of these — in one
            // statement: a hand-back of a hundred claims was a hundred updates and a hundred
            // refunds, five statements each, in one transaction holding the account's day row;
            // on a loaded PostgreSQL it outlasted the lease it was handing back (the queue churned).
            let requeued = results.compactMap { result -> (DeliveryResult, dueAt: Int64, errcode: Int?, counts: Bool)? in
                if case .retry(let dueAt, let errcode, let counts) = result.outcome { (result, dueAt, errcode, counts) } else { nil }
            }
            if !requeued.isEmpty {
                let back = try await db.fetchAll(
                    """
                    UPDATE deliveries SET state = 'pending', due_at = v.due, errcode = NULLIF(v.errcode, \(Self.noErrcode)),
                        attempts = attempts + v.counts, lease_owner = NULL, lease_expires_at = NULL, started_at = NULL
                    FROM \(table: [("did", .ints(requeued.map(\.0.delivery.id))), ("due", .ints(requeued.map(\.dueAt))),
                                  ("errcode", .ints(requeued.map { Int64($0.errcode ?? Int(Self.noErrcode)) })),
                                  ("counts", .ints(requeued.map { $0.counts ? 1 : 0 }))]) AS v
                    WHERE deliveries.id = v.did AND deliveries.state = 'sending' AND deliveries.lease_owner = \(owner)
                    RETURNING id
                    """)
                owned.formUnion(back.map { $0.int64("id") })
                if !back.isEmpty { try await db.notify(.deliveries) }
            }
            // Skipped and failed, one by one: few, each with its reason.
            for result in results {
                let state: String, reason: String, errcode: Int?
                switch result.outcome {
                case .skipped(let why, let code): (state, reason, errcode) = ("skipped", why, code)
                case .failed(let why, let code): (state, reason, errcode) = ("failed", why, code)
                case .sent, .retry: continue
                }
                let changed = try await db.run(
                    """
                    UPDATE deliveries SET state = \(state), reason = \(reason), errcode = \(errcode), attempts = attempts + 1,
                        lease_owner = NULL, lease_expires_at = NULL, wechat_media = \(result.wechatMedia)
                    WHERE id = \(result.delivery.id) AND state = 'sending' AND lease_owner = \(owner)
                    """)
                if changed == 1 { owned.insert(result.delivery.id) }
            }
            var notOwned: [Int64] = []
            var refunds: [DeliveryResult] = []
            var effects: [(appid: String, openid: String, effect: DeliveryResult.LedgerEffect)] = []
            for result in results {
                if case .sent = result.outcome { continue }
                guard owned.contains(result.delivery.id) else {
                    notOwned.append(result.delivery.id)
                    continue
                }
                // A call that may have reached WeChat keeps its unit and budget spent.
                if case .skipped(let reason, _) = result.outcome, DeliveryReason.isOutcomeUnknown(reason) {} else { refunds.append(result) }
                if let effect = result.ledgerEffect { effects.append((result.delivery.appid, result.delivery.openid, effect)) }
            }
            try await refund(db, refunds.map { ($0.delivery, $0.at) }, effects: effects)
            return notOwned
        }
    }

    /// Sends that went out, in one statement. The truth wins even if the lease was lost meanwhile:
    /// it was sent.
    func recordSent(_ db: Session, _ sent: [DeliveryResult]) async throws {
        guard !sent.isEmpty else { return }
        if sent.allSatisfy({ $0.wechatMedia == nil }) {
            try await db.run(
                """
                UPDATE deliveries SET state = 'sent', sent_at = v.at, errcode = 0, reason = NULL, attempts = attempts + 1,
                    lease_owner = NULL, lease_expires_at = NULL
                FROM \(table: [("id", .ints(sent.map(\.delivery.id))), ("at", .ints(sent.map(\.at)))]) AS v
                WHERE deliveries.id = v.id AND deliveries.state IN ('sending', 'pending', 'skipped')
                """)
        } else {
            // Messages naming library files: the WeChat ids they went out with, for the log.
            try await db.run(
                """
                UPDATE deliveries SET state = 'sent', sent_at = v.at, errcode = 0, reason = NULL, attempts = attempts + 1,
                    lease_owner = NULL, lease_expires_at = NULL, wechat_media = NULLIF(v.media, '')
                FROM \(table: [("id", .ints(sent.map(\.delivery.id))), ("at", .ints(sent.map(\.at))),
                              ("media", .texts(sent.map { $0.wechatMedia ?? "" }))]) AS v
                WHERE deliveries.id = v.id AND deliveries.state IN ('sending', 'pending', 'skipped')
                """)
        }
    }

    /// A requeued delivery's errcode column when it has none (NULL in the table).
    static var noErrcode: Int64 { Int64(Int32.min) }

    /// Gives back the reserved units (the sends did not go out) and the days' budget slots, and
    /// applies what WeChat's refusals said about followers — in a constant number of statements
    /// per account and day, with the few ledger effects one by one. The followers are locked
    /// first, all at once and in key order (the order recording locks them), and the day's row
    /// last, so that the account's busiest row is held for one statement's time.
    public func refund(_ db: Session, _ deliveries: [(delivery: ClaimedDelivery, at: Int64)],
                       effects: [(appid: String, openid: String, effect: DeliveryResult.LedgerEffect)] = []) async throws {
        guard !deliveries.isEmpty || !effects.isEmpty else { return }
        let accounts = Set(deliveries.map(\.delivery.appid)).union(effects.map(\.appid)).sorted()
        for appid in accounts {
            let ofAccount = deliveries.filter { $0.delivery.appid == appid }
            let withUnits = ofAccount.filter { $0.delivery.grantKind != nil }
            let accountEffects = effects.filter { $0.appid == appid }
            let followers = Set(withUnits.map(\.delivery.openid)).union(accountEffects.map(\.openid)).sorted()
            if !followers.isEmpty { try await lockFollowers(db, appid: appid, openids: followers) }
            if !withUnits.isEmpty {
                // Units are given back only to grants still open when the last of them was handed back.
                let now = withUnits.map(\.at).max()!
                var counts: [GrantUnit: Int64] = [:]
                for (delivery, _) in withUnits { counts[GrantUnit(openid: delivery.openid, kind: delivery.grantKind!), default: 0] += 1 }
                let units = counts.sorted { ($0.key.openid, $0.key.kind) < ($1.key.openid, $1.key.kind) }
                try await returnUnits(db, appid: appid, openids: units.map(\.key.openid), kinds: units.map(\.key.kind),
                                      counts: units.map(\.value), now: now)
                try await recomputeWindows(db, appid: appid, openids: Set(withUnits.map(\.delivery.openid)).sorted(), now: now)
            }
            for (_, openid, effect) in accountEffects { try await apply(effect, db, appid: appid, openid: openid) }
            for (day, slots) in Dictionary(grouping: ofAccount, by: { QuotaDay.of($0.at) }).sorted(by: { $0.key < $1.key }) {
                try await db.run(
                    """
                    UPDATE send_days SET used = CASE WHEN used > \(slots.count) THEN used - \(slots.count) ELSE 0 END
                    WHERE appid = \(appid) AND day = \(day)
                    """)
            }
        }
    }

    /// What WeChat's refusal says about the follower, applied to the ledger (the follower locked
    /// by the caller).
    func apply(_ effect: DeliveryResult.LedgerEffect, _ db: Session, appid: String, openid: String) async throws {
        let follower: SQL = "appid = \(appid) AND openid = \(openid)"
        switch effect {
        case .closeWindow:
            try await db.run("DELETE FROM grants WHERE \(follower)")
        case .zeroRemaining:
            try await db.run("UPDATE grants SET remaining = 0 WHERE \(follower)")
        case .unsubscribe:
            try await db.run("DELETE FROM grants WHERE \(follower)")
            try await db.run("UPDATE followers SET subscribed = 0 WHERE \(follower)")
        }
        try await db.run("UPDATE followers SET window_closes_at = NULL WHERE \(follower)")
    }

    public func recoverExpiredLeases(now: Int64, policy: UnknownOutcomePolicy) async throws -> Int {
        try await inTransaction { db in
            let expired = try await db.fetchAll(
                """
                SELECT id, appid, openid, attempts, grant_kind, started_at FROM deliveries
                WHERE state = 'sending' AND lease_expires_at < \(now) LIMIT 1000\(SQL.skipLocked)
                """)
            var back: [ClaimedDelivery] = [], unknown: [Int64] = []
            for row in expired {
                let delivery = ClaimedDelivery(id: row.int64("id"), appid: row.string("appid"), openid: row.string("openid"),
                                               message: "", attempts: row.int("attempts"), grantKind: row.optionalString("grant_kind"))
                // Never started: certainly not sent — back to the queue for another worker, not
                // counted as an attempt. Started, the call may have reached WeChat: `skip` keeps
                // the unit and budget spent (at most once); `retry` sends again, as an attempt.
                if row.optionalInt64("started_at") == nil || policy == .retry { back.append(delivery) } else { unknown.append(delivery.id) }
            }
            if !unknown.isEmpty {
                try await db.run(
                    """
                    UPDATE deliveries SET state = 'skipped', reason = \(DeliveryReason.outcomeUnknown), lease_owner = NULL, lease_expires_at = NULL
                    WHERE id \(anyOf: unknown)
                    """)
            }
            if !back.isEmpty {
                try await db.run(
                    """
                    UPDATE deliveries SET state = 'pending', attempts = attempts + (CASE WHEN started_at IS NULL THEN 0 ELSE 1 END),
                        lease_owner = NULL, lease_expires_at = NULL, started_at = NULL
                    WHERE id \(anyOf: back.map(\.id))
                    """)
                try await refund(db, back.map { ($0, now) })
                try await db.notify(.deliveries)
            }
            return expired.count
        }
    }
}

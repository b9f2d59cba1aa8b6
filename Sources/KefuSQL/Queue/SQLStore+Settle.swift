import KefuCore
import KefuStore

/// The per-backend pieces of the send queue's settling, each with its reason where implemented.
public protocol SQLQueueSettling: SQLStore {
    /// Locks a follower's row before its grants change, in the order recording locks it
    /// (PostgreSQL); nothing where one writer runs at a time (SQLite).
    func lockFollower(_ db: Session, appid: String, openid: String) async throws
    /// Sets each follower's window to the latest close among its grants still open and usable.
    func recomputeWindows(_ db: Session, appid: String, openids: [String], now: Int64) async throws
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
        return try await inTransaction { db in
            var requeued = false
            var notOwned: [Int64] = []
            // Sends that went out, in one statement. The truth wins even if the lease was lost
            // meanwhile: it was sent.
            let sent = results.filter { if case .sent = $0.outcome { true } else { false } }
            if !sent.isEmpty, sent.allSatisfy({ $0.wechatMedia == nil }) {
                try await db.run(
                    """
                    UPDATE deliveries SET state = 'sent', sent_at = v.at, errcode = 0, reason = NULL, attempts = attempts + 1,
                        lease_owner = NULL, lease_expires_at = NULL
                    FROM \(table: [("id", .ints(sent.map(\.delivery.id))), ("at", .ints(sent.map(\.at)))]) AS v
                    WHERE deliveries.id = v.id AND deliveries.state IN ('sending', 'pending', 'skipped')
                    """)
            } else if !sent.isEmpty {
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
            // In follower order, the order in which recording locks followers.
            for result in results.sorted(by: { ($0.delivery.appid, $0.delivery.openid) < ($1.delivery.appid, $1.delivery.openid) }) {
                let delivery = result.delivery
                let changed: Int
                switch result.outcome {
                case .sent:
                    continue
                case .skipped(let reason, let errcode), .failed(let reason, let errcode):
                    let state = if case .failed = result.outcome { "failed" } else { "skipped" }
                    changed = try await db.run(
                        """
                        UPDATE deliveries SET state = \(state), reason = \(reason), errcode = \(errcode), attempts = attempts + 1,
                            lease_owner = NULL, lease_expires_at = NULL, wechat_media = \(result.wechatMedia)
                        WHERE id = \(delivery.id) AND state = 'sending' AND lease_owner = \(owner)
                        """)
                case .retry(let dueAt, let errcode, let counts):
                    changed = try await db.run(
                        """
                        UPDATE deliveries SET state = 'pending', due_at = \(dueAt), errcode = \(errcode), attempts = attempts + \(counts ? 1 : 0),
                            lease_owner = NULL, lease_expires_at = NULL, started_at = NULL
                        WHERE id = \(delivery.id) AND state = 'sending' AND lease_owner = \(owner)
                        """)
                    requeued = true
                }
                guard changed == 1 else {
                    notOwned.append(delivery.id)
                    continue
                }
                // A call that may have reached WeChat keeps its unit and budget spent.
                if case .skipped(let reason, _) = result.outcome, DeliveryReason.isOutcomeUnknown(reason) {} else {
                    try await refund(db, delivery, now: result.at)
                }
                if let effect = result.ledgerEffect {
                    try await apply(effect, db, appid: delivery.appid, openid: delivery.openid)
                }
            }
            if requeued { try await db.notify(.deliveries) }
            return notOwned
        }
    }

    /// Gives back a reserved unit (the send did not go out) and the day's budget slot.
    public func refund(_ db: Session, _ delivery: ClaimedDelivery, now: Int64) async throws {
        if let kind = delivery.grantKind {
            try await lockFollower(db, appid: delivery.appid, openid: delivery.openid)
            try await db.run(
                """
                UPDATE grants SET remaining = remaining + 1
                WHERE appid = \(delivery.appid) AND openid = \(delivery.openid) AND kind = \(kind)
                  AND remaining IS NOT NULL AND closes_at > \(now)
                """)
            try await recomputeWindows(db, appid: delivery.appid, openids: [delivery.openid], now: now)
        }
        try await db.run(
            """
            UPDATE send_days SET used = CASE WHEN used > 0 THEN used - 1 ELSE 0 END
            WHERE appid = \(delivery.appid) AND day = \(QuotaDay.of(now))
            """)
    }

    /// What WeChat's refusal says about the follower, applied to the ledger.
    func apply(_ effect: DeliveryResult.LedgerEffect, _ db: Session, appid: String, openid: String) async throws {
        try await lockFollower(db, appid: appid, openid: openid)
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
            var requeued = false
            for row in expired {
                let delivery = ClaimedDelivery(id: row.int64("id"), appid: row.string("appid"), openid: row.string("openid"),
                                               message: "", attempts: row.int("attempts"), grantKind: row.optionalString("grant_kind"))
                guard row.optionalInt64("started_at") != nil else {
                    // Never started: certainly not sent. Back to the queue for another worker,
                    // not counted as an attempt, its unit and budget given back.
                    try await db.run(
                        "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE id = \(delivery.id)")
                    try await refund(db, delivery, now: now)
                    requeued = true
                    continue
                }
                switch policy {
                case .skip:
                    // The call may have reached WeChat: at-most-once keeps the unit and the budget spent.
                    try await db.run(
                        """
                        UPDATE deliveries SET state = 'skipped', reason = \(DeliveryReason.outcomeUnknown),
                            lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = \(delivery.id)
                        """)
                case .retry:
                    try await db.run(
                        """
                        UPDATE deliveries SET state = 'pending', attempts = attempts + 1, lease_owner = NULL, lease_expires_at = NULL,
                            started_at = NULL
                        WHERE id = \(delivery.id)
                        """)
                    try await refund(db, delivery, now: now)
                    requeued = true
                }
            }
            if requeued { try await db.notify(.deliveries) }
            return expired.count
        }
    }
}

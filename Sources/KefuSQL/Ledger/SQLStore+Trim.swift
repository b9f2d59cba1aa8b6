import KefuCore
import KefuStore

/// The trimmer's batches. Each statement deletes at most `limit` rows, so no transaction grows
/// with the tables; on PostgreSQL the rows are taken `SKIP LOCKED`, so trimmers in several
/// processes share the work instead of queueing on each other's locks.
extension SQLStore {
    public func trimClosedWindows(now: Int64, limit: Int) async throws -> Int {
        try await inTransaction { db in
            let grants = try await db.run(
                """
                DELETE FROM grants WHERE (appid, openid, kind) IN (
                    SELECT appid, openid, kind FROM grants WHERE closes_at <= \(now) LIMIT \(limit)\(SQL.skipLocked))
                """)
            let windows = try await db.run(
                """
                UPDATE followers SET window_closes_at = NULL WHERE (appid, openid) IN (
                    SELECT appid, openid FROM followers WHERE window_closes_at <= \(now) LIMIT \(limit)\(SQL.skipLocked))
                """)
            return grants + windows
        }
    }

    public func trimInteractionLog(before: Int64, limit: Int) async throws -> Int {
        try await inTransaction { db in
            try await db.run(
                """
                DELETE FROM interactions WHERE id IN (
                    SELECT id FROM interactions WHERE received_at < \(before) ORDER BY received_at LIMIT \(limit)\(SQL.skipLocked))
                """)
        }
    }

    /// Finished deliveries created before `before`. PostgreSQL finds them through a BRIN index on
    /// creation time (deliveries are created in time order), which gives no order: the oldest
    /// first is asked of SQLite only, whose B-tree index gives it for nothing.
    public func trimFinishedDeliveries(before: Int64, limit: Int) async throws -> Int {
        try await inTransaction { db in
            let oldestFirst: SQL = db.dialect == .sqlite ? " ORDER BY created_at" : ""
            return try await db.run(
                """
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries WHERE created_at < \(before) AND state IN ('sent', 'failed', 'skipped', 'cancelled')\(oldestFirst)
                    LIMIT \(limit)\(SQL.skipLocked))
                """)
        }
    }

    /// Purges one deleted account at a time, by its appid prefix of each table's key, so no
    /// statement scans a table; the account leaves `deleted_accounts` when nothing is left.
    public func purgeDeletedAccounts(limit: Int) async throws -> Int {
        try await inTransaction { db in
            guard let appid = try await db.fetchOne(
                "SELECT appid FROM deleted_accounts ORDER BY deleted_at LIMIT 1\(SQL.skipLocked)")?.string("appid")
            else { return 0 }
            // Media first, a few at a time: each row holds a file of up to 10 MB, so a batch of
            // them is a whole pass's worth of work.
            let mediaBatch = 16
            var total = try await db.run(
                "DELETE FROM media WHERE id IN (SELECT id FROM media WHERE appid = \(appid) LIMIT \(mediaBatch))")
            if total == mediaBatch { return limit }
            let statements: [(Int) -> SQL] = [
                { "DELETE FROM grants WHERE (appid, openid, kind) IN (SELECT appid, openid, kind FROM grants WHERE appid = \(appid) LIMIT \($0))" },
                { "DELETE FROM followers WHERE (appid, openid) IN (SELECT appid, openid FROM followers WHERE appid = \(appid) LIMIT \($0))" },
                { "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE appid = \(appid) LIMIT \($0))" },
            ]
            for statement in statements where total < limit {
                total += try await db.run(statement(limit - total))
            }
            if total < limit {
                try await db.run("DELETE FROM deleted_accounts WHERE appid = \(appid)")
            }
            return total
        }
    }

    public func openWindowCounts(now: Int64) async throws -> [String: Int] {
        try await forReading { db in
            var counts: [String: Int] = [:]
            for account in try await db.fetchAll("SELECT appid FROM accounts") {
                let appid = account.string("appid")
                counts[appid] = try await db.fetchOne(
                    "SELECT count(*) AS n FROM followers WHERE appid = \(appid) AND window_closes_at > \(now)")?.int("n") ?? 0
            }
            return counts
        }
    }
}

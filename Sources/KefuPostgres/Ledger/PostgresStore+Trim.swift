import KefuCore
import KefuStore

extension PostgresStore {
    public func trimClosedWindows(now: Int64, limit: Int) async throws -> Int {
        try await write { db in
            let grants = try await db.execute(
                """
                DELETE FROM grants WHERE (appid, openid, kind) IN (
                    SELECT appid, openid, kind FROM grants WHERE closes_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, [.int(now), .int(limit)])
            let windows = try await db.execute(
                """
                UPDATE followers SET window_closes_at = NULL WHERE (appid, openid) IN (
                    SELECT appid, openid FROM followers WHERE window_closes_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, [.int(now), .int(limit)])
            return grants + windows
        }
    }

    public func trimInteractionLog(before: Int64, limit: Int) async throws -> Int {
        try await write { db in
            try await db.execute(
                """
                DELETE FROM interactions WHERE id IN (
                    SELECT id FROM interactions WHERE received_at < $1 ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, [.int(before), .int(limit)])
        }
    }

    /// Finished deliveries created before `before`, found through the BRIN index on creation time
    /// (deliveries are created in time order).
    public func trimFinishedDeliveries(before: Int64, limit: Int) async throws -> Int {
        try await write { db in
            try await db.execute(
                """
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries WHERE created_at < $1 AND state IN ('sent', 'failed', 'skipped', 'cancelled')
                    LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, [.int(before), .int(limit)])
        }
    }

    /// One deleted account at a time, by the appid prefix of each table's key.
    public func purgeDeletedAccounts(limit: Int) async throws -> Int {
        try await write { db in
            guard let appid = try await db.query(
                "SELECT appid FROM deleted_accounts ORDER BY deleted_at LIMIT 1 FOR UPDATE SKIP LOCKED").first?.string("appid")
            else { return 0 }
            var total = 0
            let statements = [
                "DELETE FROM grants WHERE (appid, openid, kind) IN (SELECT appid, openid, kind FROM grants WHERE appid = $1 LIMIT $2)",
                "DELETE FROM followers WHERE (appid, openid) IN (SELECT appid, openid FROM followers WHERE appid = $1 LIMIT $2)",
                "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE appid = $1 LIMIT $2)",
            ]
            for statement in statements where total < limit {
                total += try await db.execute(statement, [.text(appid), .int(limit - total)])
            }
            if total < limit {
                try await db.execute("DELETE FROM deleted_accounts WHERE appid = $1", [.text(appid)])
            }
            return total
        }
    }

    public func openWindowCounts(now: Int64) async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for account in try await db.query("SELECT appid FROM accounts") {
                let appid = account.string("appid")
                counts[appid] = try await db.query(
                    "SELECT count(*) AS n FROM followers WHERE appid = $1 AND window_closes_at > $2",
                    [.text(appid), .int(now)]).first?.int("n") ?? 0
            }
            return counts
        }
    }
}

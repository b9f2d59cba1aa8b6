import KefuCore
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func trimClosedWindows(now: Int64, limit: Int) async throws -> Int {
        try await write { db in
            _ = try await db.query(
                "DELETE FROM grants WHERE (appid, openid, kind) IN (SELECT appid, openid, kind FROM grants WHERE closes_at <= ? LIMIT ?)",
                [.millis(now), .integer(limit)])
            let grants = try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
            _ = try await db.query(
                """
                UPDATE followers SET window_closes_at = NULL WHERE (appid, openid) IN (
                    SELECT appid, openid FROM followers WHERE window_closes_at <= ? LIMIT ?)
                """, [.millis(now), .integer(limit)])
            let windows = try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
            return grants + windows
        }
    }

    public func trimInteractionLog(before: Int64, limit: Int) async throws -> Int {
        try await write { db in
            _ = try await db.query(
                "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE received_at < ? ORDER BY received_at LIMIT ?)",
                [.millis(before), .integer(limit)])
            return try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
        }
    }

    public func trimFinishedDeliveries(before: Int64, limit: Int) async throws -> Int {
        try await write { db in
            _ = try await db.query(
                """
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries WHERE created_at < ? AND state IN ('sent', 'failed', 'skipped', 'cancelled')
                    ORDER BY created_at LIMIT ?)
                """, [.millis(before), .integer(limit)])
            return try await Self.changes(db)
        }
    }

    /// Purges one deleted account at a time, by its appid prefix of each table's key, so no
    /// statement scans a table; the account leaves `deleted_accounts` when nothing is left.
    public func purgeDeletedAccounts(limit: Int) async throws -> Int {
        try await write { db in
            guard let appid = try await db.query("SELECT appid FROM deleted_accounts ORDER BY deleted_at LIMIT 1", [])
                .first?.string("appid") else { return 0 }
            var total = 0
            let statements = [
                "DELETE FROM grants WHERE (appid, openid, kind) IN (SELECT appid, openid, kind FROM grants WHERE appid = ? LIMIT ?)",
                "DELETE FROM followers WHERE (appid, openid) IN (SELECT appid, openid FROM followers WHERE appid = ? LIMIT ?)",
                "DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE appid = ? LIMIT ?)",
            ]
            for statement in statements where total < limit {
                _ = try await db.query(statement, [.text(appid), .integer(limit - total)])
                total += try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
            }
            if total < limit {
                _ = try await db.query("DELETE FROM deleted_accounts WHERE appid = ?", [.text(appid)])
            }
            return total
        }
    }

    public func openWindowCounts(now: Int64) async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for account in try await db.query("SELECT appid FROM accounts", []) {
                let appid = account.string("appid")
                counts[appid] = try await db.query(
                    "SELECT count(*) AS n FROM followers WHERE appid = ? AND window_closes_at > ?",
                    [.text(appid), .millis(now)]).first?.int("n") ?? 0
            }
            return counts
        }
    }
}

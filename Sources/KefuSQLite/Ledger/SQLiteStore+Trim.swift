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

    public func purgeDeletedAccounts(limit: Int) async throws -> Int {
        try await write { db in
            var total = 0
            for table in ["grants", "followers", "interactions"] {
                let key = table == "interactions" ? "id" : "(appid, openid\(table == "grants" ? ", kind" : ""))"
                let columns = table == "interactions" ? "id" : "appid, openid\(table == "grants" ? ", kind" : "")"
                _ = try await db.query(
                    """
                    DELETE FROM \(table) WHERE \(key) IN (
                        SELECT \(columns) FROM \(table) WHERE appid NOT IN (SELECT appid FROM accounts) LIMIT ?)
                    """, [.integer(limit)])
                total += try await db.query("SELECT changes() AS n", []).first?.int("n") ?? 0
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

import KefuCore
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func accessToken(appid: String) async throws -> StoredAccessToken? {
        try await read { db in
            guard let row = try await db.query("SELECT token, expires_at FROM access_tokens WHERE appid = ? AND token IS NOT NULL",
                                               [.text(appid)]).first
            else { return nil }
            return StoredAccessToken(token: row.string("token"), expiresAt: row.int64("expires_at"))
        }
    }

    public func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        try await write { db in
            _ = try await db.query(
                """
                INSERT INTO access_tokens (appid, refresh_owner, refresh_until) VALUES (?1, ?2, ?3)
                ON CONFLICT (appid) DO UPDATE SET refresh_owner = ?2, refresh_until = ?3
                WHERE access_tokens.refresh_until IS NULL OR access_tokens.refresh_until < ?4
                """, [.text(appid), .text(owner), .millis(now + ttlMillis), .millis(now)])
            return try await Self.changes(db) == 1
        }
    }

    public func storeAccessToken(appid: String, token: StoredAccessToken) async throws {
        try await write { db in
            _ = try await db.query(
                """
                INSERT INTO access_tokens (appid, token, expires_at) VALUES (?1, ?2, ?3)
                ON CONFLICT (appid) DO UPDATE SET token = ?2, expires_at = ?3, refresh_owner = NULL, refresh_until = NULL
                """, [.text(appid), .text(token.token), .millis(token.expiresAt)])
        }
    }

    public func pauseAccount(appid: String, pause: AccountPause) async throws {
        try await write { db in
            _ = try await db.query(
                """
                INSERT INTO account_pauses (appid, until, reason) VALUES (?1, ?2, ?3)
                ON CONFLICT (appid) DO UPDATE SET until = max(until, ?2), reason = CASE WHEN ?2 >= until THEN ?3 ELSE reason END
                """, [.text(appid), .millis(pause.until), .text(pause.reason)])
        }
    }

    public func liftAccountPauses(reasonPrefix: String) async throws {
        try await write { db in
            _ = try await db.query("DELETE FROM account_pauses WHERE substr(reason, 1, ?1) = ?2",
                                   [.integer(reasonPrefix.count), .text(reasonPrefix)])
        }
    }

    public func releaseTokenRefresh(appid: String, owner: String) async throws {
        try await write { db in
            _ = try await db.query("UPDATE access_tokens SET refresh_owner = NULL, refresh_until = NULL WHERE appid = ? AND refresh_owner = ?",
                                   [.text(appid), .text(owner)])
        }
    }

    public func accountPause(appid: String, now: Int64) async throws -> AccountPause? {
        try await read { db in
            try await db.query("SELECT until, reason FROM account_pauses WHERE appid = ? AND until > ?",
                               [.text(appid), .millis(now)]).first.map {
                AccountPause(until: $0.int64("until"), reason: $0.string("reason"))
            }
        }
    }

    public func clearAccountPause(appid: String) async throws {
        try await write { db in
            _ = try await db.query("DELETE FROM account_pauses WHERE appid = ?", [.text(appid)])
            _ = try await db.query("DELETE FROM access_tokens WHERE appid = ?", [.text(appid)])
        }
    }
}

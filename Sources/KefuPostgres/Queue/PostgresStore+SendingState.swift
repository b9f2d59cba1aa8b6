import KefuCore
import KefuStore

extension PostgresStore {
    public func accessToken(appid: String) async throws -> StoredAccessToken? {
        try await read { db in
            guard let row = try await db.query("SELECT token, expires_at FROM access_tokens WHERE appid = $1 AND token IS NOT NULL",
                                               [.text(appid)]).first
            else { return nil }
            return StoredAccessToken(token: row.string("token"), expiresAt: row.int64("expires_at"))
        }
    }

    public func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO access_tokens (appid, refresh_owner, refresh_until) VALUES ($1, $2, $3)
                ON CONFLICT (appid) DO UPDATE SET refresh_owner = $2, refresh_until = $3
                WHERE access_tokens.refresh_until IS NULL OR access_tokens.refresh_until < $4
                """, [.text(appid), .text(owner), .int(now + ttlMillis), .int(now)]) == 1
        }
    }

    public func storeAccessToken(appid: String, token: StoredAccessToken) async throws {
        _ = try await write { db in
            try await db.execute(
                """
                INSERT INTO access_tokens (appid, token, expires_at) VALUES ($1, $2, $3)
                ON CONFLICT (appid) DO UPDATE SET token = $2, expires_at = $3, refresh_owner = NULL, refresh_until = NULL
                """, [.text(appid), .text(token.token), .int(token.expiresAt)])
        }
    }

    public func pauseAccount(appid: String, pause: AccountPause) async throws {
        _ = try await write { db in
            try await db.execute(
                """
                INSERT INTO account_pauses (appid, until, reason) VALUES ($1, $2, $3)
                ON CONFLICT (appid) DO UPDATE SET until = greatest(account_pauses.until, $2),
                    reason = CASE WHEN $2 >= account_pauses.until THEN $3 ELSE account_pauses.reason END
                """, [.text(appid), .int(pause.until), .text(pause.reason)])
        }
    }

    public func liftAccountPauses(reasonPrefix: String) async throws {
        try await write { db in
            try await db.execute("DELETE FROM account_pauses WHERE left(reason, $1) = $2",
                                 [.int(Int64(reasonPrefix.count)), .text(reasonPrefix)])
            try await db.notify(.deliveries)
        }
    }

    public func releaseTokenRefresh(appid: String, owner: String) async throws {
        try await write { db in
            try await db.execute("UPDATE access_tokens SET refresh_owner = NULL, refresh_until = NULL WHERE appid = $1 AND refresh_owner = $2",
                                 [.text(appid), .text(owner)])
        }
    }

    public func accountPause(appid: String, now: Int64) async throws -> AccountPause? {
        try await read { db in
            try await db.query("SELECT until, reason FROM account_pauses WHERE appid = $1 AND until > $2",
                               [.text(appid), .int(now)]).first.map {
                AccountPause(until: $0.int64("until"), reason: $0.string("reason"))
            }
        }
    }

    public func clearAccountPause(appid: String) async throws {
        try await write { db in
            try await db.execute("DELETE FROM account_pauses WHERE appid = $1", [.text(appid)])
            try await db.execute("DELETE FROM access_tokens WHERE appid = $1", [.text(appid)])
            try await db.notify(.deliveries)
        }
    }
}

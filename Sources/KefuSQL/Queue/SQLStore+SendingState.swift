import KefuCore
import KefuStore

/// Access tokens, their refresh locks, and account pauses: the sender's shared state.
extension SQLStore {
    public func accessToken(appid: String) async throws -> StoredAccessToken? {
        let secrets = secrets
        return try await forReading { db in
            try await db.fetchOne("SELECT token, expires_at FROM access_tokens WHERE appid = \(appid) AND token IS NOT NULL").map {
                StoredAccessToken(token: try secrets.open($0.string("token"), place: SecretColumns.place("access_tokens", "token", appid: appid)),
                                  expiresAt: $0.int64("expires_at"))
            }
        }
    }

    public func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        try await inTransaction { db in
            try await db.run(
                """
                INSERT INTO access_tokens (appid, refresh_owner, refresh_until) VALUES (\(appid), \(owner), \(now + ttlMillis))
                ON CONFLICT (appid) DO UPDATE SET refresh_owner = excluded.refresh_owner, refresh_until = excluded.refresh_until
                WHERE access_tokens.refresh_until IS NULL OR access_tokens.refresh_until < \(now)
                """) == 1
        }
    }

    public func storeAccessToken(appid: String, token: StoredAccessToken) async throws {
        let sealed = secrets.seal(token.token, place: SecretColumns.place("access_tokens", "token", appid: appid))
        _ = try await inTransaction { db in
            try await db.run(
                """
                INSERT INTO access_tokens (appid, token, expires_at) VALUES (\(appid), \(sealed), \(token.expiresAt))
                ON CONFLICT (appid) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at,
                    refresh_owner = NULL, refresh_until = NULL
                """)
        }
    }

    public func releaseTokenRefresh(appid: String, owner: String) async throws {
        _ = try await inTransaction { db in
            try await db.run(
                "UPDATE access_tokens SET refresh_owner = NULL, refresh_until = NULL WHERE appid = \(appid) AND refresh_owner = \(owner)")
        }
    }

    /// A longer pause wins; its reason goes with it.
    public func pauseAccount(appid: String, pause: AccountPause) async throws {
        _ = try await inTransaction { db in
            try await db.run(
                """
                INSERT INTO account_pauses (appid, until, reason) VALUES (\(appid), \(pause.until), \(pause.reason))
                ON CONFLICT (appid) DO UPDATE SET
                    until = CASE WHEN excluded.until >= account_pauses.until THEN excluded.until ELSE account_pauses.until END,
                    reason = CASE WHEN excluded.until >= account_pauses.until THEN excluded.reason ELSE account_pauses.reason END
                """)
        }
    }

    public func liftAccountPauses(reasonPrefix: String) async throws {
        try await inTransaction { db in
            // The length is the store's own `length` of the bound text: a bound integer is a
            // bigint on PostgreSQL, where `substr` takes an integer (SQLSTATE 42883), and
            // `length` counts characters as `substr` does, where Swift's count is graphemes.
            try await db.run("DELETE FROM account_pauses WHERE substr(reason, 1, length(\(reasonPrefix))) = \(reasonPrefix)")
            try await db.notify(.deliveries)
        }
    }

    public func accountPause(appid: String, now: Int64) async throws -> AccountPause? {
        try await forReading { db in
            try await db.fetchOne("SELECT until, reason FROM account_pauses WHERE appid = \(appid) AND until > \(now)").map {
                AccountPause(until: $0.int64("until"), reason: $0.string("reason"))
            }
        }
    }

    public func clearAccountPause(appid: String) async throws {
        try await inTransaction { db in
            try await db.run("DELETE FROM account_pauses WHERE appid = \(appid)")
            try await db.run("DELETE FROM access_tokens WHERE appid = \(appid)")
            try await db.notify(.deliveries)
        }
    }
}

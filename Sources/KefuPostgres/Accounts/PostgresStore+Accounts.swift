import KefuCore
import KefuStore

extension PostgresStore {
    public func createAccount(_ account: Account) async throws {
        try await write { db in
            let purging = try await db.query("SELECT 1 AS one FROM deleted_accounts WHERE appid = $1", [.text(account.appid)])
            guard purging.isEmpty else {
                throw KefuError(.conflict, "account \(account.appid) was deleted and its data is still being purged; try again shortly", field: "appid")
            }
            let inserted = try await db.execute(
                "INSERT INTO accounts (\(StoreRows.accountColumns)) VALUES \(pgPlaceholders(rows: 1, columns: 12)) ON CONFLICT (appid) DO NOTHING",
                Self.binds(account))
            guard inserted == 1 else { throw KefuError(.conflict, "account \(account.appid) already exists", field: "appid") }
        }
    }

    public func account(appid: String) async throws -> Account? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.accountColumns) FROM accounts WHERE appid = $1", [.text(appid)]).first.map(StoreRows.account)
        }
    }

    public func accounts() async throws -> [Account] {
        try await read { db in
            try await db.query("SELECT \(StoreRows.accountColumns) FROM accounts ORDER BY appid").map(StoreRows.account)
        }
    }

    public func updateAccount(_ account: Account) async throws {
        try await write { db in
            let updated = try await db.execute(
                """
                UPDATE accounts SET app_secret = $2, token = $3, encoding_aes_key = $4, previous_encoding_aes_key = $5,
                    original_id = $6, name = $7, send_rate = $8, daily_budget = $9, reserve = $10, created_at = $11, updated_at = $12
                WHERE appid = $1
                """, Self.binds(account))
            guard updated == 1 else { throw KefuError(.notFound, "no account \(account.appid)") }
        }
    }

    public func deleteAccount(appid: String) async throws -> Bool {
        try await write { db in
            guard try await db.execute("DELETE FROM accounts WHERE appid = $1", [.text(appid)]) == 1 else { return false }
            try await db.execute(
                """
                INSERT INTO deleted_accounts (appid, deleted_at) VALUES ($1, $2)
                ON CONFLICT (appid) DO UPDATE SET deleted_at = excluded.deleted_at
                """, [.text(appid), .int(SystemWallClock().nowMillis())])
            return true
        }
    }

    static func binds(_ account: Account) -> [PGValue] {
        [
            .text(account.appid), .text(account.appSecret), .text(account.token),
            .optional(account.encodingAESKey), .optional(account.previousEncodingAESKey),
            .optional(account.originalId), .optional(account.name),
            .int(account.sendRate), .int(account.dailyBudget), .int(account.reserve),
            .int(account.createdAt), .int(account.updatedAt),
        ]
    }
}

import KefuCore
import KefuStore
import SQLiteNIO

extension SQLiteStore {
    public func createAccount(_ account: Account) async throws {
        try await write { db in
            let existing = try await db.query("SELECT 1 FROM accounts WHERE appid = ?", [.text(account.appid)])
            guard existing.isEmpty else { throw KefuError(.conflict, "account \(account.appid) already exists", field: "appid") }
            let purging = try await db.query("SELECT 1 FROM deleted_accounts WHERE appid = ?", [.text(account.appid)])
            guard purging.isEmpty else {
                throw KefuError(.conflict, "account \(account.appid) was deleted and its data is still being purged; try again shortly", field: "appid")
            }
            _ = try await db.query(
                "INSERT INTO accounts (\(StoreRows.accountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Self.binds(account))
        }
    }

    public func account(appid: String) async throws -> Account? {
        try await read { db in
            try await db.query("SELECT \(StoreRows.accountColumns) FROM accounts WHERE appid = ?", [.text(appid)])
                .first.map(StoreRows.account)
        }
    }

    public func accounts() async throws -> [Account] {
        try await read { db in
            try await db.query("SELECT \(StoreRows.accountColumns) FROM accounts ORDER BY appid", []).map(StoreRows.account)
        }
    }

    public func updateAccount(_ account: Account) async throws {
        try await write { db in
            let existing = try await db.query("SELECT 1 FROM accounts WHERE appid = ?", [.text(account.appid)])
            guard !existing.isEmpty else { throw KefuError(.notFound, "no account \(account.appid)") }
            var binds = Array(Self.binds(account).dropFirst())
            binds.append(.text(account.appid))
            _ = try await db.query(
                """
                UPDATE accounts SET app_secret = ?, token = ?, encoding_aes_key = ?, previous_encoding_aes_key = ?,
                    original_id = ?, name = ?, send_rate = ?, daily_budget = ?, reserve = ?, created_at = ?, updated_at = ?
                WHERE appid = ?
                """, binds)
        }
    }

    public func deleteAccount(appid: String) async throws -> Bool {
        try await write { db in
            let existing = try await db.query("SELECT 1 FROM accounts WHERE appid = ?", [.text(appid)])
            guard !existing.isEmpty else { return false }
            _ = try await db.query("DELETE FROM accounts WHERE appid = ?", [.text(appid)])
            _ = try await db.query("INSERT OR REPLACE INTO deleted_accounts (appid, deleted_at) VALUES (?, ?)",
                                   [.text(appid), .millis(SystemWallClock().nowMillis())])
            return true
        }
    }

    static func binds(_ account: Account) -> [SQLiteData] {
        [
            .text(account.appid), .text(account.appSecret), .text(account.token),
            .optional(account.encodingAESKey), .optional(account.previousEncodingAESKey),
            .optional(account.originalId), .optional(account.name),
            .integer(account.sendRate), .integer(account.dailyBudget), .integer(account.reserve),
            .millis(account.createdAt), .millis(account.updatedAt),
        ]
    }
}

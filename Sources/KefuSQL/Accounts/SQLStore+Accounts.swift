import KefuCore
import KefuStore

extension SQLStore {
    public func createAccount(_ account: Account) async throws {
        let values = values(account)
        try await inTransaction { db in
            guard try await db.fetchOne("SELECT 1 AS one FROM deleted_accounts WHERE appid = \(account.appid)") == nil else {
                throw KefuError(.conflict, "account \(account.appid) was deleted and its data is still being purged; try again shortly", field: "appid")
            }
            let inserted = try await db.run(
                "INSERT INTO accounts (\(raw: StoreRows.accountColumns)) VALUES \(rows: [values]) ON CONFLICT (appid) DO NOTHING")
            guard inserted == 1 else { throw KefuError(.conflict, "account \(account.appid) already exists", field: "appid") }
        }
    }

    public func account(appid: String) async throws -> Account? {
        let secrets = secrets
        return try await forReading { db in
            try await db.fetchOne("SELECT \(raw: StoreRows.accountColumns) FROM accounts WHERE appid = \(appid)")
                .map { try StoreRows.account($0, secrets: secrets) }
        }
    }

    public func accounts() async throws -> [Account] {
        let secrets = secrets
        return try await forReading { db in
            try await db.fetchAll("SELECT \(raw: StoreRows.accountColumns) FROM accounts ORDER BY appid")
                .map { try StoreRows.account($0, secrets: secrets) }
        }
    }

    public func updateAccount(_ account: Account) async throws {
        let sealed = sealed(account)
        try await inTransaction { db in
            let updated = try await db.run(
                """
                UPDATE accounts SET app_secret = \(sealed.appSecret), token = \(sealed.token),
                    encoding_aes_key = \(sealed.encodingAESKey), previous_encoding_aes_key = \(sealed.previousEncodingAESKey),
                    original_id = \(account.originalId), name = \(account.name), send_rate = \(account.sendRate),
                    daily_budget = \(account.dailyBudget), reserve = \(account.reserve),
                    created_at = \(account.createdAt), updated_at = \(account.updatedAt)
                WHERE appid = \(account.appid)
                """)
            guard updated == 1 else { throw KefuError(.notFound, "no account \(account.appid)") }
        }
    }

    public func deleteAccount(appid: String) async throws -> Bool {
        try await inTransaction { db in
            guard try await db.run("DELETE FROM accounts WHERE appid = \(appid)") == 1 else { return false }
            // The trimmer purges the account's rows from here (`purgeDeletedAccounts`).
            try await db.run(
                """
                INSERT INTO deleted_accounts (appid, deleted_at) VALUES (\(appid), \(SystemWallClock().nowMillis()))
                ON CONFLICT (appid) DO UPDATE SET deleted_at = excluded.deleted_at
                """)
            return true
        }
    }

    /// The account with its secrets sealed, as stored.
    func sealed(_ account: Account) -> Account {
        var sealed = account
        func place(_ column: String) -> String { SecretColumns.place("accounts", column, appid: account.appid) }
        sealed.appSecret = secrets.seal(account.appSecret, place: place("app_secret"))
        sealed.token = secrets.seal(account.token, place: place("token"))
        sealed.encodingAESKey = secrets.sealIfPresent(account.encodingAESKey, place: place("encoding_aes_key"))
        sealed.previousEncodingAESKey = secrets.sealIfPresent(account.previousEncodingAESKey, place: place("previous_encoding_aes_key"))
        return sealed
    }

    /// In the order of `StoreRows.accountColumns`, the secrets sealed.
    func values(_ plain: Account) -> [SQLValue] {
        let account = sealed(plain)
        return [
            .text(account.appid), .text(account.appSecret), .text(account.token),
            .optional(account.encodingAESKey), .optional(account.previousEncodingAESKey),
            .optional(account.originalId), .optional(account.name),
            .int(account.sendRate), .int(account.dailyBudget), .int(account.reserve),
            .int(account.createdAt), .int(account.updatedAt),
        ]
    }
}

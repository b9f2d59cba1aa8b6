import KefuCore
import KefuStore

/// Named API tokens, the same SQL on both backends. `accounts` is the scope's appids joined by
/// commas (appids hold none); NULL for every account.
extension SQLStore {
    static var apiTokenColumns: String { "id, name, role, accounts, secret_hash, created_at, expires_at, revoked_at" }

    public func createApiToken(_ token: ApiToken) async throws {
        let inserted = try await inOneStatement { db in
            try await db.run(
                """
                INSERT INTO api_tokens (\(raw: Self.apiTokenColumns))
                VALUES (\(token.id), \(token.name), \(token.role.rawValue), \(token.accounts?.joined(separator: ",")), \(token.secretHash),
                        \(token.createdAt), \(token.expiresAt), \(token.revokedAt))
                ON CONFLICT DO NOTHING
                """)
        }
        guard inserted == 1 else { throw KefuError(.conflict, "a token named \"\(token.name)\" exists already", field: "name") }
    }

    public func apiToken(secretHash: String) async throws -> ApiToken? {
        try await forReading { db in
            try await db.fetchOne("SELECT \(raw: Self.apiTokenColumns) FROM api_tokens WHERE secret_hash = \(secretHash)").map(Self.apiToken)
        }
    }

    public func apiToken(id: String) async throws -> ApiToken? {
        try await forReading { db in
            try await db.fetchOne("SELECT \(raw: Self.apiTokenColumns) FROM api_tokens WHERE id = \(id)").map(Self.apiToken)
        }
    }

    public func apiTokens() async throws -> [ApiToken] {
        try await forReading { db in
            try await db.fetchAll("SELECT \(raw: Self.apiTokenColumns) FROM api_tokens ORDER BY created_at DESC, id").map(Self.apiToken)
        }
    }

    public func revokeApiToken(id: String, now: Int64) async throws -> Bool {
        try await inOneStatement { db in
            try await db.run("UPDATE api_tokens SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL") == 1
        }
    }

    static func apiToken(_ row: some StoreRow) -> ApiToken {
        ApiToken(id: row.string("id"), name: row.string("name"), role: AccessRole(rawValue: row.string("role")) ?? .viewer,
                 accounts: row.optionalString("accounts").map { $0.split(separator: ",").map(String.init) },
                 secretHash: row.string("secret_hash"), createdAt: row.int64("created_at"),
                 expiresAt: row.optionalInt64("expires_at"), revokedAt: row.optionalInt64("revoked_at"))
    }
}

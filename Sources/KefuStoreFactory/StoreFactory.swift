import KefuCore
import KefuPostgres
import KefuSQLite
import KefuStore
import Logging

/// Opens the store a `--database` URL names.
public enum StoreFactory {
    /// `acquireTimeout`: how long a PostgreSQL operation waits for a connection before failing
    /// (3 s, so callbacks answer 503 within WeChat's 5 s while the database is away).
    /// `secrets`: the master keys the secrets at rest are sealed and opened with.
    public static func open(_ url: String, secrets: SecretKeyring, logger: Logger,
                            acquireTimeout: Duration = .seconds(3)) async throws -> any KefuStore {
        if url.hasPrefix("sqlite:") {
            guard let path = sqlitePath(url) else { throw KefuError(.badConfiguration, "--database: sqlite: needs a file path, e.g. sqlite:kefu.db") }
            return try await SQLiteStore.open(path: path, secrets: secrets, logger: logger)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresStore.open(url: url, secrets: secrets, logger: logger, acquireTimeout: acquireTimeout)
        }
        throw KefuError(.badConfiguration, "--database: expected sqlite:PATH or postgres://user:pass@host:port/db")
    }

    /// The SQLite file a `sqlite:` URL names; nil for PostgreSQL (or a URL that is neither).
    public static func sqlitePath(_ url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        return path.isEmpty ? nil : path
    }
}

import KefuCore
import KefuPostgres
import KefuSQLite
import KefuStore
import Logging

/// Opens the store a `--database` URL names.
public enum StoreFactory {
    /// `acquireTimeout`: how long a PostgreSQL operation waits for a connection before failing
    /// (3 s, so callbacks answer 503 within WeChat's 5 s while the database is away).
    public static func open(_ url: String, logger: Logger, acquireTimeout: Duration = .seconds(3)) async throws -> any KefuStore {
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw KefuError(.badConfiguration, "--database: sqlite: needs a file path, e.g. sqlite:kefu.db") }
            return try await SQLiteStore.open(path: path, logger: logger)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresStore.open(url: url, logger: logger, acquireTimeout: acquireTimeout)
        }
        throw KefuError(.badConfiguration, "--database: expected sqlite:PATH or postgres://user:pass@host:port/db")
    }
}

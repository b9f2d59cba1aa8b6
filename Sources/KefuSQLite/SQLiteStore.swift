import KefuCore
import KefuSQL
import KefuStore
import Logging
import SQLiteNIO

/// The embedded store: one SQLite file in WAL mode, shared by every kefu process on the machine.
///
/// Each process opens two connections: a writer (transactions serialised in-process by a FIFO
/// gate, across processes by SQLite's `BEGIN IMMEDIATE` and the busy timeout) and a reader, so
/// reads never wait behind a commit.
public final class SQLiteStore: KefuStore {
    let writer: SQLiteConnection
    let reader: SQLiteConnection
    let gate = SerialGate()
    let logger: Logger
    public let path: String
    public let secrets: SecretKeyring
    /// Opened by `close()`, which ends `run()`.
    let closed = Latch()

    /// How long a statement waits for another process's write lock before failing.
    public static let busyTimeoutMillis = 10_000

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection, secrets: SecretKeyring, logger: Logger) {
        self.path = path
        self.secrets = secrets
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    public static func open(path: String, secrets: SecretKeyring, logger: Logger) async throws -> SQLiteStore {
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for connection in [writer, reader] {
                _ = try await connection.query("PRAGMA busy_timeout = \(busyTimeoutMillis)", [])
            }
            _ = try await writer.query("PRAGMA journal_mode = WAL", [])
            // FULL: a commit is on disk before the callback is acknowledged.
            _ = try await writer.query("PRAGMA synchronous = FULL", [])
            // Deleted and replaced cells are zeroed where their page is written anyway (no extra
            // I/O): a secret's plain value or a purged follower's row does not linger in the file.
            _ = try await writer.query("PRAGMA secure_delete = FAST", [])
            return SQLiteStore(path: path, writer: writer, reader: reader, secrets: secrets, logger: logger)
        } catch {
            throw KefuError(.unavailable, "cannot open the SQLite database at \(path)", underlying: error)
        }
    }

    public func migrate() async throws {
        try await write { db in
            _ = try await db.query("CREATE TABLE IF NOT EXISTS kefu_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", [])
            let rows = try await db.query("SELECT coalesce(max(version), 0) AS version FROM kefu_migrations", [])
            let current = rows.first?.column("version")?.integer ?? 0
            for (index, statements) in SQLiteSchema.migrations.enumerated() where index + 1 > current {
                for statement in statements { _ = try await db.query(statement, []) }
                _ = try await db.query(
                    "INSERT INTO kefu_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(index + 1), .integer(Int(SystemWallClock().nowMillis()))])
                self.logger.info("applied migration", metadata: ["kefu.migration": "\(index + 1)"])
            }
        }
        let report = try await prepareSecrets()
        if report.resealed > 0 {
            logger.notice("sealed the plain secrets at rest under the master key",
                          metadata: ["kefu.secrets.sealed": "\(report.resealed)", "kefu.master.key": "\(secrets.current.id)"])
        }
    }

    /// The old values' cells were zeroed as they were replaced (`secure_delete`); the WAL still
    /// holds the pages as they were: checkpoint and truncate it.
    public func scrubFreedSpace() async throws {
        _ = try await write(transaction: false) { db in try await db.query("PRAGMA wal_checkpoint(TRUNCATE)", []) }
    }

    /// One machine, one clock: the processes sharing the file share this machine's clock.
    public func storeTimeMillis() async throws -> Int64 { SystemWallClock().nowMillis() }

    public func ping() async throws {
        _ = try await read { db in try await db.query("SELECT 1", []) }
    }

    /// Nothing runs in the background (two connections, no pool): waits for `close()` or
    /// cancellation.
    public func run() async throws {
        await closed.wait()
    }

    public func close() async throws {
        closed.open()
        try await writer.close()
        try await reader.close()
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the writer connection. With
    /// `transaction: false` the body must be a single statement, which is a transaction of its own.
    func write<T: Sendable>(transaction: Bool = true, _ body: (SQLiteConnection) async throws -> T) async throws -> T {
        do {
            return try await gate.withGate {
                guard transaction else { return try await body(writer) }
                _ = try await writer.query("BEGIN IMMEDIATE", [])
                do {
                    let result = try await body(writer)
                    _ = try await writer.query("COMMIT", [])
                    return result
                } catch {
                    _ = try? await writer.query("ROLLBACK", [])
                    throw error
                }
            }
        } catch let error as KefuError {
            throw error
        } catch {
            throw KefuError(.unavailable, "the store could not complete a write", underlying: error)
        }
    }

    func read<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        do {
            return try await body(reader)
        } catch let error as KefuError {
            throw error
        } catch {
            throw KefuError(.unavailable, "the store could not complete a read", underlying: error)
        }
    }
}

extension SQLiteData {
    static func optional(_ text: String?) -> SQLiteData { text.map { .text($0) } ?? .null }
    static func optional(_ value: Int?) -> SQLiteData { value.map { .integer($0) } ?? .null }
    static func millis(_ value: Int64) -> SQLiteData { .integer(Int(value)) }
}

extension SQLiteRow: StoreRow {
    public func optionalInt64(_ name: String) -> Int64? {
        guard let data = column(name), data != .null else { return nil }
        return data.integer.map(Int64.init)
    }
    public func optionalString(_ name: String) -> String? {
        guard let data = column(name), data != .null else { return nil }
        return data.string
    }
    public func optionalBytes(_ name: String) -> [UInt8]? {
        guard let data = column(name), case .blob(let buffer) = data else { return nil }
        return Array(buffer.readableBytesView)
    }
}

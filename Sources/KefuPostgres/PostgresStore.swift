import Foundation
import KefuCore
import KefuSQL
import KefuStore
import Logging
import PostgresNIO
import Synchronization

/// The shared store: one PostgreSQL database used by every kefu process on every host.
///
/// Each process holds one pooled `PostgresClient` and one listening connection that turns
/// `NOTIFY kefu_work` into wake-ups for the workers; both run in `run()`, which the composition
/// root runs as the first service of its group (stopped last), and one-off commands and tests
/// beside their work (`withRunningStore`).
/// Transactions run at READ COMMITTED; contention is settled by row locks (`FOR UPDATE`,
/// `SKIP LOCKED`) and, for the few things that must be serial cluster-wide (migrations, trigger
/// evaluation), by advisory locks. A transaction that loses a deadlock or a serialization check
/// is retried whole.
public final class PostgresStore: KefuStore {
    let client: PostgresClient
    let logger: Logger
    let signals: WorkSignals
    /// How long an operation waits for a pooled connection before failing (database unreachable):
    /// callbacks must answer 5xx well within WeChat's 5 s so WeChat retries.
    let acquireTimeout: Duration
    /// How long one store operation may take before its connection is closed and its caller
    /// failed (see `withConnection`). Claims, recordings and snapshot chunks take milliseconds to
    /// a few seconds; schema migrations and `ANALYZE` ask for `longOperationTimeout`.
    static let operationTimeout: Duration = .seconds(20)
    static let longOperationTimeout: Duration = .seconds(3_600)
    let listenerConfiguration: PostgresConnection.Configuration
    /// `close()` asks `run()` to stop, and waits (bounded) for it to have stopped.
    let stopRequested = Latch()
    let runEnded = Latch()
    let runStarted = Atomic<Bool>(false)
    /// Open once the pool runs: operations wait for it, so that none leases a connection first.
    let poolRunning = Latch()
    /// Why the last connection attempt failed (the listener's), for errors that would otherwise
    /// only say that no connection came: "database … does not exist", "password authentication
    /// failed", "connection refused".
    let connectionHealth: ConnectionHealth
    public let secrets: SecretKeyring

    public static let notifyChannel = "kefu_work"

    private init(client: PostgresClient, listenerConfiguration: PostgresConnection.Configuration, acquireTimeout: Duration,
                 secrets: SecretKeyring, logger: Logger) {
        self.client = client
        self.secrets = secrets
        self.listenerConfiguration = listenerConfiguration
        self.connectionHealth = ConnectionHealth()
        self.signals = WorkSignals()
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// How every kefu session tells PostgreSQL to give up on a client that went silent — a host
    /// cut off by the network, whose packets vanish, never closes its connection. Without these a
    /// worker cut off in the middle of a claim kept the account's send bucket row-locked until
    /// the server's TCP keepalive noticed (two hours by default), and no other worker could send
    /// for that account: the partition test (`NetworkPartitionTests`) found it. kefu's
    /// transactions take milliseconds between statements, so one idle in a transaction for 10 s
    /// is a dead client; its locks are released when the server ends it. The keepalives and the
    /// TCP user timeout end a silent connection within about 25 s even outside a transaction.
    static let sessionSettings: [(String, String)] = [
        ("idle_in_transaction_session_timeout", "10s"),
        ("tcp_keepalives_idle", "10"), ("tcp_keepalives_interval", "5"), ("tcp_keepalives_count", "3"),
        ("tcp_user_timeout", "25000"),
    ]

    /// Opens a store for a `postgres://user:password@host:port/database` URL. Connections are made
    /// lazily, once `run()` runs: opening succeeds while the database is down, and operations fail
    /// (`.unavailable`) until it is back.
    public static func open(url: String, secrets: SecretKeyring, logger: Logger, acquireTimeout: Duration = .seconds(3)) throws -> PostgresStore {
        let settings = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: settings.clientTLS)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = Duration.seconds(2)
        configuration.options.additionalStartupParameters = sessionSettings
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let connection = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: try settings.connectionTLS())
        return PostgresStore(client: client, listenerConfiguration: connection, acquireTimeout: acquireTimeout, secrets: secrets, logger: logger)
    }

    /// The connection pool and the notification listener, until cancelled or `close()`.
    public func run() async throws {
        guard !runStarted.exchange(true, ordering: .relaxed) else { return }
        defer { runEnded.open() }
        let (client, configuration, signals, health, logger) = (client, listenerConfiguration, signals, connectionHealth, logger)
        let stopRequested = stopRequested, poolRunning = poolRunning
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                poolRunning.open()
                await client.run()
            }
            group.addTask { await Self.listen(configuration, signals: signals, health: health, logger: logger) }
            group.addTask { await stopRequested.wait() }
            // Whichever ends first (a stop asked for, or cancellation) stops the others.
            await group.next()
            group.cancelAll()
        }
    }

    public func migrate() async throws {
        try await write(timeout: Self.longOperationTimeout) { db in
            // One process migrates at a time, cluster-wide; the others wait, then find nothing to do.
            try await db.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            try await db.execute("CREATE TABLE IF NOT EXISTS kefu_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let current = try await db.query("SELECT coalesce(max(version), 0) AS version FROM kefu_migrations").first?.int64("version") ?? 0
            for (index, statements) in PostgresSchema.migrations.enumerated() where index + 1 > current {
                for statement in statements { try await db.execute(statement) }
                try await db.execute("INSERT INTO kefu_migrations (version, applied_at) VALUES ($1, $2)",
                                     [.int(Int64(index + 1)), .int(SystemWallClock().nowMillis())])
                self.logger.info("applied migration", metadata: ["kefu.migration": "\(index + 1)"])
            }
        }
        let report = try await prepareSecrets()
        if report.resealed > 0 {
            logger.notice("sealed the plain secrets at rest under the master key",
                          metadata: ["kefu.secrets.sealed": "\(report.resealed)", "kefu.master.key": "\(secrets.current.id)"])
        }
    }

    /// Rewrites the two small tables that held plain secrets, so that no dead row version keeps
    /// an old value in the table files (the WAL and backups made before keep theirs: README).
    public func scrubFreedSpace() async throws {
        for table in ["accounts", "access_tokens"] {
            _ = try await write(transaction: false, timeout: Self.longOperationTimeout) { db in try await db.execute("VACUUM FULL \(table)") }
        }
    }

    /// The database's clock, which every host shares (`StoreClock`).
    public func storeTimeMillis() async throws -> Int64 {
        try await read { db in
            try await db.query("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now").first?.int64("now") ?? 0
        }
    }

    public func ping() async throws {
        _ = try await read { db in try await db.query("SELECT 1 AS one") }
    }

    /// Stops `run()` and waits for it, at most 5 s: a listening connection the server dropped
    /// without a word must not hold up exit.
    public func close() async throws {
        stopRequested.open()
        guard runStarted.load(ordering: .relaxed) else { return }
        let runEnded = runEnded
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await runEnded.wait() }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
    }

    public var wakesAcrossProcesses: Bool { true }

    public func waitForWork(_ topic: WorkTopic, timeout: Duration) async {
        await signals.wait(topic, timeout: timeout)
    }

    // MARK: Transactions

    /// Runs `body` in one transaction; retried whole when PostgreSQL reports a deadlock or a
    /// serialization failure (nothing of it was committed). With `transaction: false` the body
    /// must be a single statement, which is a transaction of its own, and saves two round trips.
    func write<T: Sendable>(transaction: Bool = true, timeout: Duration = operationTimeout,
                            _ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection(timeout: timeout) { connection in
                    let db = PGSession(connection: connection, logger: self.logger)
                    guard transaction else { return try await body(db) }
                    try await db.execute("BEGIN")
                    do {
                        let result = try await body(db)
                        try await db.execute("COMMIT")
                        return result
                    } catch {
                        _ = try? await db.execute("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < 8 {
                attempt += 1
                logger.debug("retrying a transaction", metadata: ["kefu.attempt": "\(attempt)", "error": "\(error.serverInfo?[.sqlState] ?? "")"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            } catch let error as KefuError {
                throw error
            } catch {
                throw KefuError(.unavailable, "the store could not complete a write", underlying: PostgresErrorSummary(error))
            }
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        do {
            return try await withConnection(timeout: Self.operationTimeout) { connection in
                try await body(PGSession(connection: connection, logger: self.logger))
            }
        } catch let error as KefuError {
            throw error
        } catch {
            throw KefuError(.unavailable, "the store could not complete a read", underlying: PostgresErrorSummary(error))
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        // serialization_failure, deadlock_detected
        return state == "40001" || state == "40P01"
    }

    /// Leases a pooled connection and runs `body` on it, under the two deadlines of
    /// `OperationDeadline`: no connection within `acquireTimeout` (the pool would otherwise keep
    /// retrying an unreachable server for a minute) fails the caller, saying why the last
    /// connection attempt failed; an operation still running after `timeout` (a connection that
    /// died without the socket noticing) has its connection closed and its caller failed.
    private func withConnection<T: Sendable>(timeout operationTimeout: Duration,
                                             _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let acquireTimeout = acquireTimeout, health = connectionHealth, client = client
        let deadline = OperationDeadline(acquireTimeout: acquireTimeout, operationTimeout: operationTimeout)
        return try await deadline.run(
            noResource: {
                let cause = health.lastError.withLock { $0 }.map { ": \($0)" } ?? ""
                return KefuError(.unavailable, "the database did not accept a connection within \(acquireTimeout)\(cause)")
            },
            timedOut: { KefuError(.unavailable, "the database did not answer within \(operationTimeout)") },
            abort: closeNow,
            operation: { [poolRunning] lease in
                await poolRunning.wait()
                return try await client.withConnection { connection in
                    guard lease.started(connection) else { throw CancellationError() }
                    defer { lease.finished() }
                    return try await body(connection)
                }
            })
    }

    /// Keeps one connection listening on `kefu_work`, reconnecting after failures; after each
    /// (re)connection every topic is signalled, since notifications may have been missed.
    private static func listen(_ configuration: PostgresConnection.Configuration, signals: WorkSignals, health: ConnectionHealth,
                               logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                health.lastError.withLock { $0 = nil }
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: notifyChannel) { notifications in
                            failures = 0
                            signals.signalAll()
                            for try await notification in notifications {
                                if let topic = WorkTopic(rawValue: notification.payload) { signals.signal(topic) }
                            }
                        }
                    } onCancel: {
                        connection.close()
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                health.lastError.withLock { $0 = PostgresErrorSummary(error).description }
                failures += 1
                if failures == 1 { logger.warning("notification listener lost the database; reconnecting", metadata: ["error": "\(PostgresErrorSummary(error))"]) }
            }
            try? await Task.sleep(for: .milliseconds(min(200 * failures, 2_000)))
        }
    }
}

/// Closes the channel at once, failing whatever is in flight on it (the synchronous overload).
private func closeNow(_ connection: PostgresConnection) { _ = connection.close() as EventLoopFuture<Void> }

final class ConnectionHealth: Sendable {
    let lastError = Mutex<String?>(nil)
}

/// A PSQLError prints its query and binds; logs and API answers get the server's message only.
struct PostgresErrorSummary: Error, CustomStringConvertible {
    let description: String
    init(_ error: any Error) {
        if let error = error as? PSQLError {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            if let message = error.serverInfo?[.message] {
                description = "\(message)\(state)"
            } else if let underlying = error.underlying {
                // A failure below the protocol: connection refused, host not found, TLS.
                description = "\(error.code): \(underlying)"
            } else {
                description = "\(error.code)"
            }
        } else {
            description = "\(error)"
        }
    }
}

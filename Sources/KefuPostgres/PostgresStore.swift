import Foundation
import KefuCore
import KefuStore
import Logging
import PostgresNIO
import Synchronization

/// The shared store: one PostgreSQL database used by every kefu process on every host.
///
/// Each process holds one pooled `PostgresClient` (its `run()` loop lives as long as the store)
/// and one listening connection that turns `NOTIFY kefu_work` into wake-ups for the workers.
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
    let operationTimeout: Duration = .seconds(60)
    private let background: Task<Void, Never>
    /// Why the last connection attempt failed (the listener's), for errors that would otherwise
    /// only say that no connection came: "database … does not exist", "password authentication
    /// failed", "connection refused".
    let connectionHealth: ConnectionHealth

    public static let notifyChannel = "kefu_work"

    private init(client: PostgresClient, signals: WorkSignals, background: Task<Void, Never>, acquireTimeout: Duration,
                 connectionHealth: ConnectionHealth, logger: Logger) {
        self.client = client
        self.connectionHealth = connectionHealth
        self.signals = signals
        self.background = background
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// Opens a store for a `postgres://user:password@host:port/database` URL. Connections are made
    /// lazily: opening succeeds while the database is down, and operations fail (`.unavailable`)
    /// until it is back.
    public static func open(url: String, logger: Logger, acquireTimeout: Duration = .seconds(3)) throws -> PostgresStore {
        let settings = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: settings.clientTLS)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = Duration.seconds(2)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let connection = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: try settings.connectionTLS())
        let signals = WorkSignals()
        let health = ConnectionHealth()
        // Started immediately, so the client is running before the first query leases a connection.
        let background = Task.immediate {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await Self.listen(connection, signals: signals, health: health, logger: logger) }
                await client.run()
                group.cancelAll()
            }
        }
        return PostgresStore(client: client, signals: signals, background: background, acquireTimeout: acquireTimeout,
                             connectionHealth: health, logger: logger)
    }

    public func migrate() async throws {
        try await write { db in
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
    }

    public func ping() async throws {
        _ = try await read { db in try await db.query("SELECT 1 AS one") }
    }

    public func close() async throws {
        background.cancel()
        // Bounded: a listening connection the server dropped without a word must not hold up exit.
        let background = background
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await background.value }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
    }

    public var wakesAcrossProcesses: Bool { true }
    /// Callback batches commit concurrently: each holds its own connection and row locks.
    public var concurrentWrites: Int { 4 }

    public func waitForWork(_ topic: WorkTopic, timeout: Duration) async {
        await signals.wait(topic, timeout: timeout)
    }

    // MARK: Transactions

    /// Runs `body` in one transaction; retried whole when PostgreSQL reports a deadlock or a
    /// serialization failure (nothing of it was committed). With `transaction: false` the body
    /// must be a single statement, which is a transaction of its own, and saves two round trips.
    func write<T: Sendable>(transaction: Bool = true, _ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection { connection in
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
            return try await withConnection { connection in
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

    /// Leases a pooled connection, or fails after `acquireTimeout` when none can be had (the
    /// pool would otherwise keep retrying an unreachable server for a minute). An operation still
    /// running after `operationTimeout` (a connection that died without the socket noticing) has
    /// its connection closed, which fails it, so no caller waits forever.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = LeaseState()
        let acquireTimeout = acquireTimeout, operationTimeout = operationTimeout, health = connectionHealth
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    lease.connection.withLock { $0 = connection }
                    defer { lease.finished.store(true, ordering: .sequentiallyConsistent) }
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: acquireTimeout)
                guard let connection = lease.connection.withLock({ $0 }) else {
                    let cause = health.lastError.withLock { $0 }.map { ": \($0)" } ?? ""
                    throw KefuError(.unavailable, "the database did not accept a connection within \(acquireTimeout)\(cause)")
                }
                try await Task.sleep(for: operationTimeout - acquireTimeout)
                if !lease.finished.load(ordering: .sequentiallyConsistent) { closeNow(connection) }
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw KefuError(.unavailable, "the store operation ended without a result")
        }
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

private final class LeaseState: Sendable {
    let connection = Mutex<PostgresConnection?>(nil)
    let finished = Atomic<Bool>(false)
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

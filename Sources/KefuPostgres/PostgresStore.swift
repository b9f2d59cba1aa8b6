import Foundation
import KefuCore
import KefuSQL
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
    /// How long one store operation may take before its connection is closed and its caller
    /// failed (see `withConnection`). Claims, recordings and snapshot chunks take milliseconds to
    /// a few seconds; schema migrations and `ANALYZE` ask for `longOperationTimeout`.
    static let operationTimeout: Duration = .seconds(20)
    static let longOperationTimeout: Duration = .seconds(3_600)
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
    }

    public func ping() async throws {
        _ = try await read { db in try await db.query("SELECT 1 AS one") }
    }

    public func close() async throws {
        background.cancel()
        // Bounded: a listening connection the server dropped without a word must not hold up
        // exit. (Not a task group: a group waits for all its children when it ends, and waiting
        // for a task's value cannot be cancelled — the timeout would bound nothing.)
        let background = background
        let (ended, ending) = AsyncStream<Void>.makeStream()
        Task { await background.value; ending.finish() }
        let timeout = Task { try? await Task.sleep(for: .seconds(5)); ending.finish() }
        for await _ in ended {}
        timeout.cancel()
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

    /// Leases a pooled connection, or fails after `acquireTimeout` when none can be had (the
    /// pool would otherwise keep retrying an unreachable server for a minute). An operation still
    /// running after `operationTimeout` (a connection that died without the socket noticing) has
    /// its connection closed and its caller failed, so no caller waits forever.
    ///
    /// The caller waits on a continuation, not on a task group: a group waits for all its
    /// children when it ends, so a lease or a query that never comes back would hold the caller
    /// however the timers fire. After PostgreSQL restarted mid-broadcast, workers' operations (a
    /// claim among them) waited for good on queries their connections never answered — closing
    /// the connection did not fail them — and the broadcast stalled. A lease that arrives after the
    /// caller gave up does not run `body`: the caller may already be retrying it. (The operation
    /// is not cancelled with its caller; the timers bound it.)
    private func withConnection<T: Sendable>(timeout operationTimeout: Duration,
                                             _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = LeaseState()
        let acquireTimeout = acquireTimeout, health = connectionHealth, client = client
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = OnceResumer(continuation)
            let work = Task {
                // The timer goes as soon as the operation ends, rather than sleeping out its span.
                defer { lease.end() }
                do {
                    let value = try await client.withConnection { connection in
                        guard lease.start(connection) else { throw CancellationError() }
                        defer { lease.finish() }
                        return try await body(connection)
                    }
                    outcome.resume(with: .success(value))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            lease.attach(timer: Task {
                do { try await Task.sleep(for: acquireTimeout) } catch { return }
                let connection: PostgresConnection
                switch lease.atAcquireTimeout() {
                case .running(let leased): connection = leased
                case .finished: return
                case .gaveUp:
                    // The caller hears why first; the cancelled lease's own error comes second and is dropped.
                    let cause = health.lastError.withLock { $0 }.map { ": \($0)" } ?? ""
                    outcome.resume(with: .failure(KefuError(.unavailable, "the database did not accept a connection within \(acquireTimeout)\(cause)")))
                    work.cancel()
                    return
                }
                do { try await Task.sleep(for: operationTimeout - acquireTimeout) } catch { return }
                guard lease.isRunning else { return }
                closeNow(connection)
                // Closing fails the operation — unless its query was lost with a connection the
                // server had already dropped (seen after a restart). The caller goes on.
                outcome.resume(with: .failure(KefuError(.unavailable, "the database did not answer within \(operationTimeout)")))
            })
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

/// A lease in `withConnection`: waiting for a connection, running on one, finished (the
/// connection back in the pool: never to be closed from here), or given up by the caller.
private final class LeaseState: Sendable {
    private enum Phase { case waiting, running(PostgresConnection), finished, abandoned }
    private let phase = Mutex(Phase.waiting)
    private let timer = Mutex<(task: Task<Void, Never>?, ended: Bool)>((nil, false))

    /// The operation's timer, cancelled at once if the operation has already ended.
    func attach(timer task: Task<Void, Never>) {
        if timer.withLock({ state in state.task = task; return state.ended }) { task.cancel() }
    }

    /// The operation ended (whatever its outcome): its timer is no longer needed.
    func end() {
        timer.withLock { state in state.ended = true; return state.task }?.cancel()
    }

    /// The lease came: true if the caller still waits for it.
    func start(_ connection: PostgresConnection) -> Bool {
        phase.withLock { phase in
            guard case .waiting = phase else { return false }
            phase = .running(connection)
            return true
        }
    }

    /// The body is done with the connection.
    func finish() {
        phase.withLock { $0 = .finished }
    }

    var isRunning: Bool {
        phase.withLock { phase in
            if case .running = phase { return true }
            return false
        }
    }

    /// At the acquire timeout: the connection the operation runs on; or none, the operation
    /// already finished; or the caller gives up (no connection came).
    enum AtAcquireTimeout { case running(PostgresConnection), finished, gaveUp }
    func atAcquireTimeout() -> AtAcquireTimeout {
        phase.withLock { phase in
            switch phase {
            case .running(let connection): return .running(connection)
            case .finished: return .finished
            case .waiting, .abandoned:
                phase = .abandoned
                return .gaveUp
            }
        }
    }
}

/// Resumes a continuation once; later results are dropped.
private final class OnceResumer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>
    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }
    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
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

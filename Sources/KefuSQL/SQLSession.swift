import KefuStore

/// A connection lent for one operation (inside a transaction when the operation writes): what the
/// statements written once for both backends run on. Each backend's session renders `SQL` in its
/// dialect and counts the rows a statement changed in its own way.
public protocol SQLSession: Sendable {
    associatedtype Row: StoreRow
    var dialect: SQLDialect { get }
    /// The rows a query returns.
    func fetchAll(_ sql: SQL) async throws -> [Row]
    /// Runs a statement; returns how many rows it inserted, updated or deleted.
    @discardableResult
    func run(_ sql: SQL) async throws -> Int
    /// Wakes workers waiting on `topic` in every process, when the transaction commits
    /// (PostgreSQL's NOTIFY). On SQLite nothing: its workers poll.
    func notify(_ topic: WorkTopic) async throws
}

extension SQLSession {
    public func fetchOne(_ sql: SQL) async throws -> Row? { try await fetchAll(sql).first }
}

/// A backend whose operations are SQL statements on `Session`s: the statements that are the same
/// on both backends are written once, in this module, as default implementations of the store
/// roles; a backend implements only what its dialect really does differently.
public protocol SQLStore: KefuStore {
    associatedtype Session: SQLSession
    /// Runs `body` in one transaction (retried whole where the backend retries transactions).
    func inTransaction<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    /// Runs `body`, which must be one statement, as its own transaction: without `BEGIN` and
    /// `COMMIT`, two round trips fewer on PostgreSQL.
    func inOneStatement<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    /// Runs `body` on a connection for reading (SQLite's reader, a pooled PostgreSQL connection).
    func forReading<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    /// The master keys the secrets at rest are sealed and opened with (`SQLStore+Secrets`).
    var secrets: SecretKeyring { get }
    /// After plain secrets were sealed: makes the space their old values took unreadable where
    /// the backend can (SQLite overwrites freed cells and truncates the WAL; PostgreSQL rewrites
    /// the two small tables, leaving no dead row versions).
    func scrubFreedSpace() async throws
}

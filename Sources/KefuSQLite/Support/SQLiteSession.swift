import KefuSQL
import KefuStore
import NIOCore
import SQLiteNIO

/// The embedded store's side of the SQL layer: `?` placeholders, lists expanded one bind per
/// item, rows changed read with `changes()`, and no cross-process wake-ups (workers poll).
public struct SQLiteSession: SQLSession {
    let connection: SQLiteConnection

    public var dialect: SQLDialect { .sqlite }

    public func fetchAll(_ sql: SQL) async throws -> [SQLiteRow] {
        let (text, binds) = sql.render(for: .sqlite)
        return try await connection.query(text, binds.map(Self.data))
    }

    @discardableResult
    public func run(_ sql: SQL) async throws -> Int {
        _ = try await fetchAll(sql)
        return try await SQLiteStore.changes(connection)
    }

    public func notify(_ topic: WorkTopic) async throws {}

    static func data(_ bind: SQL.RenderedBind) -> SQLiteData {
        switch bind {
        case .value(.int(let number)): .integer(Int(number))
        case .value(.text(let text)): .text(text)
        case .value(.double(let number)): .float(number)
        case .value(.bytes(let bytes)): .blob(ByteBuffer(bytes: bytes))
        case .value(.null): .null
        // `render(for: .sqlite)` expands lists into one bind per item.
        case .ints, .texts: preconditionFailure("SQLite has no array binds")
        }
    }
}

extension SQLiteStore: SQLStore {
    public func inTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        try await write { connection in try await body(SQLiteSession(connection: connection)) }
    }

    public func inOneStatement<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        try await write(transaction: false) { connection in try await body(SQLiteSession(connection: connection)) }
    }

    public func forReading<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        try await read { connection in try await body(SQLiteSession(connection: connection)) }
    }
}

import Foundation
import KefuCore
import KefuSQL
import KefuStore
import Logging
import PostgresNIO

/// A bound parameter. Integers are BIGINT, so every time (Unix milliseconds) and id binds alike.
enum PGValue: Sendable {
    case int(Int64)
    case text(String)
    case double(Double)
    case texts([String])
    case ints([Int64])
    case bools([Bool])
    case bytes([UInt8])
    case null

    static func int(_ value: Int) -> PGValue { .int(Int64(value)) }

    init(_ bind: SQL.RenderedBind) {
        switch bind {
        case .value(.int(let number)): self = .int(number)
        case .value(.text(let text)): self = .text(text)
        case .value(.double(let number)): self = .double(number)
        case .value(.bytes(let bytes)): self = .bytes(bytes)
        case .value(.null): self = .null
        case .ints(let numbers): self = .ints(numbers)
        case .texts(let texts): self = .texts(texts)
        }
    }
}

/// One leased connection, inside or outside a transaction: SQL with `$n` placeholders and
/// `PGValue` binds in, named-column rows out; and the SQL layer's statements (`SQL`), written
/// once for both backends, rendered with `$n` placeholders and array binds.
public struct PGSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ binds: [PGValue] = []) async throws -> [PGRow] {
        try await send(sql, binds).rows.map { PGRow(row: $0.makeRandomAccess()) }
    }

    /// Runs a statement; returns the rows it affected.
    @discardableResult
    func execute(_ sql: String, _ binds: [PGValue] = []) async throws -> Int {
        try await send(sql, binds).metadata.rows ?? 0
    }

    public var dialect: SQLDialect { .postgres }

    public func fetchAll(_ sql: SQL) async throws -> [PGRow] {
        let (text, binds) = sql.render(for: .postgres)
        return try await query(text, binds.map(PGValue.init))
    }

    @discardableResult
    public func run(_ sql: SQL) async throws -> Int {
        let (text, binds) = sql.render(for: .postgres)
        return try await execute(text, binds.map(PGValue.init))
    }

    /// Queues a wake-up for workers waiting on `topic`; PostgreSQL delivers it at commit.
    public func notify(_ topic: WorkTopic) async throws {
        try await execute("SELECT pg_notify('\(PostgresStore.notifyChannel)', $1)", [.text(topic.rawValue)])
    }

    private func send(_ sql: String, _ binds: [PGValue]) async throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .int(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .double(let number): bindings.append(number)
            case .texts(let texts): bindings.append(texts)
            case .ints(let numbers): bindings.append(numbers)
            case .bools(let flags): bindings.append(flags)
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            case .null: bindings.appendNull()
            }
        }
        return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).get()
    }
}

/// A result row read by column name.
public struct PGRow: StoreRow, Sendable {
    let row: PostgresRandomAccessRow

    public func optionalInt64(_ name: String) -> Int64? {
        let cell = row[name]
        guard cell.bytes != nil else { return nil }
        switch cell.dataType {
        case .int2: return (try? cell.decode(Int16.self)).map(Int64.init)
        case .int4: return (try? cell.decode(Int32.self)).map(Int64.init)
        case .float8: return (try? cell.decode(Double.self)).map { Int64($0) }
        case .bool: return (try? cell.decode(Bool.self)).map { $0 ? 1 : 0 }
        case .numeric: return (try? cell.decode(String.self)).flatMap { Double($0) }.map { Int64($0) }
        default: return try? cell.decode(Int64.self)
        }
    }
    func double(_ name: String) -> Double {
        let cell = row[name]
        guard cell.bytes != nil else { return 0 }
        return (try? cell.decode(Double.self)) ?? Double(int64(name))
    }
    public func optionalString(_ name: String) -> String? {
        let cell = row[name]
        guard cell.bytes != nil else { return nil }
        return try? cell.decode(String.self)
    }
    public func optionalBytes(_ name: String) -> [UInt8]? {
        let cell = row[name]
        guard let bytes = cell.bytes else { return nil }
        return Array(bytes.readableBytesView)
    }
}

/// `postgres://user:password@host:port/database?sslmode=…&pool=…`, checked field by field.
struct PostgresURL {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    enum SSLMode { case disable, prefer, require }
    var sslMode: SSLMode
    var poolSize: Int

    init(_ url: String) throws {
        func bad(_ what: String) -> KefuError {
            KefuError(.badConfiguration, "--database: \(what) (expected postgres://user:password@host:port/database)")
        }
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw bad("not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw bad("no database name") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.sslMode = .disable
        self.poolSize = 10
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"): sslMode = .disable
            case ("sslmode", "prefer"): sslMode = .prefer
            case ("sslmode", "require"): sslMode = .require
            case ("sslmode", let other): throw bad("sslmode \(other) is not one of disable, prefer, require")
            case ("pool", let value):
                guard let size = Int(value), (1...200).contains(size) else { throw bad("pool must be a number of connections from 1 to 200") }
                poolSize = size
            case (let name, _): throw bad("unknown parameter \(name)")
            }
        }
    }
}

extension PostgresURL {
    var clientTLS: PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}

extension PostgresStore: SQLStore {
    public func inTransaction<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        try await write(body)
    }

    public func inOneStatement<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        try await write(transaction: false, body)
    }

    public func forReading<T: Sendable>(_ body: @escaping @Sendable (PGSession) async throws -> T) async throws -> T {
        try await read(body)
    }
}

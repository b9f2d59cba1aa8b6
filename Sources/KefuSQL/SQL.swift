/// A bound parameter. Integers are 64-bit, so times (Unix milliseconds) and ids bind alike.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case double(Double)
    /// A BLOB on SQLite, a BYTEA on PostgreSQL.
    case bytes([UInt8])
    case null
}

/// The SQL both backends speak, and where they differ in spelling only.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// One statement, written once for both backends: its text with the values interpolated as
/// binds, never as text. `\(value)` binds a value; `\(raw:)` inserts trusted text (column lists,
/// table names: constants of kefu's, never input); `\(anyOf:)` tests membership in a list;
/// `\(SQL.skipLocked)` is PostgreSQL's row-locking clause for queue-like selects, nothing on
/// SQLite (whose writers are serial). `render(for:)` spells it for one dialect.
///
/// ```swift
/// try await db.run("DELETE FROM rules WHERE id = \(id)")
/// ```
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Piece: Sendable {
        case text(String)
        case bind(SQLValue)
        case anyOf(SQLColumn)
        case table([(name: String, column: SQLColumn)])
        case skipLocked
        case rowLock(String)
    }

    var pieces: [Piece]

    public init(stringLiteral value: String) { pieces = [.text(value)] }
    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL (so concurrent workers take different rows);
    /// nothing on SQLite, where one writer runs at a time.
    public static let skipLocked = SQL(pieces: [.skipLocked])
    /// `FOR SHARE` on PostgreSQL: the rows read stay as they are until the transaction ends
    /// (another transaction's `FOR UPDATE` waits); nothing on SQLite, whose writers are serial.
    public static let forShare = SQL(pieces: [.rowLock(" FOR SHARE")])
    /// `FOR UPDATE` on PostgreSQL; nothing on SQLite.
    public static let forUpdate = SQL(pieces: [.rowLock(" FOR UPDATE")])

    init(pieces: [Piece]) { self.pieces = pieces }

    public static func + (lhs: SQL, rhs: SQL) -> SQL { SQL(pieces: lhs.pieces + rhs.pieces) }
    public static func += (lhs: inout SQL, rhs: SQL) { lhs.pieces += rhs.pieces }

    /// The statement's text with the dialect's placeholders, and its binds in order.
    ///
    /// Lists: PostgreSQL binds one array (`= ANY($n)`), so a statement's text does not vary with
    /// the list's length and stays in the server's statement cache; SQLite has no arrays and gets
    /// one placeholder per item (`IN (?, ?, …)`; kefu's lists are batches of at most a few
    /// thousand, under SQLite's limit of 32,766 binds).
    public func render(for dialect: SQLDialect) -> (text: String, binds: [RenderedBind]) {
        var text = ""
        var binds: [RenderedBind] = []
        func placeholder(_ bind: RenderedBind) {
            binds.append(bind)
            switch dialect {
            case .postgres: text += "$\(binds.count)"
            case .sqlite: text += "?"
            }
        }
        func list(_ items: [RenderedBind]) {
            // An empty list matches nothing (`IN ()` is not SQL).
            guard !items.isEmpty else { text += "IN (NULL)"; return }
            text += "IN ("
            for (index, item) in items.enumerated() {
                if index > 0 { text += ", " }
                placeholder(item)
            }
            text += ")"
        }
        func table(_ columns: [(name: String, column: SQLColumn)]) {
            switch dialect {
            case .postgres:
                // One array per column, unnested in step: the text does not vary with the row count.
                text += "(SELECT "
                for (index, (name, column)) in columns.enumerated() {
                    if index > 0 { text += ", " }
                    text += "unnest("
                    placeholder(column.arrayBind)
                    text += "::\(column.arrayType)) AS \(name)"
                }
                text += ")"
            case .sqlite:
                // A VALUES list, its columns (column1, column2, …) renamed.
                text += "(SELECT "
                text += columns.enumerated().map { "column\($0.offset + 1) AS \($0.element.name)" }.joined(separator: ", ")
                text += " FROM (VALUES "
                let count = columns.first?.column.count ?? 0
                for row in 0..<count {
                    text += row == 0 ? "(" : ", ("
                    for (index, (_, column)) in columns.enumerated() {
                        if index > 0 { text += ", " }
                        placeholder(.value(column[row]))
                    }
                    text += ")"
                }
                text += "))"
            }
        }
        for piece in pieces {
            switch piece {
            case .text(let literal): text += literal
            case .bind(let value): placeholder(.value(value))
            case .skipLocked: if dialect == .postgres { text += " FOR UPDATE SKIP LOCKED" }
            case .rowLock(let clause): if dialect == .postgres { text += clause }
            case .anyOf(let column):
                switch dialect {
                case .postgres: text += "= ANY("; placeholder(column.arrayBind); text += ")"
                case .sqlite: list((0..<column.count).map { .value(column[$0]) })
                }
            case .table(let columns):
                table(columns)
            }
        }
        return (text, binds)
    }

    /// A bind as a backend receives it: a value, or (PostgreSQL only) an array.
    public enum RenderedBind: Sendable, Equatable {
        case value(SQLValue)
        case ints([Int64])
        case texts([String])
    }

    /// The text with `?` for binds: for logs and tests; binds are never shown.
    public var description: String { render(for: .sqlite).text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            pieces.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }

        public mutating func appendInterpolation(_ value: Int64) { pieces.append(.bind(.int(value))) }
        public mutating func appendInterpolation(_ value: Int) { pieces.append(.bind(.int(Int64(value)))) }
        public mutating func appendInterpolation(_ value: Int64?) { pieces.append(.bind(value.map { .int($0) } ?? .null)) }
        public mutating func appendInterpolation(_ value: Int?) { pieces.append(.bind(value.map { .int(Int64($0)) } ?? .null)) }
        public mutating func appendInterpolation(_ value: Double) { pieces.append(.bind(.double(value))) }
        public mutating func appendInterpolation(_ value: String) { pieces.append(.bind(.text(value))) }
        public mutating func appendInterpolation(_ value: String?) { pieces.append(.bind(value.map { .text($0) } ?? .null)) }
        /// Booleans are stored as 0 and 1 in both schemas.
        public mutating func appendInterpolation(_ value: Bool) { pieces.append(.bind(.int(value ? 1 : 0))) }
        public mutating func appendInterpolation(_ value: SQLValue) { pieces.append(.bind(value)) }
        public mutating func appendInterpolation(_ value: [UInt8]) { pieces.append(.bind(.bytes(value))) }

        /// Trusted text: kefu's own constants (column lists, table names). Never input.
        public mutating func appendInterpolation(raw text: String) { pieces.append(.text(text)) }
        /// Another statement's pieces, binds and all.
        public mutating func appendInterpolation(_ sql: SQL) { pieces += sql.pieces }
        /// `= ANY($n)` on PostgreSQL, `IN (?, …)` on SQLite: follows the column it tests.
        public mutating func appendInterpolation(anyOf values: [Int64]) { pieces.append(.anyOf(.ints(values))) }
        public mutating func appendInterpolation(anyOf values: [String]) { pieces.append(.anyOf(.texts(values))) }
        /// A derived table of equal-length columns, for `UPDATE … FROM \(table:) AS v WHERE … = v.name`:
        /// on PostgreSQL one array bind per column, unnested; on SQLite a `VALUES` list. Must not
        /// be empty; `name`s are kefu's own constants.
        public mutating func appendInterpolation(table columns: [(name: String, column: SQLColumn)]) {
            precondition(!columns.isEmpty && Set(columns.map(\.column.count)).count == 1 && columns[0].column.count > 0,
                         "a table needs columns of one non-zero length")
            pieces.append(.table(columns))
        }
        /// `(?, ?), (?, ?)`: one parenthesised group of binds per row, for multi-row `VALUES`.
        public mutating func appendInterpolation(rows: [[SQLValue]]) {
            for (index, row) in rows.enumerated() {
                pieces.append(.text(index == 0 ? "(" : ", ("))
                for (column, value) in row.enumerated() {
                    if column > 0 { pieces.append(.text(", ")) }
                    pieces.append(.bind(value))
                }
                pieces.append(.text(")"))
            }
        }
    }
}

/// A list of values of one type: a column of a derived table (`\(table:)`), or the list an
/// `\(anyOf:)` tests.
public enum SQLColumn: Sendable {
    case ints([Int64])
    case texts([String])

    public var count: Int {
        switch self {
        case .ints(let values): values.count
        case .texts(let values): values.count
        }
    }

    /// The whole column as one PostgreSQL array bind, and that array's type.
    var arrayBind: SQL.RenderedBind {
        switch self {
        case .ints(let values): .ints(values)
        case .texts(let values): .texts(values)
        }
    }
    var arrayType: String {
        switch self {
        case .ints: "bigint[]"
        case .texts: "text[]"
        }
    }

    subscript(row: Int) -> SQLValue {
        switch self {
        case .ints(let values): .int(values[row])
        case .texts(let values): .text(values[row])
        }
    }
}

extension SQLValue {
    public static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    public static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
}

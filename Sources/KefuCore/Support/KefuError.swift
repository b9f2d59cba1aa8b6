/// The public error of kefu's domain and stores: an extensible code, a message safe to show to
/// the caller, and the underlying error for logs (never shown to clients).
public struct KefuError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case invalid, notFound, conflict, unauthorized, unavailable, badConfiguration, `internal` }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input broke a rule (HTTP 422).
        public static let invalid = Code(.invalid)
        /// The thing asked for does not exist (HTTP 404).
        public static let notFound = Code(.notFound)
        /// The thing already exists (HTTP 409).
        public static let conflict = Code(.conflict)
        public static let unauthorized = Code(.unauthorized)
        /// A dependency (the store) cannot answer now; try again (HTTP 503).
        public static let unavailable = Code(.unavailable)
        /// A configuration value is wrong; the process cannot start.
        public static let badConfiguration = Code(.badConfiguration)
        public static let `internal` = Code(.internal)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The field of the request that was wrong, when there is one.
    public var field: String?
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
    }

    public static func invalid(_ field: String, _ message: String) -> KefuError {
        KefuError(.invalid, "\(field): \(message)", field: field)
    }

    public var description: String {
        if let underlying { return "\(code): \(message) (\(String(reflecting: underlying)))" }
        return "\(code): \(message)"
    }
}

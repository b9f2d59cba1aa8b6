import KefuCore

/// One change made through the admin API or the console: who (the token's name or the console
/// principal), what (method and route), on what (the path), when, from where, and how it ended
/// (the status answered). Never a body, so never a secret.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Int64
    public var actor: String
    public var action: String
    public var target: String
    public var address: String
    public var status: Int

    public init(id: Int64 = 0, at: Int64, actor: String, action: String, target: String, address: String, status: Int) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.address = address
        self.status = status
    }
}

/// Which audit entries to read: newest first, each filter optional.
public struct AuditQuery: Sendable, Equatable {
    public var actor: String?
    /// The action's start, e.g. `POST /api/v1/tasks`.
    public var actionPrefix: String?
    /// The target's start, e.g. `/api/v1/accounts/wx…`.
    public var targetPrefix: String?
    public var since: Int64?
    public var until: Int64?
    /// Entries with ids below this (the next page).
    public var beforeId: Int64?
    public var limit: Int

    public init(actor: String? = nil, actionPrefix: String? = nil, targetPrefix: String? = nil, since: Int64? = nil, until: Int64? = nil,
                beforeId: Int64? = nil, limit: Int = 100) {
        self.actor = actor
        self.actionPrefix = actionPrefix
        self.targetPrefix = targetPrefix
        self.since = since
        self.until = until
        self.beforeId = beforeId
        self.limit = limit
    }
}

/// The audit log: every change through the API or the console, kept for the retention period.
public protocol AuditStore: Sendable {
    func recordAudit(_ entry: AuditEntry) async throws
    func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry]
    /// Deletes up to `limit` entries older than `before`; returns rows deleted.
    func trimAuditLog(before: Int64, limit: Int) async throws -> Int
}

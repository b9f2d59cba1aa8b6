import KefuCore
import KefuStore

/// The audit log, the same SQL on both backends.
extension SQLStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        _ = try await inOneStatement { db in
            try await db.run(
                """
                INSERT INTO audit_log (at, actor, action, target, address, status)
                VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.target), \(entry.address), \(entry.status))
                """)
        }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await forReading { db in
            var sql: SQL = "SELECT id, at, actor, action, target, address, status FROM audit_log WHERE 1 = 1"
            if let actor = query.actor { sql += " AND actor = \(actor)" }
            // Prefixes compared by substr, not LIKE: no character in a filter is a wildcard.
            if let prefix = query.actionPrefix { sql += " AND substr(action, 1, \(raw: String(prefix.count))) = \(prefix)" }
            if let prefix = query.targetPrefix { sql += " AND substr(target, 1, \(raw: String(prefix.count))) = \(prefix)" }
            if let since = query.since { sql += " AND at >= \(since)" }
            if let until = query.until { sql += " AND at < \(until)" }
            if let before = query.beforeId { sql += " AND id < \(before)" }
            sql += " ORDER BY id DESC LIMIT \(query.limit)"
            return try await db.fetchAll(sql).map {
                AuditEntry(id: $0.int64("id"), at: $0.int64("at"), actor: $0.string("actor"), action: $0.string("action"),
                           target: $0.string("target"), address: $0.string("address"), status: $0.int("status"))
            }
        }
    }

    public func trimAuditLog(before: Int64, limit: Int) async throws -> Int {
        try await inTransaction { db in
            try await db.run("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < \(before) ORDER BY at LIMIT \(limit))")
        }
    }
}

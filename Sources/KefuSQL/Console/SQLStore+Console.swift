import KefuCore
import KefuStore

extension SQLStore {
    public func createConsoleSession(_ session: ConsoleSession) async throws {
        try await inTransaction { db in
            // Expired sessions go as new ones come: the table holds the signed-in, no more.
            try await db.run("DELETE FROM console_sessions WHERE expires_at <= \(session.createdAt)")
            try await db.run(
                """
                INSERT INTO console_sessions (id_hash, csrf, principal, created_at, expires_at)
                VALUES (\(session.idHash), \(session.csrf), \(session.principal), \(session.createdAt), \(session.expiresAt))
                """)
        }
    }

    public func consoleSession(idHash: String, now: Int64) async throws -> ConsoleSession? {
        try await forReading { db in
            try await db.fetchOne(
                """
                SELECT id_hash, csrf, principal, created_at, expires_at FROM console_sessions
                WHERE id_hash = \(idHash) AND expires_at > \(now)
                """).map {
                ConsoleSession(idHash: $0.string("id_hash"), csrf: $0.string("csrf"), principal: $0.string("principal"),
                               createdAt: $0.int64("created_at"), expiresAt: $0.int64("expires_at"))
            }
        }
    }

    public func deleteConsoleSession(idHash: String) async throws {
        _ = try await inOneStatement { db in try await db.run("DELETE FROM console_sessions WHERE id_hash = \(idHash)") }
    }

    public func createConsoleLink(codeHash: String, principal: String, now: Int64, expiresAt: Int64) async throws {
        try await inTransaction { db in
            try await db.run("DELETE FROM console_links WHERE expires_at <= \(now)")
            try await db.run("INSERT INTO console_links (code_hash, principal, expires_at) VALUES (\(codeHash), \(principal), \(expiresAt))")
        }
    }

    public func consumeConsoleLink(codeHash: String, now: Int64) async throws -> String? {
        // One statement takes the row away: two browsers racing for one link, one wins.
        try await inOneStatement { db in
            try await db.fetchOne("DELETE FROM console_links WHERE code_hash = \(codeHash) RETURNING principal, expires_at")
                .flatMap { $0.int64("expires_at") > now ? $0.string("principal") : nil }
        }
    }

    public func accountPage(after: String?, limit: Int) async throws -> [Account] {
        let secrets = secrets
        return try await forReading { db in
            try await db.fetchAll(
                "SELECT \(raw: StoreRows.accountColumns) FROM accounts WHERE appid > \(after ?? "") ORDER BY appid LIMIT \(limit)")
                .map { try StoreRows.account($0, secrets: secrets) }
        }
    }

    public func accountSummaries(appids: [String], now: Int64) async throws -> [String: AccountSummary] {
        guard !appids.isEmpty else { return [:] }
        return try await forReading { db in
            var summaries = Dictionary(uniqueKeysWithValues: appids.map { ($0, AccountSummary()) })
            // Each a range read of an index per account (followers_window, interactions_received
            // bounded to the last hour, the tasks' and rules' account indexes).
            for row in try await db.fetchAll(
                """
                SELECT appid, count(*) AS n FROM followers
                WHERE appid \(anyOf: appids) AND window_closes_at > \(now) GROUP BY appid
                """) { summaries[row.string("appid")]?.openWindows = row.int("n") }
            for row in try await db.fetchAll(
                """
                SELECT appid, count(*) AS n FROM interactions
                WHERE received_at > \(now - 3_600_000) AND appid \(anyOf: appids) GROUP BY appid
                """) { summaries[row.string("appid")]?.pushesLastHour = row.int("n") }
            for row in try await db.fetchAll(
                "SELECT appid, count(*) AS n FROM tasks WHERE appid \(anyOf: appids) AND status = 'running' GROUP BY appid") {
                summaries[row.string("appid")]?.tasksRunning = row.int("n")
            }
            for row in try await db.fetchAll(
                "SELECT appid, count(*) AS n FROM rules WHERE appid \(anyOf: appids) AND enabled = 1 GROUP BY appid") {
                summaries[row.string("appid")]?.rulesEnabled = row.int("n")
            }
            for row in try await db.fetchAll(
                "SELECT appid, until, reason FROM account_pauses WHERE appid \(anyOf: appids) AND until > \(now)") {
                summaries[row.string("appid")]?.pause = AccountPause(until: row.int64("until"), reason: row.string("reason"))
            }
            return summaries
        }
    }

    public func accountActivity(appid: String, now: Int64) async throws -> AccountActivity {
        let hour: Int64 = 3_600_000, hours = 48
        return try await forReading { db in
            var closing = Array(repeating: 0, count: hours), pushes = Array(repeating: 0, count: hours)
            for row in try await db.fetchAll(
                """
                SELECT (window_closes_at - \(now)) / \(hour) AS h, count(*) AS n FROM followers
                WHERE appid = \(appid) AND window_closes_at > \(now) AND window_closes_at <= \(now + Int64(hours) * hour) GROUP BY 1
                """) {
                let index = row.int("h")
                if closing.indices.contains(index) { closing[index] += row.int("n") }
            }
            for row in try await db.fetchAll(
                """
                SELECT (\(now) - received_at) / \(hour) AS h, count(*) AS n FROM interactions
                WHERE appid = \(appid) AND received_at > \(now - Int64(hours) * hour) AND received_at <= \(now) GROUP BY 1
                """) {
                let index = hours - 1 - row.int("h")
                if pushes.indices.contains(index) { pushes[index] += row.int("n") }
            }
            return AccountActivity(closingPerHour: closing, pushesPerHour: pushes)
        }
    }
}

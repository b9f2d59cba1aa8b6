import Foundation
import KefuApp
import KefuCore
import KefuStore
import KefuStoreFactory
import KefuTestSupport
import Logging
import Testing
@testable import KefuPostgres

/// What a claim runs per batch of followers, and the audience page's count of sends left, must
/// look each follower up by primary key, whatever PostgreSQL's statistics say. Right after a burst of callbacks (or an import) a table has no
/// statistics for its new rows, `appid = $1` looks like a handful of rows, and a statement free
/// to choose read all of the account's followers or grants on every claim (`kefu bench`'s
/// delayed phase: 21–22 ms per statement instead of ≈ 2).
@Suite("PostgreSQL query plans")
struct PostgresQueryPlanTests {
    static let followers = 20_000

    @Test("claim and audience statements look followers and grants up by key before the tables were ever analysed", arguments: [
        ("followers read", PostgresStore.subscribedSQL, ["'\(SendQueueTests.appid)'", openids]),
        ("grants locked", PostgresStore.grantsForUpdateSQL, ["'\(SendQueueTests.appid)'", openids, "0"]),
        ("units spent", PostgresStore.spendUnitsSQL, ["'\(SendQueueTests.appid)'", openids, kinds, units]),
        ("windows recomputed", PostgresStore.recomputeWindowsSQL, ["'\(SendQueueTests.appid)'", openids, "0"]),
        ("audience page's sends left", PostgresStore.remainingSQL, ["'\(SendQueueTests.appid)'", "0", openids]),
    ])
    func claimLooksUpByKey(name: String, sql: String, parameters: [String]) async throws {
        let url = try await Self.database.url()
        let cluster = try await PostgresCluster.shared()
        let analysed = try await cluster.column(
            "SELECT coalesce(last_analyze, last_autoanalyze)::text FROM pg_stat_user_tables WHERE relname IN ('followers', 'grants')",
            database: url)
        #expect(analysed == [nil, nil], "the tables were analysed: the test shows nothing")

        let plan = try await cluster.plan(sql, parameters: parameters, database: url)
        let text = plan.joined(separator: "\n")
        #expect(text.contains("Nested Loop"), "\(name):\n\(text)")
        #expect(text.contains("openid = v.openid"), "\(name): no lookup by openid\n\(text)")
        for scan in ["Bitmap", "Hash", "Seq Scan", "Merge"] {
            #expect(!text.contains(scan), "\(name): \(scan)\n\(text)")
        }
    }

    /// One database for every case: 20,000 followers never analysed, set up by the first case to
    /// ask (in the shared cluster, which goes when the suite's process ends). The cases only read.
    static let database = SeededDatabase()

    actor SeededDatabase {
        private var prepared: Task<String, any Error>?

        func url() async throws -> String {
            if let prepared { return try await prepared.value }
            let task = Task {
                let cluster = try await PostgresCluster.shared()
                let url = try await cluster.createDatabase()
                let store = try await KefuAppStore.open(url)
                do {
                    try await store.migrate()
                    for table in ["followers", "grants"] {
                        try await cluster.execute("ALTER TABLE \(table) SET (autovacuum_enabled = false)", database: url)
                    }
                    try await SendQueueTests.setUp(store, count: PostgresQueryPlanTests.followers)
                    try await store.close()
                } catch {
                    try? await store.close()
                    throw error
                }
                return url
            }
            prepared = task
            return try await task.value
        }
    }

    /// 300 of the followers, as a claim batch names them (sorted).
    static let openids = "'{" + (0..<300).map { "o\($0 * 60)" }.sorted().joined(separator: ",") + "}'"
    static let kinds = "'{" + Array(repeating: "message", count: 300).joined(separator: ",") + "}'"
    static let units = "'{" + Array(repeating: "1", count: 300).joined(separator: ",") + "}'"
}

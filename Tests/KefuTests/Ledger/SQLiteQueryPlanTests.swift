import KefuTestSupport
import Logging
import SQLiteNIO
import Testing
@testable import KefuSQLite

/// "Followers whose window is open now, closing soonest first" must be an index range scan in
/// the order of the index, never a table scan or a sort — what keeps an audience of millions cheap.
@Suite("SQLite query plans")
struct SQLiteQueryPlanTests {
    @Test("audience count and pages read followers_window in order", arguments: [
        (SQLiteStore.audienceCountSQL, 2), (SQLiteStore.audiencePageSQL, 3), (SQLiteStore.audiencePageAfterSQL, 6),
    ])
    func audienceUsesIndex(sql: String, parameters: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.file("plan.db"), logger: Logger.test())
        try await store.migrate()
        let binds: [SQLiteData] = [.text("wx0000000000000001")] + Array(repeating: .integer(1), count: parameters - 1)
        let plan = try await store.reader.query("EXPLAIN QUERY PLAN " + sql, binds).map { $0.column("detail")?.string ?? "" }
        try await store.close()
        #expect(plan.contains { $0.contains("followers_window") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN followers") && !$0.contains("INDEX") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }
}

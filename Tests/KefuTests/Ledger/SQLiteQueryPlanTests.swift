import KefuCore
import KefuSQL
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
        AudienceSQL.count(appid: "wx0000000000000001", now: 1),
        AudienceSQL.page(appid: "wx0000000000000001", now: 1, after: nil, limit: 100),
        AudienceSQL.page(appid: "wx0000000000000001", now: 1, after: AudienceCursor(closesAt: 1, openid: "o1"), limit: 100),
    ])
    func audienceUsesIndex(statement: SQL) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.file("plan.db"), secrets: TestMasterKey.keyring, logger: Logger.test())
        try await store.migrate()
        let (sql, binds) = statement.render(for: .sqlite)
        let plan = try await store.reader.query("EXPLAIN QUERY PLAN " + sql, binds.map(SQLiteSession.data)).map { $0.column("detail")?.string ?? "" }
        try await store.close()
        #expect(plan.contains { $0.contains("followers_window") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN followers") && !$0.contains("INDEX") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }
}

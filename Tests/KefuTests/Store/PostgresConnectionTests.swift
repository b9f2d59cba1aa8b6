import KefuApp
import KefuCore
import KefuStore
import KefuStoreFactory
import KefuTestSupport
import Logging
import Testing

@Suite("PostgreSQL connection errors")
struct PostgresConnectionTests {
    @Test("a database that does not exist is named in the error, not only 'no connection'")
    func missingDatabase() async throws {
        let url = try await PostgresCluster.shared().url(database: "kefu_no_such_database")
        let store = try await KefuAppStore.open(url, acquireTimeout: .seconds(3))
        do {
            try await store.migrate()
            Issue.record("migrate succeeded on a database that does not exist")
        } catch {
            let message = "\(error)"
            #expect(message.contains("did not accept a connection"), "\(message)")
            #expect(message.contains("\"kefu_no_such_database\" does not exist"), "\(message)")
        }
        try await store.close()
    }
}

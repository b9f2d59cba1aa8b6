import Foundation
import KefuApp
import KefuCore
import KefuStore
import KefuStoreFactory
import KefuTestSupport
import Logging
import Testing

/// PostgreSQL copies a task's audience in chunks, each in its own transaction, behind a
/// `task_snapshots` marker with a lease. These tests put the database in the state a process
/// that died mid-copy leaves behind, with SQL, and check what the store makes of it.
@Suite("PostgreSQL audience snapshots")
struct PostgresSnapshotTests {
    static let t0 = SendQueueTests.t0

    /// A migrated store on a fresh database of the shared cluster, with `count` followers.
    static func withStore(count: Int, _ body: (any KefuStore, String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = try await StoreBackend.postgres.freshURL(in: directory)
        let store = try await KefuAppStore.open(url)
        try await store.migrate()
        do {
            try await SendQueueTests.setUp(store, count: count)
            try await body(store, url)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    static func sql(_ statement: String, _ url: String) async throws {
        try await PostgresCluster.shared().execute(statement, database: url)
    }

    /// A task started at `at` whose copy has not begun, with a marker whose lease ends at `at + 1 s`.
    static func abandonedCopy(_ store: any KefuStore, _ url: String, at start: Int64) async throws -> Int64 {
        let id = try await SendQueueTests.task(store, at: start)
        try await sql("UPDATE tasks SET status = 'running', snapshot_at = \(start) WHERE id = \(id)", url)
        try await sql(
            "INSERT INTO task_snapshots (task_id, at, appid, reserve, lease_until) VALUES (\(id), \(start), '\(SendQueueTests.appid)', 0, \(start + 1000))", url)
        return id
    }

    @Test("a copy whose process died is finished by the next scheduler, without duplicates, and the task does not complete meanwhile")
    func abandonedCopyIsResumed() async throws {
        try await Self.withStore(count: 10) { store, url in
            let start = Self.t0 + 20_000
            // What a dead process left: the task running, its marker with an expired lease, and
            // the first chunk copied (3 followers), already sent.
            let id = try await Self.abandonedCopy(store, url, at: start)
            try await Self.sql(
                """
                INSERT INTO deliveries (task_id, test, appid, openid, due_at, window_closes_at, state, created_at, sent_at)
                SELECT \(id), 0, appid, openid, \(start), window_closes_at, 'sent', \(start), \(start) FROM followers
                WHERE appid = '\(SendQueueTests.appid)' ORDER BY openid LIMIT 3
                """, url)

            // Nothing pending, but the copy is unfinished: the task must not complete.
            #expect(try await store.completeFinishedTasks(now: start + 500).isEmpty)
            // While the lease holds, nobody takes the copy over.
            #expect(try await store.startDueTasks(now: start + 500).isEmpty)
            // After it, the next pass finishes the copy: the 7 missing followers, once each.
            let resumed = try await store.startDueTasks(now: start + 2000)
            #expect(resumed.count == 1 && resumed.first?.0 == id && resumed.first?.1 == 7)
            let stats = try await store.taskStats(id: id)
            #expect(stats.audience == 10 && stats.sent == 3 && stats.pending == 7)
            #expect(try await store.startDueTasks(now: start + 3000).isEmpty)
            #expect(try await store.task(id: id)?.status == .running)

            // Once everyone is sent, the task completes.
            let claimed = try await store.claimDeliveries(owner: "w", now: start + 3000, limit: 100, leaseMillis: 60_000)
            #expect(claimed.count == 7)
            try await store.recordResults(SendQueueTests.sent(claimed, at: start + 3001), owner: "w")
            #expect(try await store.completeFinishedTasks(now: start + 4000) == [id])
        }
    }

    @Test("a task cancelled while its copy is unfinished gets no more deliveries when the copy resumes")
    func cancelledDuringCopy() async throws {
        try await Self.withStore(count: 10) { store, url in
            let start = Self.t0 + 20_000
            let id = try await Self.abandonedCopy(store, url, at: start)
            #expect(try await store.cancelTask(id: id, now: start + 100))
            let resumed = try await store.startDueTasks(now: start + 2000)
            #expect(resumed.first?.1 == 0)
            #expect(try await store.taskStats(id: id).audience == 0)
            #expect(try await store.claimDeliveries(owner: "w", now: start + 3000, limit: 100, leaseMillis: 60_000).isEmpty)
        }
    }
}

import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import Testing

@Suite("Trimmer")
struct TrimmerTests {
    static let t0: Int64 = 1_800_000_000_000
    static let appid = "wx0000000000000001"

    static func items(_ count: Int, kind: InteractionKind, at: Int64, prefix: String) -> [Interaction] {
        (0..<count).map {
            Interaction(appid: appid, openid: "\(prefix)\($0)", kind: kind, detail: kind.rawValue, at: at, dedupeKey: "\(prefix):\($0)")
        }
    }

    @Test("removes closed grants and windows in bounded batches and keeps open ones", arguments: StoreBackend.allCases)
    func closedWindows(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.createAccount(TestAccounts.plain(1))
            _ = try await store.record(Self.items(120, kind: .subscribe, at: Self.t0, prefix: "follow"), policy: testPolicy, now: Self.t0)
            _ = try await store.record(Self.items(30, kind: .message, at: Self.t0, prefix: "talk"), policy: testPolicy, now: Self.t0)
            let clock = ManualWallClock(Self.t0 + 120_000)
            let trimmer = Trimmer(store: store, clock: clock,
                                  configuration: .init(batchSize: 50, maxBatchesPerPass: 100), logger: Logger.test())
            let result = try await trimmer.pass()
            // 120 follow grants and 120 follow windows, in batches of 50.
            #expect(result.windows == 240)
            #expect(try await store.audience(appid: Self.appid, now: clock.nowMillis(), limit: 1000, after: nil).count == 30)
            #expect(try await store.follower(appid: Self.appid, openid: "follow0", now: Self.t0, recent: 1)?.grants == [])
            // A second pass has nothing left to do.
            #expect(try await trimmer.pass().windows == 0)
        }
    }

    @Test("a pass stops after its batch budget; the next pass continues", arguments: StoreBackend.allCases)
    func bounded(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.createAccount(TestAccounts.plain(1))
            _ = try await store.record(Self.items(100, kind: .subscribe, at: Self.t0, prefix: "f"), policy: testPolicy, now: Self.t0)
            let clock = ManualWallClock(Self.t0 + 120_000)
            let trimmer = Trimmer(store: store, clock: clock, configuration: .init(batchSize: 10, maxBatchesPerPass: 3), logger: Logger.test())
            #expect(try await trimmer.pass().windows == 60)
            #expect(try await trimmer.pass().windows == 60)
        }
    }

    @Test("drops interaction log rows past retention, keeps newer ones", arguments: StoreBackend.allCases)
    func retention(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.createAccount(TestAccounts.plain(1))
            _ = try await store.record(Self.items(40, kind: .message, at: Self.t0, prefix: "old"), policy: testPolicy, now: Self.t0)
            _ = try await store.record(Self.items(10, kind: .message, at: Self.t0 + 86_400_000, prefix: "new"), policy: testPolicy, now: Self.t0 + 86_400_000)
            let clock = ManualWallClock(Self.t0 + 86_400_000 + 1000)
            let trimmer = Trimmer(store: store, clock: clock,
                                  configuration: .init(batchSize: 7, logRetentionSeconds: 3600), logger: Logger.test())
            #expect(try await trimmer.pass().logRows == 40)
            #expect(try await store.follower(appid: Self.appid, openid: "old0", now: clock.nowMillis(), recent: 5)?.recentInteractions.isEmpty == true)
            #expect(try await store.follower(appid: Self.appid, openid: "new0", now: clock.nowMillis(), recent: 5)?.recentInteractions.count == 1)
        }
    }

    @Test("purges a deleted account's followers, grants and log", arguments: StoreBackend.allCases)
    func purge(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await store.createAccount(TestAccounts.plain(1))
            try await store.createAccount(TestAccounts.plain(2))
            _ = try await store.record(Self.items(25, kind: .message, at: Self.t0, prefix: "a"), policy: testPolicy, now: Self.t0)
            let other = Self.items(5, kind: .message, at: Self.t0, prefix: "b").map { item in
                var copy = item
                copy.appid = TestAccounts.appid(2)
                return copy
            }
            _ = try await store.record(other, policy: testPolicy, now: Self.t0)
            #expect(try await store.deleteAccount(appid: Self.appid))
            // Until the purge is done, the appid cannot be reused (its old rows would leak in).
            await #expect(throws: KefuError.self) { try await store.createAccount(TestAccounts.plain(1)) }
            let trimmer = Trimmer(store: store, clock: ManualWallClock(Self.t0), configuration: .init(batchSize: 10), logger: Logger.test())
            #expect(try await trimmer.pass().purged == 75)
            #expect(try await store.follower(appid: Self.appid, openid: "a0", now: Self.t0, recent: 5) == nil)
            #expect(try await store.audience(appid: TestAccounts.appid(2), now: Self.t0, limit: 10, after: nil).count == 5)
            try await store.createAccount(TestAccounts.plain(1))
            #expect(try await store.audience(appid: Self.appid, now: Self.t0, limit: 10, after: nil).count == 0)
        }
    }
}

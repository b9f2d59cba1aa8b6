import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import SQLiteNIO
import Testing
@testable import KefuSQLite

/// The window ledger's rules, against every store backend.
@Suite("Window ledger")
struct LedgerBehaviourTests {
    static let t0: Int64 = 1_800_000_000_000
    static let appid = "wx0000000000000001"

    static func interaction(_ openid: String, _ kind: InteractionKind, at: Int64, key: String? = nil, dedupe: String? = nil) -> Interaction {
        Interaction(appid: appid, openid: openid, kind: kind, detail: kind.rawValue, key: key, at: at,
                    dedupeKey: dedupe ?? "t:\(openid):\(kind.rawValue):\(at):\(UInt64.random(in: 0...UInt64.max))")
    }

    static func setUp(_ store: any KefuStore) async throws {
        try await store.createAccount(TestAccounts.plain(1))
    }

    static func record(_ store: any KefuStore, _ items: [Interaction], now: Int64) async throws -> [Bool] {
        try await store.record(items, policy: testPolicy, now: now)
    }

    static func audience(_ store: any KefuStore, now: Int64) async throws -> [AudienceEntry] {
        try await store.audience(appid: appid, now: now, limit: 1000, after: nil).users
    }

    @Test("a message opens a grant of 5 sends for the policy's duration", arguments: StoreBackend.allCases)
    func messageOpens(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [Self.interaction("oA", .message, at: Self.t0)], now: Self.t0)
            let users = try await Self.audience(store, now: Self.t0 + 1000)
            #expect(users.count == 1)
            #expect(users.first?.windowClosesAt == Self.t0 + 3_600_000)
            #expect(users.first?.remaining == 5)
            #expect(users.first?.lastInteraction == .message)
            let ledger = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0, recent: 10))
            #expect(ledger.grants == [GrantState(kind: .message, openedAt: Self.t0, closesAt: Self.t0 + 3_600_000, remaining: 5)])
            #expect(ledger.subscribed)
        }
    }

    @Test("a new message resets the grant to a fresh one from its own time", arguments: StoreBackend.allCases)
    func messageResets(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [Self.interaction("oA", .message, at: Self.t0)], now: Self.t0)
            _ = try await Self.record(store, [Self.interaction("oA", .message, at: Self.t0 + 600_000)], now: Self.t0 + 600_000)
            let ledger = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 600_000, recent: 10))
            #expect(ledger.grants == [GrantState(kind: .message, openedAt: Self.t0 + 600_000, closesAt: Self.t0 + 4_200_000, remaining: 5)])
            // Past the first message's hour, the window is still open thanks to the second.
            #expect(try await Self.audience(store, now: Self.t0 + 3_700_000).count == 1)
            #expect(try await Self.audience(store, now: Self.t0 + 4_200_000).isEmpty)
        }
    }

    @Test("a follow grant closes after its duration", arguments: StoreBackend.allCases)
    func followExpires(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [Self.interaction("oA", .subscribe, at: Self.t0, key: "qr1")], now: Self.t0)
            let open = try await Self.audience(store, now: Self.t0 + 59_999)
            #expect(open.map(\.openid) == ["oA"])
            #expect(open.first?.remaining == 3)
            #expect(try await Self.audience(store, now: Self.t0 + 60_000).isEmpty)
            #expect(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 60_000, recent: 1)?.grants == [])
        }
    }

    @Test("message and follow grants coexist; the window closes with the last of them", arguments: StoreBackend.allCases)
    func grantsCoexist(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oA", .message, at: Self.t0),
                Self.interaction("oA", .click, at: Self.t0 + 1000, key: "MENU"),
            ], now: Self.t0 + 1000)
            let ledger = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 1000, recent: 10))
            #expect(ledger.grants.map(\.kind) == [.click, .message])
            let both = try await Self.audience(store, now: Self.t0 + 2000)
            #expect(both.first?.remaining == 8)
            #expect(both.first?.windowClosesAt == Self.t0 + 3_600_000)
            #expect(both.first?.lastInteraction == .click)
            // After the click grant's minute only the message grant counts.
            #expect(try await Self.audience(store, now: Self.t0 + 61_001).first?.remaining == 5)
        }
    }

    @Test("a late interaction that changes nothing but the window still moves it", arguments: StoreBackend.allCases)
    func lateGrantMovesWindow(backend: StoreBackend) async throws {
        // A click whose grant outlasts a message's, arriving after a later message: it is not the
        // latest interaction and decides no subscription, but the window is its grant's.
        let policy = try WindowPolicy(grants: [.init(on: .message, sends: 5, seconds: 3600), .init(on: .click, sends: 3, seconds: 7200)])
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            let now = Self.t0 + 5000
            _ = try await store.record([Self.interaction("oA", .message, at: now)], policy: policy, now: now)
            #expect(try await Self.audience(store, now: now).first?.windowClosesAt == now + 3_600_000)
            _ = try await store.record([Self.interaction("oA", .click, at: Self.t0, key: "MENU")], policy: policy, now: now)
            let users = try await Self.audience(store, now: now)
            #expect(users.first?.windowClosesAt == Self.t0 + 7_200_000)
            #expect(users.first?.lastInteraction == .message)
            #expect(users.first?.remaining == 8)
        }
    }

    @Test("unsubscribe closes every grant; a re-follow opens a new one", arguments: StoreBackend.allCases)
    func unsubscribeAndRefollow(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oA", .message, at: Self.t0),
                Self.interaction("oA", .click, at: Self.t0 + 1000),
                Self.interaction("oA", .unsubscribe, at: Self.t0 + 2000),
            ], now: Self.t0 + 2000)
            #expect(try await Self.audience(store, now: Self.t0 + 3000).isEmpty)
            var ledger = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 3000, recent: 10))
            #expect(!ledger.subscribed)
            #expect(ledger.grants.isEmpty)
            _ = try await Self.record(store, [Self.interaction("oA", .subscribe, at: Self.t0 + 4000)], now: Self.t0 + 4000)
            ledger = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 4000, recent: 10))
            #expect(ledger.subscribed)
            #expect(ledger.grants == [GrantState(kind: .subscribe, openedAt: Self.t0 + 4000, closesAt: Self.t0 + 64_000, remaining: 3)])
        }
    }

    @Test("an unsubscribe closes grants opened before it even when they arrive after it", arguments: StoreBackend.allCases)
    func outOfOrder(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [Self.interaction("oA", .unsubscribe, at: Self.t0 + 5000)], now: Self.t0 + 6000)
            _ = try await Self.record(store, [Self.interaction("oA", .message, at: Self.t0)], now: Self.t0 + 6000)
            #expect(try await Self.audience(store, now: Self.t0 + 6000).isEmpty)
            let ledger = try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 6000, recent: 10)
            #expect(ledger?.subscribed == false)
            #expect(ledger?.lastInteraction == .unsubscribe)
            // A message after the unsubscribe reopens.
            _ = try await Self.record(store, [Self.interaction("oA", .message, at: Self.t0 + 7000)], now: Self.t0 + 7000)
            #expect(try await Self.audience(store, now: Self.t0 + 7000).count == 1)
        }
    }

    @Test("at equal times (CreateTime has one-second resolution) arrival order decides", arguments: StoreBackend.allCases)
    func sameSecond(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oA", .unsubscribe, at: Self.t0), Self.interaction("oA", .subscribe, at: Self.t0),
                Self.interaction("oB", .subscribe, at: Self.t0), Self.interaction("oB", .unsubscribe, at: Self.t0),
            ], now: Self.t0)
            #expect(try await Self.audience(store, now: Self.t0).map(\.openid) == ["oA"])
            #expect(try await store.follower(appid: Self.appid, openid: "oB", now: Self.t0, recent: 1)?.subscribed == false)
        }
    }

    @Test("the latest interaction by time decides subscription, whatever the arrival order, in a batch or across batches",
          arguments: StoreBackend.allCases)
    func batchOrder(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oA", .message, at: Self.t0), Self.interaction("oB", .unsubscribe, at: Self.t0),
                Self.interaction("oC", .message, at: Self.t0), Self.interaction("oC", .event, at: Self.t0 + 3000),
            ], now: Self.t0)
            // oC: an unsubscribe arriving after a later event still unsubscribes.
            _ = try await Self.record(store, [Self.interaction("oC", .unsubscribe, at: Self.t0 + 2000)], now: Self.t0 + 3000)
            let c = try #require(try await store.follower(appid: Self.appid, openid: "oC", now: Self.t0 + 3000, recent: 10))
            #expect(!c.subscribed)
            #expect(c.lastInteraction == .event)
            #expect(c.grants.isEmpty)
            _ = try await Self.record(store, [
                // oA: an event after an unsubscribe keeps the follower unsubscribed; the message
                // before the unsubscribe opens nothing.
                Self.interaction("oA", .event, at: Self.t0 + 3000), Self.interaction("oA", .unsubscribe, at: Self.t0 + 2000),
                Self.interaction("oA", .message, at: Self.t0 + 1000),
                // oB: a follow, then a menu click with its key, arriving last.
                Self.interaction("oB", .click, at: Self.t0 + 3000, key: "MENU_1"), Self.interaction("oB", .subscribe, at: Self.t0 + 2000),
            ], now: Self.t0 + 3000)
            let a = try #require(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0 + 3000, recent: 10))
            #expect(!a.subscribed)
            #expect(a.lastInteraction == .event && a.lastInteractionAt == Self.t0 + 3000)
            #expect(a.grants.isEmpty)
            let b = try #require(try await store.follower(appid: Self.appid, openid: "oB", now: Self.t0 + 3000, recent: 10))
            #expect(b.subscribed)
            #expect(b.lastInteraction == .click)
            #expect(b.grants.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.click, .subscribe])
            #expect(b.recentInteractions.first { $0.kind == .click }?.key == "MENU_1")
            #expect(b.recentInteractions.first { $0.kind == .subscribe }?.key == nil)
            #expect(try await Self.audience(store, now: Self.t0 + 3000).map(\.openid) == ["oB"])
        }
    }

    @Test("a follower recorded before the deciding interaction was kept is weighed by its latest interaction",
          arguments: StoreBackend.allCases)
    func followersFromBeforeDecidedColumns(backend: StoreBackend) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = try await backend.freshURL(in: directory)
        let store = try await KefuAppStore.open(url)
        do {
            try await store.migrate()
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oL", .message, at: Self.t0), Self.interaction("oL", .unsubscribe, at: Self.t0 + 3000),
            ], now: Self.t0 + 3000)
            // The row as an earlier kefu left it.
            let forget = "UPDATE followers SET decided_at = NULL, decided_id = NULL"
            switch backend {
            case .sqlite: _ = try await #require(store as? SQLiteStore).writer.query(forget)
            case .postgres: try await PostgresCluster.shared().execute(forget, database: url)
            }
            // An older message arriving now does not resubscribe; a new follow does.
            _ = try await Self.record(store, [Self.interaction("oL", .message, at: Self.t0 + 1000)], now: Self.t0 + 4000)
            #expect(try await store.follower(appid: Self.appid, openid: "oL", now: Self.t0 + 4000, recent: 1)?.subscribed == false)
            _ = try await Self.record(store, [Self.interaction("oL", .subscribe, at: Self.t0 + 5000)], now: Self.t0 + 5000)
            #expect(try await store.follower(appid: Self.appid, openid: "oL", now: Self.t0 + 5000, recent: 1)?.subscribed == true)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a retried push is recorded once, in the same batch or a later one", arguments: StoreBackend.allCases)
    func dedupe(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            let push = Self.interaction("oA", .message, at: Self.t0, dedupe: "m:1")
            #expect(try await Self.record(store, [push, push], now: Self.t0) == [true, false])
            #expect(try await Self.record(store, [push], now: Self.t0 + 5000) == [false])
            let ledger = try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0, recent: 10)
            #expect(ledger?.recentInteractions.count == 1)
        }
    }

    @Test("events that open no window, and unknown kinds, are logged but open nothing", arguments: StoreBackend.allCases)
    func nonQualifying(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            _ = try await Self.record(store, [
                Self.interaction("oA", .event, at: Self.t0), Self.interaction("oA", .other, at: Self.t0 + 1),
            ], now: Self.t0 + 1)
            #expect(try await Self.audience(store, now: Self.t0 + 1).isEmpty)
            let ledger = try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0, recent: 10)
            #expect(ledger?.recentInteractions.map(\.kind) == [.other, .event])
        }
    }

    @Test("unlimited grants (sends: null) show remaining null", arguments: StoreBackend.allCases)
    func unlimited(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            let policy = try WindowPolicy(grants: [.init(on: .message, sends: nil, seconds: 100)])
            _ = try await store.record([Self.interaction("oA", .message, at: Self.t0)], policy: policy, now: Self.t0)
            let users = try await Self.audience(store, now: Self.t0)
            #expect(users.count == 1)
            #expect(users.first?.remaining == nil)
        }
    }

    @Test("audience: closing soonest first, counted, paged by cursor without gaps or repeats", arguments: StoreBackend.allCases)
    func audiencePaging(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            var items: [Interaction] = []
            for index in 0..<250 {
                // Pairs share a time so the openid tie-break is exercised.
                items.append(Self.interaction(String(format: "o%04d", 249 - index), .message, at: Self.t0 + Int64(index / 2) * 1000))
            }
            items.append(Self.interaction("oGone", .subscribe, at: Self.t0 - 120_000))
            _ = try await Self.record(store, items, now: Self.t0 + 200_000)
            var seen: [AudienceEntry] = []
            var cursor: AudienceCursor?
            var pages = 0
            repeat {
                let page = try await store.audience(appid: Self.appid, now: Self.t0 + 200_000, limit: 100, after: cursor)
                #expect(page.count == 250)
                seen += page.users
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil
            #expect(pages == 3)
            #expect(seen.count == 250)
            #expect(Set(seen.map(\.openid)).count == 250)
            let keys = seen.map { ($0.windowClosesAt, $0.openid) }
            #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test("imports older than the window open nothing but are logged", arguments: StoreBackend.allCases)
    func oldImports(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store)
            let old = Interaction(appid: Self.appid, openid: "oA", kind: .message, detail: "import", at: Self.t0 - 7_200_000,
                                  dedupeKey: Interaction.importKey(openid: "oA", kind: .message, at: Self.t0 - 7_200_000))
            #expect(try await Self.record(store, [old], now: Self.t0) == [true])
            #expect(try await Self.record(store, [old], now: Self.t0) == [false])
            #expect(try await Self.audience(store, now: Self.t0).isEmpty)
            #expect(try await store.follower(appid: Self.appid, openid: "oA", now: Self.t0, recent: 5)?.lastInteraction == .message)
        }
    }

    @Test("the ledger survives closing and reopening the store", arguments: StoreBackend.allCases)
    func persistence(backend: StoreBackend) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = try await backend.freshURL(in: directory)
        let first = try await KefuAppStore.open(url)
        try await first.migrate()
        try await first.createAccount(TestAccounts.plain(1))
        _ = try await first.record([Self.interaction("oA", .message, at: Self.t0)], policy: testPolicy, now: Self.t0)
        try await first.close()
        let second = try await KefuAppStore.open(url)
        try await second.migrate()
        #expect(try await second.account(appid: Self.appid)?.token == TestAccounts.plain(1).token)
        #expect(try await second.audience(appid: Self.appid, now: Self.t0, limit: 10, after: nil).users.map(\.openid) == ["oA"])
        try await second.close()
    }
}

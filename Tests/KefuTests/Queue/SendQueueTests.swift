import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import Testing

/// The send queue's rules at the store level, against every backend, with a manual clock.
@Suite("Send queue")
struct SendQueueTests {
    static let t0: Int64 = 1_800_000_000_000
    static let appid = TestAccounts.appid(1)
    static let text = try! CustomMessage(json: #"{"msgtype": "text", "text": {"content": "hi"}}"#)

    /// An account and `count` followers who each sent a message at t0 + index seconds
    /// (so their windows close one second apart, the first soonest).
    static func setUp(_ store: any KefuStore, count: Int, rate: Int = 10_000, budget: Int = 500_000, reserve: Int = 0) async throws {
        var account = TestAccounts.plain(1)
        account.sendRate = rate
        account.dailyBudget = budget
        account.reserve = reserve
        try await store.createAccount(account)
        let items = (0..<count).map { index in
            Interaction(appid: appid, openid: "o\(index)", kind: .message, detail: "text", at: t0 + Int64(index) * 1000, dedupeKey: "m:\(index)")
        }
        // In chunks, as an import records them: one statement of 20,000 has outrun the store's
        // 5 s deadline for recording (meant for the callback's batches) with every suite running.
        for start in stride(from: 0, to: items.count, by: 2_000) {
            _ = try await store.record(Array(items[start..<min(start + 2_000, items.count)]), policy: testPolicy, now: t0 + Int64(count) * 1000)
        }
    }

    /// `setUp`, then a broadcast to everyone started once they have all interacted: when, and
    /// the task's id.
    static func broadcast(_ store: any KefuStore, count: Int, rate: Int = 10_000) async throws -> (now: Int64, task: Int64) {
        try await setUp(store, count: count, rate: rate)
        let now = t0 + Int64(count) * 1000 + 100_000
        let id = try await task(store, at: now)
        _ = try await store.startDueTasks(now: now)
        return (now, id)
    }

    static func task(_ store: any KefuStore, at sendAt: Int64) async throws -> Int64 {
        try await store.createTask(BroadcastTask(appid: appid, name: "t", sendAt: sendAt, message: text, createdAt: t0, updatedAt: t0))
    }

    static func sent(_ claimed: [ClaimedDelivery], at: Int64) -> [DeliveryResult] {
        claimed.map { DeliveryResult(delivery: $0, outcome: .sent, at: at) }
    }

    @Test("a task starts at its send time, once, with one delivery per eligible follower", arguments: StoreBackend.allCases)
    func snapshotOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 50)
            let start = Self.t0 + 100_000
            let id = try await Self.task(store, at: start)
            #expect(try await store.startDueTasks(now: start - 1).isEmpty)
            let started = try await store.startDueTasks(now: start)
            #expect(started.count == 1 && started.first?.0 == id && started.first?.1 == 50)
            #expect(try await store.startDueTasks(now: start + 1).isEmpty)
            #expect(try await store.task(id: id)?.status == .running)
            #expect(try await store.taskStats(id: id).audience == 50)
        }
    }

    @Test("lifting pauses by reason prefix removes exactly those, whatever the prefix holds", arguments: StoreBackend.allCases)
    func liftPausesByPrefix(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let reasons = [
                AccountPause.unreachablePrefix + "connection refused",
                "daily quota exhausted (45009)",
                "WeChat unreachable", // the prefix without its ": "
                "微信 不可达: 超时",
                "100%_' OR 1=1 --",
            ]
            var appids: [String] = []
            for (index, reason) in reasons.enumerated() {
                let account = TestAccounts.plain(40 + index)
                try await store.createAccount(account)
                try await store.pauseAccount(appid: account.appid, pause: AccountPause(until: Self.t0 + 60_000, reason: reason))
                appids.append(account.appid)
            }
            func paused() async throws -> [String] {
                var reasons: [String] = []
                for appid in appids { if let pause = try await store.accountPause(appid: appid, now: Self.t0) { reasons.append(pause.reason) } }
                return reasons
            }
            try await store.liftAccountPauses(reasonPrefix: AccountPause.unreachablePrefix)
            #expect(try await paused() == Array(reasons.dropFirst()))
            // Characters, not bytes, and no pattern: `%` and `_` are themselves, a quote is data.
            try await store.liftAccountPauses(reasonPrefix: "微信 不可达")
            try await store.liftAccountPauses(reasonPrefix: "100%_' OR")
            try await store.liftAccountPauses(reasonPrefix: "%")
            #expect(try await paused() == ["daily quota exhausted (45009)", "WeChat unreachable"])
        }
    }

    @Test("the snapshot leaves out followers at or below the account's reserve", arguments: StoreBackend.allCases)
    func reserve(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 10, reserve: 5)
            // Message grants have 5 sends: at reserve 5 automation may use none of them.
            let id = try await Self.task(store, at: Self.t0 + 20_000)
            #expect(try await store.startDueTasks(now: Self.t0 + 20_000).first?.1 == 0)
            #expect(try await store.taskStats(id: id).audience == 0)
        }
    }

    @Test("claims go earliest window close first and reserve one unit of the grant", arguments: StoreBackend.allCases)
    func earliestDeadlineFirst(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 30)
            let now = Self.t0 + 40_000
            _ = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            let claimed = try await store.claimDeliveries(owner: "w", now: now + 1000, limit: 10, leaseMillis: 60_000)
            #expect(claimed.map(\.openid) == (0..<10).map { "o\($0)" })
            let ledger = try await store.follower(appid: Self.appid, openid: "o0", now: now, recent: 1)
            #expect(ledger?.grants.first?.remaining == 4)
        }
    }

    @Test("the account's send rate bounds claims over time", arguments: StoreBackend.allCases)
    func rate(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let now = try await Self.broadcast(store, count: 300, rate: 50).now
            var total = 0
            // 20 claims, 100 ms apart, each asking for everything: 2 s at 50/s.
            for step in 1...20 {
                total += try await store.claimDeliveries(owner: "w", now: now + Int64(step) * 100, limit: 1000, leaseMillis: 60_000).count
            }
            #expect(total == 100)
        }
    }

    @Test("a cancelled task's deliveries are never claimed; its pending ones are cancelled in chunks, and what the call leaves the trimmer finishes",
          arguments: StoreBackend.allCases)
    func cancelInChunks(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let (now, id) = try await Self.broadcast(store, count: 2_500)
            // No time for more than the first chunk, as when a huge broadcast's cancel runs out of
            // its budget, or the process stops between chunks.
            #expect(try await store.cancelTask(id: id, now: now + 1, chunk: 1_000, budget: .zero))
            #expect(try await store.task(id: id)?.status == .cancelled)
            var stats = try await store.taskStats(id: id)
            #expect(stats.cancelled == 1_000 && stats.pending == 1_500, "\(stats)")
            #expect(try await store.claimDeliveries(owner: "w", now: now + 2, limit: 1000, leaseMillis: 60_000).isEmpty,
                    "nothing of a cancelled task is claimed, pending or not")
            #expect(try await store.cancelTask(id: id, now: now + 3) == false, "a task is cancelled once")

            let trimmer = Trimmer(store: store, clock: ManualWallClock(now + 4), configuration: .init(batchSize: 400), logger: Logger.test())
            #expect(try await trimmer.pass().cancelled == 1_500)
            stats = try await store.taskStats(id: id)
            #expect(stats.cancelled == 2_500 && stats.pending == 0, "\(stats)")
            let reasons = Set(try await store.deliveries(taskId: id, state: .cancelled, limit: 3_000, afterId: nil).compactMap(\.reason))
            #expect(reasons == [DeliveryReason.taskCancelled])
            #expect(try await trimmer.pass().cancelled == 0)
        }
    }

    @Test("the daily budget caps claims until the next China-time day", arguments: StoreBackend.allCases)
    func budget(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 10, budget: 3)
            let now = Self.t0 + 20_000
            _ = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            var total = 0
            for step in 1...10 { total += try await store.claimDeliveries(owner: "w", now: now + Int64(step) * 1000, limit: 100, leaseMillis: 600_000).count }
            #expect(total == 3)
        }
    }

    @Test("before each send the ledger is re-checked: unsubscribed, closed and used-up windows are skipped with a reason", arguments: StoreBackend.allCases)
    func skipReasons(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 3)
            let now = Self.t0 + 10_000
            let id = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            _ = try await store.record([Interaction(appid: Self.appid, openid: "o1", kind: .unsubscribe, detail: "unsubscribe",
                                                    at: now, dedupeKey: "u1")], policy: testPolicy, now: now)
            // o0's window closes at t0 + 1 h; by then it is closed.
            let later = Self.t0 + 3_600_000 + 500
            _ = try await store.claimDeliveries(owner: "w", now: later - 1000, limit: 0, leaseMillis: 60_000)
            let claimed = try await store.claimDeliveries(owner: "w", now: later, limit: 10, leaseMillis: 60_000)
            #expect(claimed.map(\.openid) == ["o2"])
            let rows = try await store.deliveries(taskId: id, state: .skipped, limit: 10, afterId: nil)
            #expect(Set(rows.map { "\($0.openid): \($0.reason ?? "")" }) == ["o0: window closed", "o1: follower unsubscribed"])
        }
    }

    @Test("paused tasks are not sent; cancelled tasks cancel what is waiting", arguments: StoreBackend.allCases)
    func pauseAndCancel(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 10)
            let now = Self.t0 + 20_000
            let id = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            _ = try await store.claimDeliveries(owner: "w", now: now, limit: 0, leaseMillis: 60_000)
            #expect(try await store.transitionTask(id: id, from: [.running], to: .paused, now: now))
            #expect(try await store.claimDeliveries(owner: "w", now: now + 1000, limit: 5, leaseMillis: 60_000).isEmpty)
            #expect(try await store.transitionTask(id: id, from: [.paused], to: .running, now: now))
            let claimed = try await store.claimDeliveries(owner: "w", now: now + 2000, limit: 4, leaseMillis: 60_000)
            #expect(claimed.count == 4)
            try await store.recordResults(Self.sent(claimed, at: now + 2000), owner: "w")
            #expect(try await store.cancelTask(id: id, now: now + 3000))
            let stats = try await store.taskStats(id: id)
            #expect(stats.sent == 4 && stats.cancelled == 6 && stats.pending == 0)
            #expect(try await store.deliveries(taskId: id, state: .cancelled, limit: 1, afterId: nil).first?.reason == "task cancelled")
            #expect(try await store.completeFinishedTasks(now: now + 4000).isEmpty, "a cancelled task stays cancelled")
        }
    }

    /// A task of `count` followers started at `now`, all claimed a second later by a worker
    /// that then "dies" (lease 1 s): the task's id and the claims.
    static func claimedByDeadWorker(_ store: any KefuStore, count: Int, now: Int64) async throws -> (Int64, [ClaimedDelivery]) {
        try await Self.setUp(store, count: count)
        let id = try await Self.task(store, at: now)
        _ = try await store.startDueTasks(now: now)
        _ = try await store.claimDeliveries(owner: "dead", now: now, limit: 0, leaseMillis: 1000)
        let claimed = try await store.claimDeliveries(owner: "dead", now: now + 1000, limit: 10, leaseMillis: 1000)
        #expect(claimed.count == count)
        return (id, claimed)
    }

    @Test("a dead worker's claims never started go back to the queue under either policy, unit and budget refunded, no attempt counted",
          arguments: StoreBackend.allCases)
    func neverStarted(backend: StoreBackend) async throws {
        for policy in UnknownOutcomePolicy.allCases {
            try await backend.withStore { store, _ in
                let now = Self.t0 + 10_000
                let (id, claimed) = try await Self.claimedByDeadWorker(store, count: 3, now: now)
                // One call was about to go out when the worker died; the other two never started.
                #expect(try await store.markStarted([claimed[0].id], owner: "dead", now: now + 1100) == [claimed[0].id])
                #expect(try await store.recoverExpiredLeases(now: now + 2001, policy: policy) == 3)
                let stats = try await store.taskStats(id: id)
                #expect(stats.pending == (policy == .skip ? 2 : 3))
                #expect(stats.skipped == (policy == .skip ? 1 : 0))
                if policy == .skip {
                    let skipped = try await store.deliveries(taskId: id, state: .skipped, limit: 5, afterId: nil)
                    #expect(skipped.map(\.openid) == [claimed[0].openid])
                    #expect(skipped.first?.reason == DeliveryReason.outcomeUnknown)
                }
                for delivery in claimed.dropFirst() {
                    let remaining = try await store.follower(appid: Self.appid, openid: delivery.openid, now: now, recent: 1)?.grants.first?.remaining
                    #expect(remaining == 5, "the unit comes back")
                }
                let again = try await store.claimDeliveries(owner: "alive", now: now + 3000, limit: 10, leaseMillis: 1000)
                #expect(Set(again.map(\.openid)).isSuperset(of: claimed.dropFirst().map(\.openid)))
                #expect(again.filter { $0.id != claimed[0].id }.allSatisfy { $0.attempts == 0 }, "not counted as an attempt")
            }
        }
    }

    @Test("fencing: a worker whose lease was lost or expired starts nothing; the one holding it now does", arguments: StoreBackend.allCases)
    func fencing(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 2)
            let now = Self.t0 + 10_000
            _ = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            _ = try await store.claimDeliveries(owner: "slow", now: now, limit: 0, leaseMillis: 1000)
            let claimed = try await store.claimDeliveries(owner: "slow", now: now + 1000, limit: 10, leaseMillis: 1000)
            #expect(claimed.count == 2)
            #expect(try await store.markStarted(claimed.map(\.id), owner: "slow", now: now + 2001).isEmpty,
                    "its lease expired, even before anyone recovered it")
            #expect(try await store.recoverExpiredLeases(now: now + 2001, policy: .skip) == 2)
            let taken = try await store.claimDeliveries(owner: "other", now: now + 3000, limit: 10, leaseMillis: 1000)
            #expect(taken.count == 2)
            #expect(try await store.markStarted(claimed.map(\.id), owner: "slow", now: now + 3100).isEmpty)
            #expect(try await store.markStarted(taken.map(\.id), owner: "other", now: now + 3100) == taken.map(\.id))
        }
    }

    @Test("a dead worker's started claims: skip (at-most-once) keeps the unit spent; retry gives it back and sends again", arguments: StoreBackend.allCases)
    func expiredLeases(backend: StoreBackend) async throws {
        for policy in UnknownOutcomePolicy.allCases {
            try await backend.withStore { store, _ in
                let now = Self.t0 + 10_000
                let (id, claimed) = try await Self.claimedByDeadWorker(store, count: 2, now: now)
                #expect(try await store.markStarted(claimed.map(\.id), owner: "dead", now: now + 1000).count == 2)
                #expect(try await store.recoverExpiredLeases(now: now + 1500, policy: policy) == 0)
                #expect(try await store.recoverExpiredLeases(now: now + 2001, policy: policy) == 2)
                let remaining = try await store.follower(appid: Self.appid, openid: "o0", now: now, recent: 1)?.grants.first?.remaining
                let stats = try await store.taskStats(id: id)
                switch policy {
                case .skip:
                    #expect(stats.skipped == 2 && stats.pending == 0)
                    #expect(remaining == 4)
                case .retry:
                    #expect(stats.pending == 2)
                    #expect(remaining == 5)
                    let again = try await store.claimDeliveries(owner: "alive", now: now + 3000, limit: 10, leaseMillis: 1000)
                    #expect(again.count == 2 && again.allSatisfy { $0.attempts == 1 })
                }
                // A late answer from the dead worker cannot overwrite what the recovery decided… unless it was sent;
                // the store says which results changed nothing, for the sender to log.
                let notOwned = try await store.recordResults([DeliveryResult(delivery: ClaimedDelivery(id: 1, appid: Self.appid, openid: "o0",
                    message: "", attempts: 0, grantKind: "message"), outcome: .failed(reason: "late", errcode: 1), at: now + 4000)], owner: "dead")
                #expect(notOwned == [1])
                #expect(try await store.deliveries(taskId: id, state: .failed, limit: 5, afterId: nil).isEmpty)
                // …and a late answer that it was sent is the truth, whoever holds the delivery now
                // (a recording of sends only is one statement, outside a transaction).
                let late = try await store.recordResults(Self.sent([claimed[1]], at: now + 4000), owner: "dead")
                #expect(late.isEmpty)
                #expect(try await store.taskStats(id: id).sent == 1)
                #expect(try await store.deliveries(taskId: id, state: .sent, limit: 5, afterId: nil).map(\.id) == [claimed[1].id])
            }
        }
    }

    @Test("one recording hands many claims back set-based: every unit and budget slot returns, errcodes and attempts as given; claims not held are reported and unchanged",
          arguments: StoreBackend.allCases)
    func handBacks(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 6, budget: 6)
            let now = Self.t0 + 10_000
            let id = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            _ = try await store.claimDeliveries(owner: "w", now: now, limit: 0, leaseMillis: 60_000)
            let claimed = try await store.claimDeliveries(owner: "w", now: now + 1000, limit: 10, leaseMillis: 60_000)
            #expect(claimed.count == 6)
            let byOpenid = Dictionary(uniqueKeysWithValues: claimed.map { ($0.openid, $0) })
            func back(_ openid: String, errcode: Int? = nil, counts: Bool = false) -> DeliveryResult {
                DeliveryResult(delivery: byOpenid[openid]!, outcome: .retry(dueAt: now + 2000, errcode: errcode, countsAsAttempt: counts), at: now + 1500)
            }
            // A worker that does not hold o5 hands it back: reported, nothing changes.
            #expect(try await store.recordResults([back("o5")], owner: "other") == [byOpenid["o5"]!.id])
            let notOwned = try await store.recordResults(["o0", "o1", "o2", "o3"].map { back($0) } + [back("o4", errcode: -1, counts: true)], owner: "w")
            #expect(notOwned.isEmpty)
            let waiting = try await store.deliveries(taskId: id, state: .pending, limit: 10, afterId: nil)
            #expect(Set(waiting.map(\.openid)) == ["o0", "o1", "o2", "o3", "o4"], "back in the queue; o5 still claimed")
            for openid in ["o0", "o1", "o2", "o3", "o4"] {
                let follower = try await store.follower(appid: Self.appid, openid: openid, now: now + 1500, recent: 1)
                #expect(follower?.grants.first?.remaining == 5, "\(openid)'s unit comes back")
                #expect(follower?.recentDeliveries.first?.errcode == (openid == "o4" ? -1 : nil))
            }
            #expect(try await store.follower(appid: Self.appid, openid: "o5", now: now + 1500, recent: 1)?.grants.first?.remaining == 4)
            // The day's budget of 6 has o5's slot spent and the five others back.
            let again = try await store.claimDeliveries(owner: "w2", now: now + 3000, limit: 10, leaseMillis: 60_000)
            #expect(Set(again.map(\.openid)) == ["o0", "o1", "o2", "o3", "o4"])
            #expect(again.allSatisfy { $0.attempts == ($0.openid == "o4" ? 1 : 0) }, "an attempt counted only where asked")
        }
    }

    @Test("WeChat's answers update the ledger: 45015 closes the window, 43004 unsubscribes", arguments: StoreBackend.allCases)
    func ledgerEffects(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            try await Self.setUp(store, count: 3)
            let now = Self.t0 + 10_000
            let id = try await Self.task(store, at: now)
            _ = try await store.startDueTasks(now: now)
            _ = try await store.claimDeliveries(owner: "w", now: now, limit: 0, leaseMillis: 60_000)
            let claimed = try await store.claimDeliveries(owner: "w", now: now + 1000, limit: 3, leaseMillis: 60_000)
            let byOpenid = Dictionary(uniqueKeysWithValues: claimed.map { ($0.openid, $0) })
            try await store.recordResults([
                DeliveryResult(delivery: byOpenid["o0"]!, outcome: .skipped(reason: "window closed", errcode: 45015), ledgerEffect: .closeWindow, at: now),
                DeliveryResult(delivery: byOpenid["o1"]!, outcome: .skipped(reason: "follower unsubscribed", errcode: 43004), ledgerEffect: .unsubscribe, at: now),
                DeliveryResult(delivery: byOpenid["o2"]!, outcome: .sent, at: now),
            ], owner: "w")
            let audience = try await store.audience(appid: Self.appid, now: now, limit: 10, after: nil)
            #expect(audience.users.map(\.openid) == ["o2"])
            #expect(try await store.follower(appid: Self.appid, openid: "o1", now: now, recent: 1)?.subscribed == false)
            // The follower's ledger says why: the delivery, its state, reason and errcode.
            let why = try await store.follower(appid: Self.appid, openid: "o0", now: now, recent: 5)?.recentDeliveries.first
            #expect(why?.taskId == id && why?.state == "skipped" && why?.reason == "window closed" && why?.errcode == 45015)
            let stats = try await store.taskStats(id: id)
            #expect(stats.sent == 1 && stats.skipped == 2 && stats.errors == [45015: 1, 43004: 1])
            #expect(try await store.completeFinishedTasks(now: now) == [id])
            // Past retention the finished per-recipient log goes; nothing waiting is touched.
            #expect(try await store.trimFinishedDeliveries(before: now - 1, limit: 10) == 0)
            #expect(try await store.trimFinishedDeliveries(before: now + 100_000, limit: 2) == 2)
            #expect(try await store.trimFinishedDeliveries(before: now + 100_000, limit: 2) == 1)
        }
    }
}

import KefuCore
import KefuStore
import KefuTestSupport
import Testing

@Suite("Delayed rules")
struct DelayedRuleTests {
    static let t0: Int64 = 1_800_000_000_000
    static let appid = TestAccounts.appid(1)
    static let text = try! CustomMessage(json: #"{"msgtype": "text", "text": {"content": "later"}}"#)

    static func interaction(_ openid: String, _ kind: InteractionKind, key: String? = nil, content: String? = nil, at: Int64 = t0, n: Int) -> Interaction {
        Interaction(appid: appid, openid: openid, kind: kind, detail: kind.rawValue, key: key, content: content, at: at, dedupeKey: "i\(n)")
    }

    @Test("triggers match kind and key: keyword in text, QR scene, menu key, or any", arguments: [
        (DelayedRule.TriggerKind?.some(.message), "优惠" as String?, InteractionKind.message, nil as String?, "领取优惠券" as String?, true),
        (.message, "优惠", .message, nil, "hello", false),
        (.message, "Coupon", .message, nil, "my coupon please", true),
        (.subscribe, "spring", .subscribe, "spring", nil, true),
        (.subscribe, "spring", .subscribe, "autumn", nil, false),
        (.subscribe, nil, .subscribe, nil, nil, true),
        (.scan, "7", .scan, "7", nil, true),
        (.click, "MENU_1", .click, "MENU_1", nil, true),
        (.click, "MENU_1", .click, "MENU_2", nil, false),
        (.click, nil, .message, nil, "hi", false),
        (nil, nil, .click, "M", nil, true),
        (nil, nil, .unsubscribe, nil, nil, false),
        (nil, nil, .event, "VIEW", nil, false),
    ])
    func matching(kind: DelayedRule.TriggerKind?, key: String?, actual: InteractionKind, actualKey: String?, content: String?, matches: Bool) {
        let trigger = DelayedRule.Trigger(kind: kind, key: key)
        #expect(trigger.matches(Self.interaction("o", actual, key: actualKey, content: content, n: 0)) == matches)
    }

    @Test("warnings: a delay past the trigger's own window says who can still be reached")
    func warnings() {
        let rule = DelayedRule(appid: Self.appid, name: "r", trigger: .init(kind: .subscribe), delaySeconds: 600, message: Self.text, createdAt: 0, updatedAt: 0)
        let warnings = rule.warnings(policy: .wechatDefault)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("1 min window") == true)
        #expect(warnings.first?.contains("sent a message within the 2 d") == true)
        var quick = rule
        quick.delaySeconds = 30
        #expect(quick.warnings(policy: .wechatDefault).isEmpty)
        var any = rule
        any.trigger = .init(kind: nil)
        #expect(any.warnings(policy: .wechatDefault).count == 3, "subscribe, scan and click grants last a minute")
    }

    static func setUp(_ store: any KefuStore, rules: [DelayedRule]) async throws -> [Int64] {
        try await store.createAccount(TestAccounts.plain(1))
        var ids: [Int64] = []
        for rule in rules { ids.append(try await store.createRule(rule)) }
        return ids
    }

    static func rule(_ kind: DelayedRule.TriggerKind?, key: String? = nil, delay: Int = 30, once: Bool = false, cooldown: Int = 0) -> DelayedRule {
        DelayedRule(appid: appid, name: "r", trigger: .init(kind: kind, key: key), delaySeconds: delay, message: text,
                    oncePerFollower: once, cooldownSeconds: cooldown, createdAt: t0 - 1000, updatedAt: t0 - 1000)
    }

    static func evaluate(_ store: any KefuStore) async throws -> (Int, Int) {
        let rules = try await store.rules(appid: nil)
        let generation = try await store.rulesGeneration()
        var total = (0, 0)
        while let (evaluated, enqueued) = try await store.evaluateTriggers(
            rules: Dictionary(grouping: rules.filter(\.enabled), by: \.appid), generation: generation, limit: 7, now: t0), evaluated > 0 {
            total.0 += evaluated
            total.1 += enqueued
        }
        return total
    }

    @Test("the log is evaluated once, in order, from a durable position; deliveries wait until due", arguments: StoreBackend.allCases)
    func exactlyOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let ids = try await Self.setUp(store, rules: [Self.rule(.message, key: "hi", delay: 30)])
            let items = (0..<20).map { Self.interaction("o\($0)", .message, content: $0 % 2 == 0 ? "hi there" : "bye", n: $0) }
            _ = try await store.record(items, policy: testPolicy, now: Self.t0)
            #expect(try await Self.evaluate(store) == (20, 10))
            #expect(try await Self.evaluate(store) == (0, 0), "nothing is evaluated twice")
            _ = try await store.record([Self.interaction("o99", .message, content: "hi", n: 99)], policy: testPolicy, now: Self.t0)
            #expect(try await Self.evaluate(store) == (1, 1))
            #expect(try await store.ruleDeliveries(ruleId: ids[0], state: .waiting, limit: 100, afterId: nil).count == 11)
            #expect(try await store.promoteDueDeliveries(now: Self.t0 + 29_999, limit: 100) == (0, Self.t0 + 30_000))
            #expect(try await store.promoteDueDeliveries(now: Self.t0 + 30_000, limit: 100) == (11, nil))
            #expect(try await store.ruleDeliveries(ruleId: ids[0], state: .pending, limit: 100, afterId: nil).count == 11)
        }
    }

    @Test("interactions of accounts without rules are consumed too, in batches that hold none with rules", arguments: StoreBackend.allCases)
    func accountsWithoutRules(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let ids = try await Self.setUp(store, rules: [Self.rule(.message)])
            try await store.createAccount(TestAccounts.plain(2))
            let other = TestAccounts.appid(2)
            // 10 of the other account's first (more than a batch of 7), then both interleaved.
            var items = (0..<10).map {
                Interaction(appid: other, openid: "oB\($0)", kind: .message, detail: "text", content: "m", at: Self.t0, dedupeKey: "b\($0)")
            }
            for n in 0..<6 {
                items.append(Self.interaction("oA\(n)", .message, content: "m", n: n))
                items.append(Interaction(appid: other, openid: "oC\(n)", kind: .message, detail: "text", content: "m", at: Self.t0, dedupeKey: "c\(n)"))
            }
            _ = try await store.record(items, policy: testPolicy, now: Self.t0)
            #expect(try await Self.evaluate(store) == (22, 6), "every interaction consumed; the ruled account's six matched")
            #expect(try await Self.evaluate(store) == (0, 0))
            let queued = try await store.ruleDeliveries(ruleId: ids[0], state: .waiting, limit: 100, afterId: nil)
            #expect(Set(queued.map(\.openid)) == Set((0..<6).map { "oA\($0)" }))
            // No rules anywhere: consumed all the same.
            _ = try await store.record([Interaction(appid: other, openid: "oD", kind: .message, detail: "text", content: "m", at: Self.t0,
                                                    dedupeKey: "d")], policy: testPolicy, now: Self.t0)
            let generation = try await store.rulesGeneration()
            let consumed = try await store.evaluateTriggers(rules: [:], generation: generation, limit: 7, now: Self.t0)
            #expect(consumed?.evaluated == 1 && consumed?.enqueued == 0)
            #expect(try await Self.evaluate(store) == (0, 0))
        }
    }

    @Test("a batch evaluated with stale rules is refused and changes nothing", arguments: StoreBackend.allCases)
    func staleRules(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            _ = try await Self.setUp(store, rules: [Self.rule(.message)])
            _ = try await store.record([Self.interaction("o", .message, content: "x", n: 1)], policy: testPolicy, now: Self.t0)
            let generation = try await store.rulesGeneration()
            _ = try await store.createRule(Self.rule(.click))
            let rules = Dictionary(grouping: try await store.rules(appid: nil), by: \.appid)
            #expect(try await store.evaluateTriggers(rules: rules, generation: generation, limit: 10, now: Self.t0) == nil)
            #expect(try await Self.evaluate(store) == (1, 1))
        }
    }

    @Test("once per follower, cooldown, rules created later, imports", arguments: StoreBackend.allCases)
    func limits(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            var late = Self.rule(.click)
            late.createdAt = Self.t0 + 3_600_000
            let ids = try await Self.setUp(store, rules: [Self.rule(.message, once: true), Self.rule(.click, cooldown: 60), late])
            var items: [Interaction] = []
            for step in 0..<4 {
                items.append(Self.interaction("oA", .message, content: "m", at: Self.t0 + Int64(step) * 40_000, n: step))
                items.append(Self.interaction("oA", .click, key: "K", at: Self.t0 + Int64(step) * 40_000, n: 10 + step))
            }
            items.append(Interaction(appid: Self.appid, openid: "oImported", kind: .message, detail: "import", at: Self.t0, dedupeKey: "imp"))
            _ = try await store.record(items, policy: testPolicy, now: Self.t0 + 200_000)
            _ = try await Self.evaluate(store)
            #expect(try await store.ruleDeliveries(ruleId: ids[0], state: nil, limit: 10, afterId: nil).count == 1, "once per follower")
            // Clicks at 0, 40, 80, 120 s with a 60 s cooldown: 0 and 80 fire.
            #expect(try await store.ruleDeliveries(ruleId: ids[1], state: nil, limit: 10, afterId: nil).count == 2)
            #expect(try await store.ruleDeliveries(ruleId: ids[2], state: nil, limit: 10, afterId: nil).isEmpty, "interactions before the rule existed")
        }
    }

    @Test("disabling or deleting a rule cancels its waiting deliveries with a reason", arguments: StoreBackend.allCases)
    func disable(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let ids = try await Self.setUp(store, rules: [Self.rule(.message), Self.rule(.click)])
            _ = try await store.record([Self.interaction("oA", .message, content: "m", n: 1), Self.interaction("oA", .click, key: "K", n: 2)],
                                       policy: testPolicy, now: Self.t0)
            _ = try await Self.evaluate(store)
            var first = try #require(try await store.rule(id: ids[0]))
            first.enabled = false
            try await store.updateRule(first)
            #expect(try await store.ruleDeliveries(ruleId: ids[0], state: .cancelled, limit: 10, afterId: nil).first?.reason == "rule disabled")
            #expect(try await store.deleteRule(id: ids[1], now: Self.t0))
            #expect(try await store.ruleDeliveries(ruleId: ids[1], state: .cancelled, limit: 10, afterId: nil).first?.reason == "rule deleted")
            #expect(try await store.promoteDueDeliveries(now: Self.t0 + 100_000, limit: 10).promoted == 0)
        }
    }
}

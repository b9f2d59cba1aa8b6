import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// Reads the interaction log in order from the store's durable trigger position and turns
/// matches of the accounts' delayed rules into deliveries in the delayed queue. Rules are cached
/// per account and reloaded as soon as the store's rules generation changes (any create, update
/// or delete, from any process) — the store refuses a batch evaluated with stale rules.
public struct TriggerEvaluator: Service {
    let store: any TriggerStore
    let clock: any WallClock
    let logger: Logger
    let batchSize: Int
    let idlePoll: Duration

    public init(store: any TriggerStore, clock: any WallClock, logger: Logger, batchSize: Int = 500, idlePoll: Duration = .milliseconds(50)) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.batchSize = batchSize
        self.idlePoll = idlePoll
    }

    public func run() async throws {
        var cache = RuleCache()
        let failures = StoreFailures("trigger evaluation")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var evaluated = 0
            do {
                evaluated = try await round(&cache)
                failures.succeeded(logger: logger)
            } catch {
                // A store that keeps failing is tried less and less often (up to every 5 s).
                await backOff(after: error, failures, logger: logger)
                continue
            }
            if evaluated == 0 { await idleWait(store, .interactions, poll: idlePoll) }
        }
    }

    /// The rules of every account, as of one generation.
    public struct RuleCache: Sendable {
        public var generation: Int64 = -1
        public var byAccount: [String: [DelayedRule]] = [:]
        public init(generation: Int64 = -1, byAccount: [String: [DelayedRule]] = [:]) {
            self.generation = generation
            self.byAccount = byAccount
        }
    }

    /// Evaluates one batch; returns how many interactions it consumed.
    public func round(_ cache: inout RuleCache) async throws -> Int {
        for _ in 0..<3 {
            let generation = try await store.rulesGeneration()
            if generation != cache.generation {
                let rules = try await store.rules(appid: nil).filter(\.enabled)
                cache = RuleCache(generation: generation, byAccount: Dictionary(grouping: rules, by: \.appid))
                logger.debug("rules reloaded", metadata: ["kefu.rules": "\(rules.count)", "kefu.rules.generation": "\(generation)"])
            }
            if let (evaluated, enqueued) = try await store.evaluateTriggers(
                rules: cache.byAccount, generation: cache.generation, limit: batchSize, now: clock.nowMillis()) {
                if enqueued > 0 { logger.debug("delayed deliveries queued", metadata: ["kefu.deliveries": "\(enqueued)"]) }
                return evaluated
            }
            cache.generation = -1  // changed meanwhile: reload and try again
        }
        return 0
    }
}

import KefuCore

/// The trigger evaluator's view: the rules, their generation, and the interaction log consumed
/// from a durable position.
public protocol TriggerStore: WorkWakeups {
    func rules(appid: String?) async throws -> [DelayedRule]
    /// Bumped by every rule change, so evaluators know when to reload their cached rules.
    func rulesGeneration() async throws -> Int64
    /// Consumes the interaction log in order from the durable trigger position: up to `limit`
    /// interactions are matched against `rules` (by appid) and matching deliveries are queued
    /// (unique per rule and interaction), and the position advances — all in one transaction, so
    /// no interaction is missed or evaluated twice across crashes. Returns nil, changing nothing,
    /// when the rules changed since `generation` (reload and call again).
    func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)?
}

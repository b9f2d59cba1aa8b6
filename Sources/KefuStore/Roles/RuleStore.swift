import KefuCore

/// Delayed rules as operators see them: the admin API.
public protocol RuleStore: Sendable {
    /// Stores a new rule; returns its id. Rules only apply to interactions received after this.
    /// Library files its message names are checked as for tasks (`createTask`), as on update.
    func createRule(_ rule: DelayedRule) async throws -> Int64
    func rule(id: Int64) async throws -> DelayedRule?
    func rules(appid: String?) async throws -> [DelayedRule]
    /// Replaces a rule; disabling it cancels its waiting deliveries ("rule disabled").
    func updateRule(_ rule: DelayedRule) async throws
    /// Deletes a rule and cancels its waiting deliveries ("rule deleted").
    func deleteRule(id: Int64, now: Int64) async throws -> Bool
    func ruleDeliveries(ruleId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord]
    /// A rule's deliveries counted by state.
    func ruleDeliveryCounts(id: Int64) async throws -> [DeliveryState: Int]
    /// How late a rule's sent deliveries were, counted per `LatenessBuckets` bucket (one
    /// aggregate query).
    func ruleLateness(id: Int64) async throws -> [Int]
}

import KefuCore

/// Broadcast tasks as operators see them: the admin API.
public protocol BroadcastStore: Sendable {
    /// Stores a new task and returns its id. A message naming library files not in the
    /// account's library (or of the wrong kind) is refused with a 422 naming the field, checked
    /// in the same transaction.
    func createTask(_ task: BroadcastTask) async throws -> Int64
    func task(id: Int64) async throws -> BroadcastTask?
    func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int) async throws -> [BroadcastTask]
    /// Moves a task from one of `from` to `to`; false when it was in none of them.
    func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool
    /// Cancels a task that has not ended, and every delivery of it still waiting ("task cancelled").
    func cancelTask(id: Int64, now: Int64) async throws -> Bool
    func taskStats(id: Int64) async throws -> TaskStats
    func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview?
    /// The per-recipient log, by id, from `afterId`.
    func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord]
    /// Queues test sends of a task's message to the listed openids, due now (not counted in stats).
    func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int
}

import KefuCore

/// Broadcast tasks as operators see them: the admin API.
public protocol BroadcastStore: Sendable {
    /// Stores a new task and returns its id. A message naming library files not in the
    /// account's library (or of the wrong kind) is refused with a 422 naming the field, checked
    /// in the same transaction.
    func createTask(_ task: BroadcastTask) async throws -> Int64
    func task(id: Int64) async throws -> BroadcastTask?
    /// Newest first: at most `limit` tasks, of one account and one status when given, with ids
    /// below `beforeId` when given (the next page).
    func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int, beforeId: Int64?) async throws -> [BroadcastTask]
    /// Moves a task from one of `from` to `to`; false when it was in none of them.
    func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool
    /// Cancels a task that has not ended, and the deliveries of it still waiting ("task
    /// cancelled"): `chunk` at a time, for up to `budget` (the first chunk always); the trimmer
    /// cancels the rest (`LedgerTrimming.cancelLeftovers`). None is claimed once the task is
    /// cancelled. False when the task had ended or does not exist.
    func cancelTask(id: Int64, now: Int64, chunk: Int, budget: Duration) async throws -> Bool
    func taskStats(id: Int64) async throws -> TaskStats
    func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview?
    /// The same forecast for a task not yet created: `appid`'s audience for a send at `sendAt`
    /// (nil when there is no such account).
    func audienceForecast(appid: String, sendAt: Int64, now: Int64) async throws -> TaskPreview?
    /// The per-recipient log, by id, from `afterId`.
    func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord]
    /// Queues test sends of a task's message to the listed openids, due now (not counted in stats).
    func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int
}

extension BroadcastStore {
    /// `cancelTask` in chunks of 10,000 deliveries for up to 5 s: a broadcast of some hundred
    /// thousand recipients is cancelled before the answer, a larger one's rest within the
    /// trimmer's next passes.
    public func cancelTask(id: Int64, now: Int64) async throws -> Bool {
        try await cancelTask(id: id, now: now, chunk: 10_000, budget: .seconds(5))
    }

    /// The newest `limit` tasks.
    public func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int) async throws -> [BroadcastTask] {
        try await tasks(appid: appid, status: status, limit: limit, beforeId: nil)
    }
}

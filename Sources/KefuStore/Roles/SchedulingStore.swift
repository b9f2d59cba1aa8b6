import KefuCore

/// What the scheduler moves along: tasks whose time has come, finished tasks, delayed
/// deliveries falling due, and leases that expired.
public protocol SchedulingStore: WorkWakeups {
    /// The send time of the earliest scheduled task.
    func nextTaskStart() async throws -> Int64?
    /// Snapshots every scheduled task whose send time has come: in one transaction per task, the
    /// task moves to running and one delivery per open window is inserted (set-based; unique per
    /// task and follower). Returns (task id, deliveries queued) for the tasks this call started.
    func startDueTasks(now: Int64) async throws -> [(Int64, Int)]
    /// Marks running tasks with nothing left to send as completed; returns their ids.
    func completeFinishedTasks(now: Int64) async throws -> [Int64]
    /// Moves delayed deliveries whose time has come into the send queue; returns how many and
    /// the due time of the next one still waiting.
    func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?)
    /// Deliveries whose lease expired (their worker died or was cut off): those never started go
    /// back to the queue (their unit and budget refunded, no attempt counted); started ones follow
    /// the unknown-outcome policy.
    func recoverExpiredLeases(now: Int64, policy: UnknownOutcomePolicy) async throws -> Int
}

/// A scheduled broadcast (消息发送任务): at `sendAt`, every follower of the account whose window
/// is open (and has sends left beyond the account's reserve) gets the message once.
public struct BroadcastTask: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case scheduled, running, paused, completed, cancelled
    }

    public var id: Int64
    public var appid: String
    public var name: String
    public var description: String?
    public var sendAt: Int64
    public var message: CustomMessage
    public var status: Status
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When the audience was snapshotted into the send queue.
    public var snapshotAt: Int64?

    public init(id: Int64 = 0, appid: String, name: String, description: String? = nil, sendAt: Int64, message: CustomMessage,
                status: Status = .scheduled, createdAt: Int64, updatedAt: Int64, snapshotAt: Int64? = nil) {
        self.id = id
        self.appid = appid
        self.name = name
        self.description = description
        self.sendAt = sendAt
        self.message = message
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.snapshotAt = snapshotAt
    }
}

/// Progress of a task: one count per delivery state, and failures/skips by WeChat errcode.
public struct TaskStats: Sendable, Equatable {
    public var audience = 0
    public var sent = 0
    public var failed = 0
    public var skipped = 0
    /// Waiting or in flight.
    public var pending = 0
    public var cancelled = 0
    public var errors: [Int: Int] = [:]
    public init() {}
}

/// "How would this go?" before a task runs.
public struct TaskPreview: Sendable, Equatable {
    /// Followers reachable now (window open, sends left beyond the reserve).
    public var reachableNow: Int
    /// Of those, the ones whose window is still open at the send time.
    public var reachableAtSend: Int
    /// Of those, the ones whose window closes before the send reaches them at the account's rate.
    public var closingBeforeReached: Int
    /// Seconds the whole audience takes at the account's send rate.
    public var sendSeconds: Double
    public var dailyBudget: Int
    public var usedToday: Int
    /// The task's share of the daily budget.
    public var quotaShare: Double

    public init(reachableNow: Int, reachableAtSend: Int, closingBeforeReached: Int, sendSeconds: Double,
                dailyBudget: Int, usedToday: Int, quotaShare: Double) {
        self.reachableNow = reachableNow
        self.reachableAtSend = reachableAtSend
        self.closingBeforeReached = closingBeforeReached
        self.sendSeconds = sendSeconds
        self.dailyBudget = dailyBudget
        self.usedToday = usedToday
        self.quotaShare = quotaShare
    }
}

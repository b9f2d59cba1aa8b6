/// One WeChat Official Account that kefu serves. The secrets are stored, never returned or logged.
public struct Account: Sendable, Equatable {
    public var appid: String
    public var appSecret: String
    /// The callback Token configured in WeChat's console.
    public var token: String
    /// The current EncodingAESKey (43 characters), when the account uses compatible or safe mode.
    public var encodingAESKey: String?
    /// The key in force before the last rotation; tried when the current one fails.
    public var previousEncodingAESKey: String?
    /// The account's original id (`gh_…`), the `ToUserName` of its pushes.
    public var originalId: String?
    public var name: String?
    /// Customer-service messages per second, across all workers.
    public var sendRate: Int
    /// Customer-service messages per day (WeChat's default quota is 500,000).
    public var dailyBudget: Int
    /// Sends of each follower's window kept back for human agents.
    public var reserve: Int
    public var createdAt: Int64
    public var updatedAt: Int64

    public static let defaultSendRate = 50
    public static let defaultDailyBudget = 500_000

    public init(
        appid: String, appSecret: String, token: String, encodingAESKey: String? = nil,
        previousEncodingAESKey: String? = nil, originalId: String? = nil, name: String? = nil,
        sendRate: Int = Account.defaultSendRate, dailyBudget: Int = Account.defaultDailyBudget,
        reserve: Int = 0, createdAt: Int64 = 0, updatedAt: Int64 = 0
    ) {
        self.appid = appid
        self.appSecret = appSecret
        self.token = token
        self.encodingAESKey = encodingAESKey
        self.previousEncodingAESKey = previousEncodingAESKey
        self.originalId = originalId
        self.name = name
        self.sendRate = sendRate
        self.dailyBudget = dailyBudget
        self.reserve = reserve
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension Account: CustomStringConvertible, CustomDebugStringConvertible {
    /// Secrets never reach a log line, even through string interpolation.
    public var description: String { "Account(appid: \(appid), name: \(name ?? "-"))" }
    public var debugDescription: String { description }
}

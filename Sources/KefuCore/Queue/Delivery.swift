/// One message to one follower, in the send queue.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    /// A delayed message waiting for its due time (the delayed queue).
    case waiting
    /// Due: waiting for its account's rate or a worker (the send queue).
    case pending
    /// Claimed by a worker (leased): the call to WeChat may have started.
    case sending
    case sent, failed, skipped, cancelled
}

/// Why a delivery was skipped or failed, in words operators read.
public enum DeliveryReason {
    public static let windowClosed = "window closed"
    public static let quotaUsed = "quota used"
    public static let unsubscribed = "follower unsubscribed"
    public static let taskCancelled = "task cancelled"
    /// The lease of a claimed delivery expired: its worker died or was cut off mid-send.
    public static let outcomeUnknown = "outcome unknown: the worker stopped mid-send"
    /// The request was written to WeChat and no answer came (timeout, connection lost).
    public static let noAnswer = "outcome unknown: WeChat did not answer"
    /// Either of the two: the call may have reached WeChat, so its unit and budget stay spent.
    public static func isOutcomeUnknown(_ reason: String) -> Bool { reason.hasPrefix("outcome unknown:") }
    public static let invalidOpenid = "invalid openid"
    public static let blocked = "follower refuses messages"
    public static let systemBusy = "WeChat busy (-1) on every attempt"
    public static let badPayload = "WeChat rejected the message"
    public static let ruleDisabled = "rule disabled"
    public static let ruleDeleted = "rule deleted"
}

/// A row of a task's per-recipient log.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var openid: String
    public var state: DeliveryState
    public var reason: String?
    public var errcode: Int?
    public var attempts: Int
    public var dueAt: Int64
    public var sentAt: Int64?
    public var test: Bool
    /// The WeChat media ids the message was sent with (a library file's id at the time), or nil.
    public var wechatMedia: String?

    /// How late after its due time it was sent.
    public var latenessMillis: Int64? { sentAt.map { $0 - dueAt } }

    public init(id: Int64, openid: String, state: DeliveryState, reason: String?, errcode: Int?, attempts: Int, dueAt: Int64, sentAt: Int64?,
                test: Bool, wechatMedia: String? = nil) {
        self.id = id
        self.openid = openid
        self.state = state
        self.reason = reason
        self.errcode = errcode
        self.attempts = attempts
        self.dueAt = dueAt
        self.sentAt = sentAt
        self.test = test
        self.wechatMedia = wechatMedia
    }
}

/// A delivery a worker holds the lease of: send it, then report a `DeliveryResult`.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var appid: String
    public var openid: String
    /// The canonical message JSON.
    public var message: String
    public var attempts: Int
    /// The grant whose unit was reserved for this send (refunded if it does not go out).
    public var grantKind: String?
    /// When it was due (lateness = sent − due).
    public var dueAt: Int64
    /// A delayed-rule delivery (as opposed to a broadcast).
    public var delayed: Bool

    public init(id: Int64, appid: String, openid: String, message: String, attempts: Int, grantKind: String?,
                dueAt: Int64 = 0, delayed: Bool = false) {
        self.dueAt = dueAt
        self.delayed = delayed
        self.id = id
        self.appid = appid
        self.openid = openid
        self.message = message
        self.attempts = attempts
        self.grantKind = grantKind
    }
}

/// What became of a claimed delivery.
public struct DeliveryResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case sent
        case skipped(reason: String, errcode: Int?)
        case failed(reason: String, errcode: Int?)
        /// Back to pending, due again at `dueAt` (-1 back-off; a paused account).
        case retry(dueAt: Int64, errcode: Int?, countsAsAttempt: Bool)
    }

    /// What WeChat's answer says about the follower's window.
    public enum LedgerEffect: Sendable, Equatable {
        /// 45015: no window — close every grant.
        case closeWindow
        /// 45047: count used up — zero every open grant.
        case zeroRemaining
        /// 43004: no longer follows.
        case unsubscribe
    }

    public var delivery: ClaimedDelivery
    public var outcome: Outcome
    public var ledgerEffect: LedgerEffect?
    /// When the call finished.
    public var at: Int64
    /// The WeChat media ids the body carried in place of library files (comma-separated), for the log.
    public var wechatMedia: String?

    public init(delivery: ClaimedDelivery, outcome: Outcome, ledgerEffect: LedgerEffect? = nil, at: Int64, wechatMedia: String? = nil) {
        self.delivery = delivery
        self.outcome = outcome
        self.ledgerEffect = ledgerEffect
        self.at = at
        self.wechatMedia = wechatMedia
    }
}

/// What to do with a delivery whose call may have reached WeChat when its worker died.
public enum UnknownOutcomePolicy: String, Sendable, CaseIterable {
    /// At-most-once (default): skip it — a follower is never sent the same message twice.
    case skip
    /// At-least-once: send it again — nobody is missed, a few may get it twice.
    case retry
}

/// A stored access token, shared by every process.
public struct StoredAccessToken: Sendable, Equatable {
    public var token: String
    public var expiresAt: Int64
    public init(token: String, expiresAt: Int64) {
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// An account whose sending is paused by WeChat's answers (45009, 45011, 48001, bad secret).
public struct AccountPause: Sendable, Equatable {
    public var until: Int64
    public var reason: String
    public init(until: Int64, reason: String) {
        self.until = until
        self.reason = reason
    }
}

/// One open grant of a follower's window ledger.
public struct GrantState: Sendable, Equatable, Codable {
    /// The interaction kind that opened it.
    public var kind: InteractionKind
    public var openedAt: Int64
    public var closesAt: Int64
    /// Sends left; nil = unlimited.
    public var remaining: Int?

    public init(kind: InteractionKind, openedAt: Int64, closesAt: Int64, remaining: Int?) {
        self.kind = kind
        self.openedAt = openedAt
        self.closesAt = closesAt
        self.remaining = remaining
    }
}

/// A follower whose window is open: one row of an audience.
public struct AudienceEntry: Sendable, Equatable {
    public var openid: String
    public var lastInteractionAt: Int64
    public var lastInteraction: InteractionKind
    /// When the last usable grant closes.
    public var windowClosesAt: Int64
    /// Sends left across the open grants; nil = unlimited.
    public var remaining: Int?

    public init(openid: String, lastInteractionAt: Int64, lastInteraction: InteractionKind, windowClosesAt: Int64, remaining: Int?) {
        self.openid = openid
        self.lastInteractionAt = lastInteractionAt
        self.lastInteraction = lastInteraction
        self.windowClosesAt = windowClosesAt
        self.remaining = remaining
    }
}

/// Position in an audience listing: the last (closes_at, openid) returned.
public struct AudienceCursor: Sendable, Equatable {
    public var closesAt: Int64
    public var openid: String

    public init(closesAt: Int64, openid: String) {
        self.closesAt = closesAt
        self.openid = openid
    }

    /// Opaque text form used in the API: `<closes_at>.<openid>`.
    public var token: String { "\(closesAt).\(openid)" }

    public init?(token: String) {
        guard let dot = token.firstIndex(of: "."), let closes = Int64(token[..<dot]) else { return nil }
        let openid = String(token[token.index(after: dot)...])
        guard !openid.isEmpty else { return nil }
        self.init(closesAt: closes, openid: openid)
    }
}

public struct AudiencePage: Sendable, Equatable {
    /// Followers whose window is open now (all pages).
    public var count: Int
    public var users: [AudienceEntry]
    public var nextCursor: AudienceCursor?

    public init(count: Int, users: [AudienceEntry], nextCursor: AudienceCursor?) {
        self.count = count
        self.users = users
        self.nextCursor = nextCursor
    }
}

/// One row of the interaction log, as shown in a follower's history.
public struct LoggedInteraction: Sendable, Equatable {
    public var id: Int64
    public var kind: InteractionKind
    public var detail: String
    public var key: String?
    public var at: Int64
    public var receivedAt: Int64

    public init(id: Int64, kind: InteractionKind, detail: String, key: String?, at: Int64, receivedAt: Int64) {
        self.id = id
        self.kind = kind
        self.detail = detail
        self.key = key
        self.at = at
        self.receivedAt = receivedAt
    }
}

/// A delivery to one follower, as shown in their ledger.
public struct FollowerDelivery: Sendable, Equatable {
    public var taskId: Int64?
    public var ruleId: Int64?
    public var state: String
    public var reason: String?
    public var errcode: Int?
    public var dueAt: Int64
    public var sentAt: Int64?

    public init(taskId: Int64?, ruleId: Int64?, state: String, reason: String?, errcode: Int?, dueAt: Int64, sentAt: Int64?) {
        self.taskId = taskId
        self.ruleId = ruleId
        self.state = state
        self.reason = reason
        self.errcode = errcode
        self.dueAt = dueAt
        self.sentAt = sentAt
    }
}

/// Everything the ledger knows about one follower: the answer to "why did (not) they get it?".
public struct FollowerLedger: Sendable, Equatable {
    public var openid: String
    public var subscribed: Bool
    public var lastInteractionAt: Int64
    public var lastInteraction: InteractionKind
    /// Grants open now (closing time in the future), soonest-closing first.
    public var grants: [GrantState]
    /// Newest first.
    public var recentInteractions: [LoggedInteraction]
    /// Newest first: broadcasts and delayed messages, with why they were (not) sent.
    public var recentDeliveries: [FollowerDelivery]

    public init(openid: String, subscribed: Bool, lastInteractionAt: Int64, lastInteraction: InteractionKind, grants: [GrantState],
                recentInteractions: [LoggedInteraction], recentDeliveries: [FollowerDelivery] = []) {
        self.recentDeliveries = recentDeliveries
        self.openid = openid
        self.subscribed = subscribed
        self.lastInteractionAt = lastInteractionAt
        self.lastInteraction = lastInteraction
        self.grants = grants
        self.recentInteractions = recentInteractions
    }
}

import KefuCore

/// The simulator's own model of WeChat's window rules: an in-memory, in-order application of
/// follower actions to grants. Independent of kefu's SQL ledger, so comparing the two means
/// something.
struct SimulatedLedger: Sendable {
    struct Grant: Sendable, Equatable {
        var openedAt: Int64
        var closesAt: Int64
        var remaining: Int?
    }

    struct Follower: Sendable {
        var subscribed = true
        var grants: [InteractionKind: Grant] = [:]
    }

    enum SendVerdict: Equatable {
        case allowed
        /// WeChat's errcode and errmsg.
        case refused(Int, String)
    }

    let policy: WindowPolicy
    private(set) var followers: [String: Follower] = [:]

    init(policy: WindowPolicy) { self.policy = policy }

    mutating func apply(openid: String, kind: InteractionKind, at: Int64) {
        var follower = followers[openid] ?? Follower()
        switch kind {
        case .unsubscribe:
            follower.subscribed = false
            follower.grants = [:]
        case .event, .other:
            break
        case .message, .subscribe, .scan, .click:
            follower.subscribed = true
        }
        if let grant = policy.grant(for: kind) {
            follower.grants[kind] = Grant(openedAt: at, closesAt: at + Int64(grant.seconds) * 1000, remaining: grant.sends)
        }
        followers[openid] = follower
    }

    /// Checks WeChat's rules for one send and, when allowed, consumes one unit of the grant that
    /// closes soonest.
    mutating func send(to openid: String, now: Int64) -> SendVerdict {
        guard var follower = followers[openid] else { return .refused(40003, "invalid openid") }
        guard follower.subscribed else { return .refused(43004, "require subscribe") }
        let open = follower.grants.filter { $0.value.closesAt > now }
        let usable = open.filter { $0.value.remaining == nil || $0.value.remaining! > 0 }
        guard let chosen = usable.min(by: { $0.value.closesAt < $1.value.closesAt }) else {
            if !open.isEmpty { return .refused(45047, "out of response count limit") }
            return .refused(45015, "response out of time limit or subscription is canceled")
        }
        if let remaining = chosen.value.remaining { follower.grants[chosen.key]?.remaining = remaining - 1 }
        followers[openid] = follower
        return .allowed
    }

    struct OpenWindow: Sendable, Equatable, Codable {
        var openid: String
        var windowClosesAt: Int64
        /// nil = unlimited.
        var remaining: Int?

        enum CodingKeys: String, CodingKey { case openid, remaining, windowClosesAt = "window_closes_at" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(openid, forKey: .openid)
            try container.encode(windowClosesAt, forKey: .windowClosesAt)
            try container.encode(remaining, forKey: .remaining)
        }
    }

    /// Followers with a usable grant at `now`, closing soonest first.
    func audience(now: Int64) -> [OpenWindow] {
        var result: [OpenWindow] = []
        for (openid, follower) in followers where follower.subscribed {
            let usable = follower.grants.values.filter { $0.closesAt > now && ($0.remaining == nil || $0.remaining! > 0) }
            guard let closes = usable.map(\.closesAt).max() else { continue }
            let unlimited = usable.contains { $0.remaining == nil }
            result.append(OpenWindow(openid: openid, windowClosesAt: closes,
                                     remaining: unlimited ? nil : usable.reduce(0) { $0 + ($1.remaining ?? 0) }))
        }
        return result.sorted { ($0.windowClosesAt, $0.openid) < ($1.windowClosesAt, $1.openid) }
    }
}

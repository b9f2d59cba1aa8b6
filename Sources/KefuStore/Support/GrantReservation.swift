import KefuCore

/// The ledger re-check made just before a send, as a pure decision every backend applies: a
/// follower with a usable grant reserves one unit of the soonest-closing one, keeping `reserve`
/// sends of the window for human agents; others are skipped with WeChat's reason.
public enum GrantReservation: Equatable, Sendable {
    case reserved(kind: String, limited: Bool)
    case skip(String)

    public struct Grant: Sendable {
        public var kind: String
        /// nil: unlimited.
        public var remaining: Int?
        public init(kind: String, remaining: Int?) {
            self.kind = kind
            self.remaining = remaining
        }
    }

    /// `subscribed`: nil when the follower is unknown. `grants`: open grants, soonest-closing first.
    public static func decide(subscribed: Bool?, grants: [Grant], reserve: Int) -> GrantReservation {
        guard let subscribed else { return .skip(DeliveryReason.windowClosed) }
        guard subscribed else { return .skip(DeliveryReason.unsubscribed) }
        guard !grants.isEmpty else { return .skip(DeliveryReason.windowClosed) }
        let unlimited = grants.contains { $0.remaining == nil }
        let total = grants.reduce(0) { $0 + ($1.remaining ?? 0) }
        guard unlimited || total > reserve else { return .skip(DeliveryReason.quotaUsed) }
        guard let chosen = grants.first(where: { ($0.remaining ?? 1) > 0 }) else { return .skip(DeliveryReason.quotaUsed) }
        return .reserved(kind: chosen.kind, limited: chosen.remaining != nil)
    }
}

/// The ledger re-check for a whole claimed batch: candidates decided in order (earliest window
/// close first), units reserved in memory so that two deliveries to one follower see each other.
/// Backends read the followers and grants in two queries and write the outcome in a few
/// set-based statements.
public struct BatchReservation: Sendable {
    /// Candidate indices claimed, with the grant kind each reserved a unit of.
    public var reserved: [(index: Int, kind: String)] = []
    /// Candidate indices skipped, with WeChat's reason.
    public var skipped: [(index: Int, reason: String)] = []
    /// Units to take from limited grants.
    public var units: [(openid: String, kind: String, count: Int)] = []
    /// Followers whose window closed (their last unit went).
    public var closedWindows: [String] = []

    /// `openids[i]` is candidate i's follower; at most `take` are reserved (the rest untouched).
    public static func decide(openids: [String], subscribed: [String: Bool], grants: [String: [GrantReservation.Grant]],
                              reserve: Int, take: Int) -> BatchReservation {
        var result = BatchReservation()
        var grants = grants
        var used: [String: [String: Int]] = [:]
        var closed = Set<String>()
        for (index, openid) in openids.enumerated() where result.reserved.count < take {
            switch GrantReservation.decide(subscribed: subscribed[openid], grants: grants[openid] ?? [], reserve: reserve) {
            case .skip(let reason):
                result.skipped.append((index, reason))
            case .reserved(let kind, let limited):
                if limited, let position = grants[openid]?.firstIndex(where: { $0.kind == kind }) {
                    grants[openid]![position].remaining! -= 1
                    used[openid, default: [:]][kind, default: 0] += 1
                    if grants[openid]![position].remaining == 0 { closed.insert(openid) }
                }
                result.reserved.append((index, kind))
            }
        }
        for (openid, kinds) in used.sorted(by: { $0.key < $1.key }) {
            for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) { result.units.append((openid, kind, count)) }
        }
        result.closedWindows = closed.sorted()
        return result
    }
}

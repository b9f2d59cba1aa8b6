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

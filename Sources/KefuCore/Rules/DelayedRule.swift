/// A delayed message rule (延时客服消息): when a follower's interaction matches the trigger, the
/// message is sent `delaySeconds` later — if the follower's window is still open then.
public struct DelayedRule: Sendable, Equatable {
    /// What a rule waits for: an interaction kind, or `menu` — a tap on an option of a menu
    /// message (recorded as a message whose key is the option's id).
    public enum TriggerKind: String, Sendable, CaseIterable {
        case message, subscribe, scan, click, menu

        /// The interaction kind this trigger fires on (and whose grant reaches the follower).
        public var interactionKind: InteractionKind {
            switch self {
            case .message, .menu: .message
            case .subscribe: .subscribe
            case .scan: .scan
            case .click: .click
            }
        }
    }

    public struct Trigger: Sendable, Equatable {
        /// `message`, `subscribe`, `scan`, `click`, `menu`, or nil for any interaction of the first four.
        public var kind: TriggerKind?
        /// Keyword contained in a text message; QR scene for subscribe and scan; menu EventKey for
        /// click; the option id for menu.
        public var key: String?

        public init(kind: TriggerKind?, key: String? = nil) {
            self.kind = kind
            self.key = key
        }

        /// The kinds a rule can trigger on; `any` means one of these.
        public static let kinds: [InteractionKind] = [.message, .subscribe, .scan, .click]

        public func matches(_ interaction: Interaction) -> Bool {
            guard Self.kinds.contains(interaction.kind), kind == nil || kind?.interactionKind == interaction.kind else { return false }
            if kind == .menu {
                // A tap on a menu option: a message carrying the option's id (any option without a key).
                guard let tapped = interaction.key else { return false }
                return key == nil || tapped == key
            }
            guard let key else { return true }
            if interaction.kind == .message {
                guard let content = interaction.content else { return false }
                return content.lowercased().contains(key.lowercased())
            }
            return interaction.key == key
        }
    }

    public var id: Int64
    public var appid: String
    public var name: String
    public var trigger: Trigger
    public var delaySeconds: Int
    public var message: CustomMessage
    public var enabled: Bool
    /// At most one delivery per follower, ever.
    public var oncePerFollower: Bool
    /// No new delivery for a follower within this many seconds of their previous trigger.
    public var cooldownSeconds: Int
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: Int64 = 0, appid: String, name: String, trigger: Trigger, delaySeconds: Int, message: CustomMessage,
                enabled: Bool = true, oncePerFollower: Bool = false, cooldownSeconds: Int = 0, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.appid = appid
        self.name = name
        self.trigger = trigger
        self.delaySeconds = delaySeconds
        self.message = message
        self.enabled = enabled
        self.oncePerFollower = oncePerFollower
        self.cooldownSeconds = cooldownSeconds
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Seven days at most: longer than any window WeChat grants.
    public static let maxDelaySeconds = 7 * 86_400

    /// Why the window policy makes this rule unreachable for some (or all) followers.
    /// A trigger kind whose window is closed (or never opened) when the message is due.
    public struct PolicyWarning: Sendable, Equatable {
        public var kind: InteractionKind
        /// The window that kind opens, nil when it opens none.
        public var grantSeconds: Int?
        public var delaySeconds: Int
        /// Who can still be reached: followers who also sent a message within this long before
        /// the send (nil: only those with another window open at the send time).
        public var messageGrantSeconds: Int?
    }

    /// The trigger kinds this rule cannot reach through their own window: the delay outlasts it.
    public func policyWarnings(policy: WindowPolicy) -> [PolicyWarning] {
        let kinds = trigger.kind.map { [$0.interactionKind] } ?? Trigger.kinds
        let message = policy.grant(for: .message)
        return kinds.compactMap { kind in
            let grant = policy.grant(for: kind)
            if let grant, delaySeconds < grant.seconds { return nil }
            return PolicyWarning(kind: kind, grantSeconds: grant?.seconds, delaySeconds: delaySeconds,
                                 messageGrantSeconds: kind != .message ? message?.seconds : nil)
        }
    }

    /// The policy warnings in English, as the admin API gives them.
    public func warnings(policy: WindowPolicy) -> [String] {
        policyWarnings(policy: policy).map { warning in
            var text = warning.grantSeconds.map {
                "a \(warning.kind.rawValue) opens a \(Self.duration($0)) window, already closed when the message is due \(Self.duration(warning.delaySeconds)) later"
            } ?? "a \(warning.kind.rawValue) opens no window under the current policy"
            if let seconds = warning.messageGrantSeconds {
                text += "; only followers who also sent a message within the \(Self.duration(seconds)) before the send can be reached"
            } else {
                text += "; only followers with another open window at the send time can be reached"
            }
            return text
        }
    }

    public static func duration(_ seconds: Int) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400) d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}

/// The buckets of a rule's lateness histogram (a delayed message's send time minus its due time).
public enum LatenessBuckets {
    /// Upper bounds in milliseconds; one more bucket holds everything later.
    public static let bounds: [Int64] = [1000, 5000, 30_000, 120_000, 600_000]
    public static let labels = ["< 1 s", "1–5 s", "5–30 s", "30 s–2 min", "2–10 min", "≥ 10 min"]

    /// The bucket of a lateness.
    public static func bucket(_ millis: Int64) -> Int { bounds.firstIndex { millis < $0 } ?? bounds.count }
}

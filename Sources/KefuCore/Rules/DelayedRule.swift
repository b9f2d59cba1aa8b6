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
    public func warnings(policy: WindowPolicy) -> [String] {
        let kinds = trigger.kind.map { [$0.interactionKind] } ?? Trigger.kinds
        var warnings: [String] = []
        let message = policy.grant(for: .message)
        for kind in kinds {
            let grant = policy.grant(for: kind)
            if let grant, delaySeconds < grant.seconds { continue }
            var text = grant.map { "a \(kind.rawValue) opens a \(Self.duration($0.seconds)) window, already closed when the message is due \(Self.duration(delaySeconds)) later" }
                ?? "a \(kind.rawValue) opens no window under the current policy"
            if kind != .message, let message {
                text += "; only followers who also sent a message within the \(Self.duration(message.seconds)) before the send can be reached"
            } else {
                text += "; only followers with another open window at the send time can be reached"
            }
            warnings.append(text)
        }
        return warnings
    }

    static func duration(_ seconds: Int) -> String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400) d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}

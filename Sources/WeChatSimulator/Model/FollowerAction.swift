/// Something a simulated follower does, which WeChat pushes to the account's callback URL.
public enum FollowerActionKind: String, Sendable, Codable, CaseIterable {
    case text, image, voice, location
    /// A tap on an option of a menu message the follower was sent: a text message carrying
    /// `bizmsgmenuid` (the option id, given as `key`) and the option's text.
    case menuTap = "menu_tap"
    case subscribe, unsubscribe, scan, click
    /// scancode_push menu event (qualifies like a click).
    case scancodePush = "scancode_push"
    /// VIEW menu event (opens no window).
    case view
    /// LOCATION report event (opens no window).
    case reportLocation = "report_location"
    /// A MsgType WeChat might add tomorrow.
    case unknown
}

public struct FollowerAction: Sendable, Codable, Equatable {
    public var openid: String
    public var kind: FollowerActionKind
    /// Menu key, QR scene, a menu option id (`menu_tap`), or nil.
    public var key: String?
    /// Text content for `text`.
    public var content: String?

    public init(openid: String, kind: FollowerActionKind, key: String? = nil, content: String? = nil) {
        self.openid = openid
        self.kind = kind
        self.key = key
        self.content = content
    }
}

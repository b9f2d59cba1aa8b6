/// What a follower did, as kefu classifies WeChat's pushes.
///
/// The window policy names kinds in its `on` field; rules name them in `trigger.kind`.
public enum InteractionKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Any follower message: text, image, voice, video, shortvideo, location, link.
    case message
    /// A follow, including scan-to-follow (`EventKey` `qrscene_<scene>`).
    case subscribe
    /// An unfollow: closes every grant.
    case unsubscribe
    /// A parametric QR scan by someone who already follows (`Event` SCAN).
    case scan
    /// A qualifying menu event: CLICK, scancode_push, scancode_waitmsg.
    case click
    /// A known event that opens no window (VIEW, LOCATION, pic_*, job reports, …).
    case event
    /// A `MsgType` or `Event` kefu does not know. Recorded, never rejected.
    case other

    /// Kinds a window policy may grant on (unsubscribe closes, it never grants).
    public var canGrant: Bool { self != .unsubscribe }

    /// What the kind does to the follower's subscription: a follow or any message subscribes
    /// (true), an unsubscribe unsubscribes (false); events and unknown kinds leave it (nil).
    public var subscribes: Bool? {
        switch self {
        case .message, .subscribe, .scan, .click: true
        case .unsubscribe: false
        case .event, .other: nil
        }
    }
}

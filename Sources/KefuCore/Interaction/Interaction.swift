/// One follower action, as recorded in the interaction log and applied to the window ledger.
public struct Interaction: Sendable, Hashable {
    public var appid: String
    public var openid: String
    public var kind: InteractionKind
    /// WeChat's own name for it: the `Event` for events, the `MsgType` for messages.
    public var detail: String
    /// Menu `EventKey`, QR scene (without the `qrscene_` prefix), or nil.
    public var key: String?
    /// Text content for text messages (keyword triggers), else nil.
    public var content: String?
    /// When it happened, in milliseconds since the Unix epoch.
    public var at: Int64
    /// Identifies WeChat's retries of the same push (and repeated imports).
    public var dedupeKey: String

    public init(
        appid: String, openid: String, kind: InteractionKind, detail: String,
        key: String? = nil, content: String? = nil, at: Int64, dedupeKey: String
    ) {
        self.appid = appid
        self.openid = openid
        self.kind = kind
        self.detail = detail
        self.key = key
        self.content = content
        self.at = at
        self.dedupeKey = dedupeKey
    }

    /// The dedupe key of an imported interaction: one per (openid, kind, time).
    public static func importKey(openid: String, kind: InteractionKind, at: Int64) -> String {
        "import:\(openid):\(kind.rawValue):\(at)"
    }
}

import KefuCore

extension Push {
    /// Message types a follower sends (each one qualifies for the message grant).
    static let messageTypes: Set<String> = ["text", "image", "voice", "video", "shortvideo", "location", "link"]
    /// Menu events that qualify for the click grant. `Event` values are case-sensitive.
    static let clickEvents: Set<String> = ["CLICK", "scancode_push", "scancode_waitmsg"]
    /// Events WeChat documents that open no window.
    static let knownEvents: Set<String> = [
        "VIEW", "view_miniprogram", "LOCATION", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
        "location_select", "TEMPLATESENDJOBFINISH", "MASSSENDJOBFINISH", "subscribe_msg_popup_event",
        "subscribe_msg_change_event", "subscribe_msg_sent_event", "kf_create_session", "kf_close_session",
        "kf_switch_session", "user_enter_tempsession", "qualification_verify_success", "naming_verify_success",
        "annual_renew", "verify_expired", "card_pass_check", "user_get_card", "user_del_card",
    ]

    /// The interaction this push records. `receivedAt` caps the time: WeChat's clock is trusted
    /// for the interaction time, but never beyond the moment the push arrived.
    public func interaction(appid: String, receivedAt: Int64) -> Interaction {
        let kind: InteractionKind
        var key: String? = nil
        var detail = msgType
        if msgType == "event", let event {
            detail = event
            switch event {
            case "subscribe":
                kind = .subscribe
                if let eventKey, eventKey.hasPrefix("qrscene_") {
                    let scene = String(eventKey.dropFirst("qrscene_".count))
                    key = scene.isEmpty ? nil : scene
                }
            case "unsubscribe":
                kind = .unsubscribe
            case "SCAN":
                kind = .scan
                key = eventKey
            case _ where Self.clickEvents.contains(event):
                kind = .click
                key = eventKey
            case _ where Self.knownEvents.contains(event):
                kind = .event
                key = eventKey
            default:
                kind = .other
                key = eventKey
            }
        } else if Self.messageTypes.contains(msgType) {
            kind = .message
            // A tap on a menu message's option: menu rules match its id.
            key = menuId
        } else {
            kind = .other
        }
        let at = min(createTime * 1000, receivedAt)
        let dedupe: String
        if let msgId {
            dedupe = "m:\(msgId)"
        } else {
            dedupe = "e:\(fromUserName):\(createTime):\(event ?? msgType):\(eventKey ?? "")"
        }
        return Interaction(
            appid: appid, openid: fromUserName, kind: kind, detail: detail, key: key,
            content: msgType == "text" ? content : nil, at: at, dedupeKey: dedupe)
    }
}

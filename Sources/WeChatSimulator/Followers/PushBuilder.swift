import Foundation
import KefuCore
import WeChatProtocol

/// Writes the XML WeChat pushes for a follower action, and signs (and encrypts) it the way
/// WeChat does for the account's mode.
public enum PushBuilder {
    /// What kefu-side kind an action is, by WeChat's rules (for the simulator's own ledger).
    static func kind(of action: FollowerActionKind) -> InteractionKind {
        switch action {
        case .text, .image, .voice, .location, .menuTap: .message
        case .subscribe: .subscribe
        case .unsubscribe: .unsubscribe
        case .scan: .scan
        case .click, .scancodePush: .click
        case .view, .reportLocation: .event
        case .unknown: .other
        }
    }

    /// Event + EventKey of an event push (part of WeChat's retry identity); nil for messages,
    /// which carry a MsgId.
    static func eventIdentity(_ action: FollowerAction) -> String? {
        switch action.kind {
        case .text, .image, .voice, .location, .menuTap, .unknown: nil
        case .subscribe: "subscribe:\(action.key.map { "qrscene_\($0)" } ?? "")"
        case .unsubscribe: "unsubscribe:"
        case .scan: "SCAN:\(action.key ?? "1")"
        case .click: "CLICK:\(action.key ?? "MENU_1")"
        case .scancodePush: "scancode_push:\(action.key ?? "SCAN_1")"
        case .view: "VIEW:https://example.com/menu"
        case .reportLocation: "LOCATION:"
        }
    }

    static func cdata(_ text: String) -> String {
        "<![CDATA[" + text.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>") + "]]>"
    }

    public static func xml(_ action: FollowerAction, account: SimulatedAccount, createTime: Int64, msgId: Int64) -> String {
        var fields = "<ToUserName>\(cdata(account.originalId))</ToUserName>"
            + "<FromUserName>\(cdata(action.openid))</FromUserName>"
            + "<CreateTime>\(createTime)</CreateTime>"
        func event(_ name: String, key: String? = nil, extra: String = "") {
            fields += "<MsgType>\(cdata("event"))</MsgType><Event>\(cdata(name))</Event>"
            if let key { fields += "<EventKey>\(cdata(key))</EventKey>" }
            fields += extra
        }
        switch action.kind {
        case .text:
            fields += "<MsgType>\(cdata("text"))</MsgType><Content>\(cdata(action.content ?? "hello"))</Content><MsgId>\(msgId)</MsgId>"
        case .menuTap:
            fields += "<MsgType>\(cdata("text"))</MsgType><Content>\(cdata(action.content ?? ""))</Content><MsgId>\(msgId)</MsgId>"
                + "<bizmsgmenuid>\(cdata(action.key ?? ""))</bizmsgmenuid>"
        case .image:
            fields += "<MsgType>\(cdata("image"))</MsgType><PicUrl>\(cdata("https://mmbiz.qpic.cn/sim/\(msgId)"))</PicUrl>"
                + "<MediaId>\(cdata("media_\(msgId)"))</MediaId><MsgId>\(msgId)</MsgId>"
        case .voice:
            fields += "<MsgType>\(cdata("voice"))</MsgType><MediaId>\(cdata("media_\(msgId)"))</MediaId>"
                + "<Format>\(cdata("amr"))</Format><MsgId>\(msgId)</MsgId>"
        case .location:
            fields += "<MsgType>\(cdata("location"))</MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
                + "<Scale>20</Scale><Label>\(cdata("广州市天河区"))</Label><MsgId>\(msgId)</MsgId>"
        case .subscribe:
            if let scene = action.key {
                event("subscribe", key: "qrscene_\(scene)", extra: "<Ticket>\(cdata("ticket_\(scene)"))</Ticket>")
            } else {
                event("subscribe", key: "")
            }
        case .unsubscribe:
            event("unsubscribe", key: "")
        case .scan:
            event("SCAN", key: action.key ?? "1", extra: "<Ticket>\(cdata("ticket"))</Ticket>")
        case .click:
            event("CLICK", key: action.key ?? "MENU_1")
        case .scancodePush:
            event("scancode_push", key: action.key ?? "SCAN_1",
                  extra: "<ScanCodeInfo><ScanType>\(cdata("qrcode"))</ScanType><ScanResult>\(cdata("1"))</ScanResult></ScanCodeInfo>")
        case .view:
            event("VIEW", key: "https://example.com/menu", extra: "<MenuId>1</MenuId>")
        case .reportLocation:
            event("LOCATION", extra: "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>")
        case .unknown:
            fields += "<MsgType>\(cdata("hologram"))</MsgType><MsgId>\(msgId)</MsgId>"
        }
        return "<xml>\(fields)</xml>"
    }

    /// The query string and body WeChat would send for this XML, in the account's mode.
    public static func signed(xml: String, account: SimulatedAccount, timestamp: Int64, nonce: String) -> (query: String, body: String) {
        let signature = CallbackSignature.sign([account.token, "\(timestamp)", nonce])
        var query = "signature=\(signature)&timestamp=\(timestamp)&nonce=\(nonce)"
        guard account.mode != .plain, let key = account.encodingAESKey, let crypto = try? MessageCrypto(encodingAESKey: key) else {
            return (query, xml)
        }
        let encrypt = crypto.encrypt(Array(xml.utf8), appid: account.appid)
        let msgSignature = CallbackSignature.sign([account.token, "\(timestamp)", nonce, encrypt])
        query += "&encrypt_type=aes&msg_signature=\(msgSignature)"
        switch account.mode {
        case .safe:
            return (query, "<xml><ToUserName>\(cdata(account.originalId))</ToUserName><Encrypt>\(cdata(encrypt))</Encrypt></xml>")
        default:
            return (query, String(xml.dropLast("</xml>".count)) + "<Encrypt>\(cdata(encrypt))</Encrypt></xml>")
        }
    }
}

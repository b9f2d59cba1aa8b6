import KefuCore
import WeChatProtocol

/// Builds callback requests the way WeChat signs them, for tests that talk to kefu directly.
public enum SignedRequest {
    public static func query(token: String, timestamp: String = "1714037059", nonce: String = "486452656") -> String {
        "signature=\(CallbackSignature.sign([token, timestamp, nonce]))&timestamp=\(timestamp)&nonce=\(nonce)"
    }

    /// A plain-mode push: (query, body).
    public static func plain(_ xml: String, account: Account) -> (String, String) {
        (query(token: account.token), xml)
    }

    /// A safe-mode (or, with `compatible`, compatible-mode) push encrypted with `key`.
    public static func encrypted(_ xml: String, account: Account, key: String? = nil, appid: String? = nil, compatible: Bool = false) -> (String, String) {
        let crypto = try! MessageCrypto(encodingAESKey: key ?? account.encodingAESKey!)
        let encrypt = crypto.encrypt(Array(xml.utf8), appid: appid ?? account.appid)
        let timestamp = "1714112445", nonce = "415670741"
        let msgSignature = CallbackSignature.sign([account.token, timestamp, nonce, encrypt])
        let query = query(token: account.token, timestamp: timestamp, nonce: nonce) + "&encrypt_type=aes&msg_signature=\(msgSignature)"
        if compatible {
            return (query, String(xml.dropLast("</xml>".count)) + "<Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>")
        }
        return (query, "<xml><ToUserName><![CDATA[\(account.originalId ?? "gh_x")]]></ToUserName><Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>")
    }

    public static func textXML(account: Account, openid: String, content: String = "hello", msgId: Int64, createTime: Int64 = 1_714_037_059) -> String {
        "<xml><ToUserName><![CDATA[\(account.originalId ?? "gh_x")]]></ToUserName><FromUserName><![CDATA[\(openid)]]></FromUserName>"
            + "<CreateTime>\(createTime)</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[\(content)]]></Content><MsgId>\(msgId)</MsgId></xml>"
    }

    public static func eventXML(account: Account, openid: String, event: String, key: String? = nil, createTime: Int64 = 1_714_037_059) -> String {
        "<xml><ToUserName><![CDATA[\(account.originalId ?? "gh_x")]]></ToUserName><FromUserName><![CDATA[\(openid)]]></FromUserName>"
            + "<CreateTime>\(createTime)</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[\(event)]]></Event>"
            + (key.map { "<EventKey><![CDATA[\($0)]]></EventKey>" } ?? "") + "</xml>"
    }
}

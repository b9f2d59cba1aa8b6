import Foundation

/// WeChat's payload rules for `message/custom/send`, as error codes (WECHAT.md §2).
enum CustomMessageRules {
    /// Returns nil when the body is acceptable, else (errcode, errmsg); on success also the
    /// recipient and message type.
    static func check(_ body: [UInt8]) -> Result<(touser: String, msgtype: String), Refusal> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .failure(Refusal(47001, "data format error"))
        }
        guard let touser = object["touser"] as? String, !touser.isEmpty else {
            return .failure(Refusal(40003, "invalid openid"))
        }
        guard let msgtype = object["msgtype"] as? String else { return .failure(Refusal(40008, "invalid message type")) }
        let content = object[msgtype] as? [String: Any]
        func text(_ key: String) -> String? { (content?[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        switch msgtype {
        case "text":
            guard let value = text("content") else { return .failure(Refusal(44004, "empty content")) }
            guard value.utf8.count <= 2048 else { return .failure(Refusal(45002, "content size out of limit")) }
        case "image", "voice", "mpnews":
            guard text("media_id") != nil else { return .failure(Refusal(40007, "invalid media_id")) }
        case "mpnewsarticle":
            guard text("article_id") != nil else { return .failure(Refusal(40007, "invalid article_id")) }
        case "video":
            guard text("media_id") != nil else { return .failure(Refusal(40007, "invalid media_id")) }
        case "news":
            guard let articles = content?["articles"] as? [[String: Any]], !articles.isEmpty else {
                return .failure(Refusal(44004, "empty content"))
            }
            guard articles.count == 1 else { return .failure(Refusal(45008, "article size out of limit")) }
            guard let title = articles[0]["title"] as? String, !title.isEmpty,
                  let url = articles[0]["url"] as? String, !url.isEmpty else {
                return .failure(Refusal(44004, "empty content"))
            }
        case "miniprogrampage":
            guard text("appid") != nil, text("pagepath") != nil, text("thumb_media_id") != nil else {
                return .failure(Refusal(47001, "data format error"))
            }
            if let title = text("title"), title.utf8.count > 64 * 3 { return .failure(Refusal(45002, "content size out of limit")) }
        case "music", "msgmenu", "wxcard":
            guard content != nil else { return .failure(Refusal(47001, "data format error")) }
        default:
            return .failure(Refusal(40008, "invalid message type"))
        }
        return .success((touser, msgtype))
    }

    struct Refusal: Error, Equatable {
        var errcode: Int
        var errmsg: String
        init(_ errcode: Int, _ errmsg: String) {
            self.errcode = errcode
            self.errmsg = errmsg
        }
    }
}

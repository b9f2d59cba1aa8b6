import Foundation

/// WeChat's payload rules for `message/custom/send`, as error codes (WECHAT.md §2 and §6).
enum CustomMessageRules {
    /// What an acceptable body is about: whom, what, the media ids it names (checked against
    /// the account's media by the caller) and the agent it is sent as.
    struct Checked {
        var touser: String
        var msgtype: String
        var mediaIds: [String] = []
        var kfAccount: String?
    }

    static func check(_ body: [UInt8]) -> Result<Checked, Refusal> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .failure(Refusal(47001, "data format error"))
        }
        guard let touser = object["touser"] as? String, !touser.isEmpty else {
            return .failure(Refusal(40003, "invalid openid"))
        }
        guard let msgtype = object["msgtype"] as? String else { return .failure(Refusal(40008, "invalid message type")) }
        var checked = Checked(touser: touser, msgtype: msgtype)
        if let service = object["customservice"] {
            guard let agent = (service as? [String: Any])?["kf_account"] as? String, !agent.isEmpty else {
                return .failure(Refusal(47001, "data format error"))
            }
            checked.kfAccount = agent
        }
        let content = object[msgtype] as? [String: Any]
        func text(_ key: String, in dictionary: [String: Any]? = content) -> String? {
            (dictionary?[key] as? String).flatMap { $0.isEmpty ? nil : $0 }
        }
        func media(_ key: String) -> Refusal? {
            guard let id = text(key) else { return Refusal(40007, "invalid media_id") }
            checked.mediaIds.append(id)
            return nil
        }
        switch msgtype {
        case "text":
            guard let value = text("content") else { return .failure(Refusal(44004, "empty content")) }
            guard value.utf8.count <= 2048 else { return .failure(Refusal(45002, "content size out of limit")) }
        case "image", "voice", "mpnews":
            if let refusal = media("media_id") { return .failure(refusal) }
        case "mpnewsarticle":
            guard text("article_id") != nil else { return .failure(Refusal(40007, "invalid article_id")) }
        case "video":
            if let refusal = media("media_id") ?? media("thumb_media_id") { return .failure(refusal) }
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
            guard text("appid") != nil, text("pagepath") != nil else { return .failure(Refusal(47001, "data format error")) }
            if let refusal = media("thumb_media_id") { return .failure(refusal) }
            if let title = text("title"), title.utf8.count > 64 * 3 { return .failure(Refusal(45002, "content size out of limit")) }
        case "msgmenu":
            guard let list = content?["list"] as? [[String: Any]], !list.isEmpty else { return .failure(Refusal(44004, "empty content")) }
            guard list.count <= 10 else { return .failure(Refusal(45008, "menu size out of limit")) }
            var ids = Set<String>()
            for option in list {
                guard let id = text("id", in: option), text("content", in: option) != nil, ids.insert(id).inserted else {
                    return .failure(Refusal(47001, "data format error"))
                }
            }
        case "music", "wxcard":
            guard content != nil else { return .failure(Refusal(47001, "data format error")) }
        default:
            return .failure(Refusal(40008, "invalid message type"))
        }
        return .success(checked)
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

import Foundation

/// A customer-service message without its recipient: WeChat's `message/custom/send` JSON minus
/// `touser`, optionally sent as a named agent (`customservice.kf_account`). Validated when a
/// task or rule is created, so WeChat's payload errors (45008, 44004, 45002, 40007, 40008) never
/// happen at send time.
///
/// A media field may name a file of kefu's media library (`kefu_media`, `thumb_kefu_media`)
/// instead of a WeChat `media_id`: the sender puts in the WeChat id that file has when it goes
/// out (`resolvingMedia`), uploading it first when it has none that is fresh.
public struct CustomMessage: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case text(content: String)
        case image(MediaRef)
        case voice(MediaRef)
        case video(MediaRef, thumb: MediaRef, title: String?, description: String?)
        /// 图文 linking to an external page: WeChat takes exactly one article.
        case news(title: String, description: String?, url: String, picurl: String?)
        case mpnews(mediaId: String)
        case mpnewsarticle(articleId: String)
        case miniprogrampage(title: String, appid: String, pagepath: String, thumb: MediaRef)
        /// 菜单消息: options a follower taps; the tap comes back as a text push carrying the id.
        case msgmenu(MenuMessage)
    }

    public var content: Content
    /// The agent (客服账号, `name@account`) the message is sent as, or nil.
    public var kfAccount: String?

    public init(_ content: Content, kfAccount: String? = nil) {
        self.content = content
        self.kfAccount = kfAccount
    }

    public static func text(content: String) -> CustomMessage { CustomMessage(.text(content: content)) }

    public static let supportedTypes = ["text", "image", "voice", "video", "news", "mpnews", "mpnewsarticle", "miniprogrampage", "msgmenu"]
    /// WeChat's limit on text content, in bytes.
    public static let maxTextBytes = 2048

    public var msgtype: String {
        switch content {
        case .text: "text"
        case .image: "image"
        case .voice: "voice"
        case .video: "video"
        case .news: "news"
        case .mpnews: "mpnews"
        case .mpnewsarticle: "mpnewsarticle"
        case .miniprogrampage: "miniprogrampage"
        case .msgmenu: "msgmenu"
        }
    }

    /// The library files this message names, with the kind each must be.
    public var kefuMedia: [(id: String, kind: MediaKind, field: String)] {
        var out: [(String, MediaKind, String)] = []
        func add(_ ref: MediaRef, _ kind: MediaKind, _ field: String) {
            if case .kefu(let id) = ref { out.append((id, kind, field)) }
        }
        switch content {
        case .image(let ref): add(ref, .image, "message.image.kefu_media")
        case .voice(let ref): add(ref, .voice, "message.voice.kefu_media")
        case .video(let ref, let thumb, _, _):
            add(ref, .video, "message.video.kefu_media")
            add(thumb, .thumb, "message.video.thumb_kefu_media")
        case .miniprogrampage(_, _, _, let thumb): add(thumb, .thumb, "message.miniprogrampage.thumb_kefu_media")
        default: break
        }
        return out
    }

    /// This message with every library file replaced by the WeChat media id `wechatIds` gives
    /// it; nil when one has none.
    public func resolvingMedia(_ wechatIds: [String: String]) -> CustomMessage? {
        func resolve(_ ref: MediaRef) -> MediaRef? {
            switch ref {
            case .wechat: ref
            case .kefu(let id): wechatIds[id].map(MediaRef.wechat)
            }
        }
        var resolved = self
        switch content {
        case .image(let ref): guard let ref = resolve(ref) else { return nil }; resolved.content = .image(ref)
        case .voice(let ref): guard let ref = resolve(ref) else { return nil }; resolved.content = .voice(ref)
        case .video(let ref, let thumb, let title, let description):
            guard let ref = resolve(ref), let thumb = resolve(thumb) else { return nil }
            resolved.content = .video(ref, thumb: thumb, title: title, description: description)
        case .miniprogrampage(let title, let appid, let pagepath, let thumb):
            guard let thumb = resolve(thumb) else { return nil }
            resolved.content = .miniprogrampage(title: title, appid: appid, pagepath: pagepath, thumb: thumb)
        default: break
        }
        return resolved
    }

    /// The message's JSON (without `touser`): WeChat's, except that a library file is named by
    /// `kefu_media` / `thumb_kefu_media` until `resolvingMedia` replaces it.
    public var jsonObject: [String: Any] {
        var body: [String: Any]
        switch content {
        case .text(let content): body = ["content": content]
        case .image(let ref), .voice(let ref): body = ref.json("media_id", "kefu_media")
        case .video(let ref, let thumb, let title, let description):
            body = ref.json("media_id", "kefu_media").merging(thumb.json("thumb_media_id", "thumb_kefu_media")) { a, _ in a }
            if let title { body["title"] = title }
            if let description { body["description"] = description }
        case .mpnews(let mediaId): body = ["media_id": mediaId]
        case .mpnewsarticle(let articleId): body = ["article_id": articleId]
        case .news(let title, let description, let url, let picurl):
            var article: [String: Any] = ["title": title, "url": url]
            if let description { article["description"] = description }
            if let picurl { article["picurl"] = picurl }
            body = ["articles": [article]]
        case .miniprogrampage(let title, let appid, let pagepath, let thumb):
            body = ["title": title, "appid": appid, "pagepath": pagepath].merging(thumb.json("thumb_media_id", "thumb_kefu_media")) { a, _ in a }
        case .msgmenu(let menu):
            body = ["head_content": menu.head, "tail_content": menu.tail,
                    "list": menu.options.map { ["id": $0.id, "content": $0.content] }]
        }
        var object: [String: Any] = ["msgtype": msgtype, msgtype: body]
        if let kfAccount { object["customservice"] = ["kf_account": kfAccount] }
        return object
    }

    /// Canonical JSON text (sorted keys), as stored.
    public var json: String {
        let data = try! JSONSerialization.data(withJSONObject: jsonObject, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The exact body of `message/custom/send` for one follower.
    public func sendBody(to openid: String) -> [UInt8] {
        var object = jsonObject
        object["touser"] = openid
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Reads a stored (canonical) message.
    public init(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
            throw KefuError.invalid("message", "is not JSON")
        }
        try self.init(object: object, path: "message")
    }

    /// `name@account`: WeChat's agent accounts (客服账号), letters, digits, `_`, `-` and `.`.
    public static func checkKfAccount(_ value: String, field: String) throws -> String {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = { (byte: UInt8) in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D || byte == 0x2E
        }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, value.utf8.count <= 64,
              parts[0].utf8.allSatisfy(allowed), parts[1].utf8.allSatisfy(allowed) else {
            throw KefuError.invalid(field, "must be an agent account name@account (letters, digits, _ - .; at most 64 characters)")
        }
        return value
    }

    /// Validates WeChat's message JSON; each failure names the field (`message.news.articles`)
    /// and says whether it is missing or of the wrong type.
    public init(object: Any, path: String = "message") throws {
        let message = try JSONFields(value: object, path: path)
        let type = try message.requiredString("msgtype")
        guard Self.supportedTypes.contains(type) else {
            throw KefuError.invalid("\(path).msgtype", "\"\(type)\" is not one of \(Self.supportedTypes.joined(separator: ", "))")
        }
        if let service = try message.object("customservice") {
            kfAccount = try Self.checkKfAccount(try service.requiredString("kf_account"), field: service.field("kf_account"))
        }
        let body = try message.requiredObject(type)
        let at = body.path
        func required(_ key: String, max: Int = 256, in dictionary: JSONFields = body) throws -> String {
            let value = try dictionary.requiredString(key)
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw KefuError.invalid(dictionary.field(key), "must not be empty") }
            guard value.utf8.count <= max else { throw KefuError.invalid(dictionary.field(key), "is longer than \(max) bytes") }
            return value
        }
        func optional(_ key: String, max: Int, in dictionary: JSONFields = body) throws -> String? {
            guard let value = try dictionary.string(key) else { return nil }
            guard value.utf8.count <= max else { throw KefuError.invalid(dictionary.field(key), "is longer than \(max) bytes") }
            return value.isEmpty ? nil : value
        }
        func url(_ text: String, field: String) throws -> String {
            guard let parsed = URL(string: text), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                throw KefuError.invalid(field, "must be an http(s) URL")
            }
            return text
        }
        /// A WeChat media id or a library file, exactly one of them.
        func media(_ wechatKey: String, _ kefuKey: String) throws -> MediaRef {
            let wechat = try optional(wechatKey, max: 256)
            let kefu = try optional(kefuKey, max: 64)
            switch (wechat, kefu) {
            case (let id?, nil): return .wechat(id)
            case (nil, let id?):
                guard MediaItem.isId(id) else { throw KefuError.invalid(body.field(kefuKey), "is not a media id of kefu's library (m_…)") }
                return .kefu(id)
            case (nil, nil): throw KefuError.invalid(body.field(wechatKey), "is required (or \(kefuKey): a file of kefu's media library)")
            default: throw KefuError.invalid(body.field(kefuKey), "give \(wechatKey) or \(kefuKey), not both")
            }
        }
        switch type {
        case "text":
            content = .text(content: try required("content", max: Self.maxTextBytes))
        case "image":
            content = .image(try media("media_id", "kefu_media"))
        case "voice":
            content = .voice(try media("media_id", "kefu_media"))
        case "video":
            content = .video(try media("media_id", "kefu_media"), thumb: try media("thumb_media_id", "thumb_kefu_media"),
                             title: try optional("title", max: 192), description: try optional("description", max: 512))
        case "mpnews":
            content = .mpnews(mediaId: try required("media_id"))
        case "mpnewsarticle":
            content = .mpnewsarticle(articleId: try required("article_id"))
        case "news":
            guard let articles = try body.array("articles") else { throw KefuError.invalid("\(at).articles", "is required") }
            guard articles.count == 1 else {
                throw KefuError.invalid("\(at).articles", "WeChat takes exactly one article in a customer-service news message (got \(articles.count))")
            }
            let article = try JSONFields(value: articles[0], path: "\(at).articles[0]")
            let title = try required("title", max: 192, in: article)
            let link = try url(try required("url", max: 1024, in: article), field: article.field("url"))
            let description = try optional("description", max: 512, in: article)
            let picurl = try optional("picurl", max: 1024, in: article).map { try url($0, field: article.field("picurl")) }
            content = .news(title: title, description: description, url: link, picurl: picurl)
        case "msgmenu":
            content = .msgmenu(try MenuMessage(body))
        default:  // miniprogrampage
            let appid = try required("appid", max: 32)
            guard appid.hasPrefix("wx") else { throw KefuError.invalid("\(at).appid", "must be a mini program appid (wx…)") }
            content = .miniprogrampage(title: try required("title", max: 192), appid: appid, pagepath: try required("pagepath", max: 1024),
                                       thumb: try media("thumb_media_id", "thumb_kefu_media"))
        }
    }
}

/// Where a message's media comes from.
public enum MediaRef: Sendable, Equatable {
    /// A WeChat media id, sent as it is (permanent material uploaded elsewhere).
    case wechat(String)
    /// A file of kefu's media library, sent as the fresh WeChat id kefu keeps for it.
    case kefu(String)

    func json(_ wechatKey: String, _ kefuKey: String) -> [String: Any] {
        switch self {
        case .wechat(let id): [wechatKey: id]
        case .kefu(let id): [kefuKey: id]
        }
    }
}

/// 菜单消息: a head, up to 10 options a follower can tap, a tail.
public struct MenuMessage: Sendable, Equatable {
    public struct Option: Sendable, Equatable {
        /// What a tap sends back (`bizmsgmenuid`) and menu rules match.
        public var id: String
        public var content: String
    }

    public var head: String
    public var options: [Option]
    public var tail: String

    public static let maxOptions = 10

    init(_ body: JSONFields) throws {
        func text(_ key: String, max: Int, in fields: JSONFields = body) throws -> String {
            let value = try fields.string(key) ?? ""
            guard value.utf8.count <= max else { throw KefuError.invalid(fields.field(key), "is longer than \(max) bytes") }
            return value
        }
        head = try text("head_content", max: 1024)
        tail = try text("tail_content", max: 1024)
        guard let list = try body.array("list"), !list.isEmpty else {
            throw KefuError.invalid(body.field("list"), "is required: 1 to \(Self.maxOptions) options {\"id\", \"content\"}")
        }
        guard list.count <= Self.maxOptions else {
            throw KefuError.invalid(body.field("list"), "has \(list.count) options; WeChat shows at most \(Self.maxOptions)")
        }
        var options: [Option] = []
        for (index, raw) in list.enumerated() {
            let option = try JSONFields(value: raw, path: "\(body.field("list"))[\(index)]")
            // WeChat's examples use numbers as text ("101"); a JSON number is taken as its text.
            let id: String
            if let number = option.raw("id").flatMap(JSONFields.integer) { id = String(number) } else { id = try option.requiredString("id") }
            guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F || $0 == 0x2D }) else {
                throw KefuError.invalid(option.field("id"), "must be 1 to 64 letters, digits, _ or -")
            }
            guard !options.contains(where: { $0.id == id }) else { throw KefuError.invalid(option.field("id"), "\"\(id)\" is used by another option") }
            let content = try text("content", max: 256, in: option)
            guard !content.trimmingCharacters(in: .whitespaces).isEmpty else { throw KefuError.invalid(option.field("content"), "must not be empty") }
            options.append(Option(id: id, content: content))
        }
        self.options = options
    }
}

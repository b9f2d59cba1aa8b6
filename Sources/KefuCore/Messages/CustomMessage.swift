import Foundation

/// A customer-service message without its recipient: WeChat's `message/custom/send` JSON minus
/// `touser`. Validated when a task or rule is created, so WeChat's payload errors (45008, 44004,
/// 45002, 40007, 40008) never happen at send time.
public enum CustomMessage: Sendable, Equatable {
    case text(content: String)
    case image(mediaId: String)
    /// 图文 linking to an external page: WeChat takes exactly one article.
    case news(title: String, description: String?, url: String, picurl: String?)
    case mpnews(mediaId: String)
    case mpnewsarticle(articleId: String)
    case miniprogrampage(title: String, appid: String, pagepath: String, thumbMediaId: String)

    public static let supportedTypes = ["text", "image", "news", "mpnews", "mpnewsarticle", "miniprogrampage"]
    /// WeChat's limit on text content, in bytes.
    public static let maxTextBytes = 2048

    public var msgtype: String {
        switch self {
        case .text: "text"
        case .image: "image"
        case .news: "news"
        case .mpnews: "mpnews"
        case .mpnewsarticle: "mpnewsarticle"
        case .miniprogrampage: "miniprogrampage"
        }
    }

    /// WeChat's JSON for this message (without `touser`).
    public var jsonObject: [String: Any] {
        var body: [String: Any]
        switch self {
        case .text(let content): body = ["content": content]
        case .image(let mediaId), .mpnews(let mediaId): body = ["media_id": mediaId]
        case .mpnewsarticle(let articleId): body = ["article_id": articleId]
        case .news(let title, let description, let url, let picurl):
            var article: [String: Any] = ["title": title, "url": url]
            if let description { article["description"] = description }
            if let picurl { article["picurl"] = picurl }
            body = ["articles": [article]]
        case .miniprogrampage(let title, let appid, let pagepath, let thumbMediaId):
            body = ["title": title, "appid": appid, "pagepath": pagepath, "thumb_media_id": thumbMediaId]
        }
        return ["msgtype": msgtype, msgtype: body]
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

    /// Validates WeChat's message JSON; each failure names the field (`message.news.articles`)
    /// and says whether it is missing or of the wrong type.
    public init(object: Any, path: String = "message") throws {
        let message = try JSONFields(value: object, path: path)
        let type = try message.requiredString("msgtype")
        guard Self.supportedTypes.contains(type) else {
            throw KefuError.invalid("\(path).msgtype", "\"\(type)\" is not one of \(Self.supportedTypes.joined(separator: ", "))")
        }
        let body = try message.requiredObject(type)
        let at = body.path
        func required(_ key: String, max: Int = 256, in dictionary: JSONFields = body) throws -> String {
            let value = try dictionary.requiredString(key)
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw KefuError.invalid(dictionary.field(key), "must not be empty") }
            guard value.utf8.count <= max else { throw KefuError.invalid(dictionary.field(key), "is longer than \(max) bytes") }
            return value
        }
        func optional(_ key: String, max: Int, in dictionary: JSONFields) throws -> String? {
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
        switch type {
        case "text":
            self = .text(content: try required("content", max: Self.maxTextBytes))
        case "image":
            self = .image(mediaId: try required("media_id"))
        case "mpnews":
            self = .mpnews(mediaId: try required("media_id"))
        case "mpnewsarticle":
            self = .mpnewsarticle(articleId: try required("article_id"))
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
            self = .news(title: title, description: description, url: link, picurl: picurl)
        default:  // miniprogrampage
            let appid = try required("appid", max: 32)
            guard appid.hasPrefix("wx") else { throw KefuError.invalid("\(at).appid", "must be a mini program appid (wx…)") }
            self = .miniprogrampage(title: try required("title", max: 192), appid: appid,
                                    pagepath: try required("pagepath", max: 1024), thumbMediaId: try required("thumb_media_id"))
        }
    }
}

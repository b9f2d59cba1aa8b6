import Foundation
import KefuCore
import Testing

@Suite("Customer-service messages")
struct CustomMessageTests {
    static func parse(_ json: String) throws -> CustomMessage {
        try CustomMessage(object: try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    @Test("every supported type round-trips to WeChat's exact JSON", arguments: [
        #"{"msgtype": "text", "text": {"content": "你好 <a href=\"https://x.cn\">link</a>"}}"#,
        #"{"msgtype": "image", "image": {"media_id": "MEDIA"}}"#,
        #"{"msgtype": "news", "news": {"articles": [{"title": "T", "description": "D", "url": "https://a.cn/x", "picurl": "https://a.cn/p.jpg"}]}}"#,
        #"{"msgtype": "mpnews", "mpnews": {"media_id": "MEDIA"}}"#,
        #"{"msgtype": "mpnewsarticle", "mpnewsarticle": {"article_id": "ARTICLE"}}"#,
        #"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "T", "appid": "wx1234", "pagepath": "pages/index", "thumb_media_id": "THUMB"}}"#,
    ])
    func roundTrip(json: String) throws {
        let message = try Self.parse(json)
        let expected = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! NSDictionary
        #expect(NSDictionary(dictionary: message.jsonObject) == expected)
        #expect(try CustomMessage(json: message.json) == message)
        var body = try JSONSerialization.jsonObject(with: Data(message.sendBody(to: "oX"))) as! [String: Any]
        #expect(body.removeValue(forKey: "touser") as? String == "oX")
        #expect(NSDictionary(dictionary: body) == expected)
        // The sender's template gives the same bytes, for plain openids and ones needing escapes.
        let template = try #require(SendBodyTemplate(json: message.json))
        for openid in ["oX", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "o-with\"quote", "o/ünï"] {
            #expect(template.body(to: openid) == message.sendBody(to: openid))
        }
    }

    @Test("a message whose text contains the template's placeholder still gets the exact body")
    func templatePlaceholderInText() throws {
        let message = CustomMessage.text(content: "kefuOpenidPlaceholder7f3a9c")
        let template = try #require(SendBodyTemplate(json: message.json))
        #expect(template.body(to: "oAbc") == message.sendBody(to: "oAbc"))
        #expect(SendBodyTemplate(json: "not json") == nil)
    }

    @Test("invalid messages are refused naming the field", arguments: [
        (#"{"text": {"content": "x"}}"#, "message.msgtype"),
        (#"{"msgtype": "voice", "voice": {"media_id": "M"}}"#, "message.msgtype"),
        (#"{"msgtype": "text"}"#, "message.text"),
        (#"{"msgtype": "text", "text": {"content": "  "}}"#, "message.text.content"),
        (#"{"msgtype": "text", "text": {"content": "\#(String(repeating: "长", count: 700))"}}"#, "message.text.content"),
        (#"{"msgtype": "news", "news": {"articles": []}}"#, "message.news.articles"),
        (#"{"msgtype": "news", "news": {"articles": [{"title": "a", "url": "https://a.cn"}, {"title": "b", "url": "https://b.cn"}]}}"#, "message.news.articles"),
        (#"{"msgtype": "news", "news": {"articles": [{"url": "https://a.cn"}]}}"#, "message.news.articles[0].title"),
        (#"{"msgtype": "news", "news": {"articles": [{"title": "a", "url": "ftp://a"}]}}"#, "message.news.articles[0].url"),
        (#"{"msgtype": "image", "image": {}}"#, "message.image.media_id"),
        (#"{"msgtype": "mpnewsarticle", "mpnewsarticle": {"media_id": "x"}}"#, "message.mpnewsarticle.article_id"),
        (#"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "T", "appid": "wx1", "pagepath": "p"}}"#, "message.miniprogrampage.thumb_media_id"),
        (#"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "T", "appid": "app", "pagepath": "p", "thumb_media_id": "m"}}"#, "message.miniprogrampage.appid"),
    ])
    func invalid(json: String, field: String) {
        #expect { try Self.parse(json) } throws: { ($0 as? KefuError)?.field == field }
    }
}

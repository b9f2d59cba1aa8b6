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
        #"{"msgtype": "voice", "voice": {"media_id": "VOICE"}}"#,
        #"{"msgtype": "video", "video": {"media_id": "VIDEO", "thumb_media_id": "THUMB", "title": "T", "description": "D"}}"#,
        #"{"msgtype": "msgmenu", "msgmenu": {"head_content": "您对本次服务是否满意？", "list": [{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}], "tail_content": "欢迎再次光临"}}"#,
        #"{"msgtype": "text", "text": {"content": "hi"}, "customservice": {"kf_account": "xiaomei@shop"}}"#,
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
        (#"{"msgtype": "wxcard", "wxcard": {"card_id": "C"}}"#, "message.msgtype"),
        (#"{"msgtype": "voice", "voice": {"media_id": "M", "kefu_media": "m_0123456789abcdef0123"}}"#, "message.voice.kefu_media"),
        (#"{"msgtype": "image", "image": {"kefu_media": "../etc/passwd"}}"#, "message.image.kefu_media"),
        (#"{"msgtype": "video", "video": {"media_id": "V"}}"#, "message.video.thumb_media_id"),
        (#"{"msgtype": "msgmenu", "msgmenu": {"list": []}}"#, "message.msgmenu.list"),
        (#"{"msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1", "content": "a"}, {"id": "1", "content": "b"}]}}"#, "message.msgmenu.list[1].id"),
        (#"{"msgtype": "msgmenu", "msgmenu": {"list": [{"id": "<x>", "content": "a"}]}}"#, "message.msgmenu.list[0].id"),
        (#"{"msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1", "content": " "}]}}"#, "message.msgmenu.list[0].content"),
        (#"{"msgtype": "msgmenu", "msgmenu": {"list": [\#((1...11).map { #"{"id": "\#($0)", "content": "c"}"# }.joined(separator: ", "))]}}"#, "message.msgmenu.list"),
        (#"{"msgtype": "text", "text": {"content": "x"}, "customservice": {"kf_account": "no-at-sign"}}"#, "message.customservice.kf_account"),
        (#"{"msgtype": "text", "text": {"content": "x"}, "customservice": {"kf_account": "<b>@c"}}"#, "message.customservice.kf_account"),
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

@Suite("Messages naming library files")
struct LibraryMediaMessageTests {
    @Test("kefu_media and thumb_kefu_media are kept as such, and resolved to WeChat ids for sending")
    func resolve() throws {
        let card = try CustomMessageTests.parse(
            #"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "T", "appid": "wx1234", "pagepath": "p", "thumb_kefu_media": "m_0123456789abcdef0123"}}"#)
        #expect(card.kefuMedia.map { $0.id } == ["m_0123456789abcdef0123"])
        #expect(card.kefuMedia.map { $0.kind } == [.thumb])
        #expect(card.json.contains(#""thumb_kefu_media":"m_0123456789abcdef0123""#))
        #expect(card.resolvingMedia([:]) == nil)
        let sent = try #require(card.resolvingMedia(["m_0123456789abcdef0123": "WX_THUMB"]))
        let body = try JSONSerialization.jsonObject(with: Data(sent.sendBody(to: "oA"))) as! [String: Any]
        #expect((body["miniprogrampage"] as? [String: Any])?["thumb_media_id"] as? String == "WX_THUMB")
        #expect((body["miniprogrampage"] as? [String: Any])?["thumb_kefu_media"] == nil)
        let video = try CustomMessageTests.parse(
            #"{"msgtype": "video", "video": {"kefu_media": "m_aaaaaaaaaaaaaaaaaaaa", "thumb_media_id": "PERMANENT"}}"#)
        #expect(video.kefuMedia.map { $0.kind } == [.video])
        let resolved = try #require(video.resolvingMedia(["m_aaaaaaaaaaaaaaaaaaaa": "WX_VIDEO"]))
        #expect(resolved.content == .video(.wechat("WX_VIDEO"), thumb: .wechat("PERMANENT"), title: nil, description: nil))
    }

    @Test("a menu tap matches menu rules by option id, and nothing else does")
    func menuTrigger() {
        let tap = Interaction(appid: "wx1", openid: "oA", kind: .message, detail: "text", key: "101", content: "满意", at: 1, dedupeKey: "m:1")
        let typed = Interaction(appid: "wx1", openid: "oA", kind: .message, detail: "text", content: "101", at: 1, dedupeKey: "m:2")
        #expect(DelayedRule.Trigger(kind: .menu, key: "101").matches(tap))
        #expect(!DelayedRule.Trigger(kind: .menu, key: "102").matches(tap))
        #expect(!DelayedRule.Trigger(kind: .menu, key: "101").matches(typed), "typing the id is not a tap")
        #expect(DelayedRule.Trigger(kind: .menu).matches(tap))
        #expect(DelayedRule.Trigger(kind: .message, key: "满意").matches(tap), "a tap is a message too")
    }
}

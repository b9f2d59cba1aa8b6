import Foundation
import KefuCore
import Testing
@testable import WeChatProtocol

@Suite("Push parsing")
struct PushParsingTests {
    static let received: Int64 = 4_000_000_000_000

    static func interaction(_ xml: String) throws -> Interaction {
        try Push.parse(Array(xml.utf8)).interaction(appid: "wx0000000000000001", receivedAt: received)
    }

    @Test("fields are trimmed of whitespace and newlines as Foundation's whitespacesAndNewlines would", arguments: [
        ("oAbc", "oAbc"), ("  a b \n", "a b"), ("\n\t text\r\n", "text"), (" \t\n ", ""), ("", ""),
        ("\u{3000}全角\u{3000}", "全角"), ("\u{00A0}x", "x"),
    ])
    func trimming(raw: String, expected: String) {
        #expect(trimmingWhitespace(raw) == expected)
        #expect(trimmingWhitespace(raw) == raw.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("every Official Account push sample parses, none is rejected", arguments: try Fixtures.pushFiles())
    func everySampleParses(file: String) throws {
        let push = try Push.parse(try Fixtures.bytes("push/\(file)"))
        #expect(!push.fromUserName.isEmpty)
        #expect(push.createTime > 0)
        let interaction = push.interaction(appid: "wx0000000000000001", receivedAt: Self.received)
        #expect(interaction.openid == push.fromUserName)
    }

    @Test("each sample is classified by WeChat's window rules", arguments: [
        ("test_parser__test_parse_text_message__1.xml", InteractionKind.message, nil as String?),
        ("test_parser__test_parse_image_message__1.xml", .message, nil),
        ("test_parser__test_parse_voice_message__1.xml", .message, nil),
        ("test_parser__test_parse_video_message__1.xml", .message, nil),
        ("test_parser__test_parse_location_message__1.xml", .message, nil),
        ("test_parser__test_parse_link_message__1.xml", .message, nil),
        ("werobot__test_handler__test_shortvideo.xml", .message, nil),
        ("test_events__test_subscribe_event__1.xml", .subscribe, nil),
        ("test_parser__test_parse_subscribe_scan_event__1.xml", .subscribe, "123123"),
        ("test_events__test_unsubscribe_event__1.xml", .unsubscribe, nil),
        ("test_parser__test_parse_scan_event__1.xml", .scan, "123123"),
        ("test_parser__test_parse_click_event__1.xml", .click, "EVENTKEY"),
        ("test_events__test_scan_code_push_event__1.xml", .click, "6"),
        ("test_events__test_scan_code_waitmsg_event__1.xml", .click, "6"),
        ("test_parser__test_parse_view_event__1.xml", .event, "www.qq.com"),
        ("doc__view_miniprogram_event.xml", .event, "pages/index/index"),
        ("test_parser__test_parse_location_event__1.xml", .event, nil),
        ("test_events__test_pic_sysphoto_event__1.xml", .event, "6"),
        ("test_events__test_location_select_event__1.xml", .event, "6"),
        ("test_events__test_template_send_job_finish_event__1.xml", .event, nil),
        ("test_events__test_mass_send_job_finish_event__1.xml", .event, nil),
        ("test_parser__test_parse_unknown_message__1.xml", .other, nil),
        ("test_events__test_shakearound_user_shake_event__1.xml", .other, nil),
    ])
    func classification(file: String, kind: InteractionKind, key: String?) throws {
        let push = try Push.parse(try Fixtures.bytes("push/\(file)"))
        let interaction = push.interaction(appid: "wx0000000000000001", receivedAt: Self.received)
        #expect(interaction.kind == kind)
        if kind != .event && kind != .other { #expect(interaction.key == key) }
    }

    @Test("nested ScanCodeInfo, SendPicsInfo and SendLocationInfo are read, not rejected")
    func nested() throws {
        let scan = try PushXML.parse(try Fixtures.bytes("push/test_events__test_scan_code_push_event__1.xml"))
        #expect(scan["ScanCodeInfo"]?["ScanResult"]?.text == "1")
        let pics = try PushXML.parse(try Fixtures.bytes("push/test_events__test_pic_sysphoto_event__1.xml"))
        #expect(pics["SendPicsInfo"]?["PicList"]?.children.isEmpty == false)
        let location = try PushXML.parse(try Fixtures.bytes("push/test_events__test_location_select_event__1.xml"))
        #expect(location["SendLocationInfo"]?["Label"] != nil)
    }

    @Test("text content, MsgId dedupe key and event dedupe key")
    func fields() throws {
        let text = try Self.interaction("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content><![CDATA[退订 a&b]]></Content><MsgId>42</MsgId></xml>")
        #expect(text.content == "退订 a&b")
        #expect(text.dedupeKey == "m:42")
        #expect(text.at == 1_700_000_000_000)
        let click = try Self.interaction("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>K&amp;1</EventKey></xml>")
        #expect(click.key == "K&1")
        #expect(click.dedupeKey == "e:oA:1700000000:CLICK:K&1")
    }

    @Test("the interaction time is CreateTime, but never later than its arrival")
    func timeCap() throws {
        let future = try Push.parse(Array("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName><CreateTime>9999999999</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>".utf8))
        #expect(future.interaction(appid: "wx0000000000000001", receivedAt: 1_000).at == 1_000)
    }

    @Test("event names are case-sensitive: 'click' is not a CLICK")
    func caseSensitive() throws {
        let lower = try Self.interaction("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>click</Event><EventKey>K</EventKey></xml>")
        #expect(lower.kind == .other)
    }

    @Test("JSON-format pushes parse too")
    func jsonPush() throws {
        let push = try Push.parse(Array(#"{"ToUserName":"gh_1","FromUserName":"oA","CreateTime":1714112445,"MsgType":"text","Content":"hi","MsgId":6054768590064713728}"#.utf8))
        #expect(push.msgId == "6054768590064713728")
        #expect(push.content == "hi")
    }

    @Test("malformed and dangerous XML is rejected", arguments: [
        "",
        "not xml",
        "<xml><ToUserName>gh</ToUserName>",
        "<xml><a></b></xml>",
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><ToUserName>&x;</ToUserName></xml>",
        "<xml><!DOCTYPE x><ToUserName>gh</ToUserName></xml>",
        "<xml><ToUserName>&xxe;</ToUserName></xml>",
        "<xml><?php echo 1 ?></xml>",
        "<xml></xml><xml></xml>",
        "<root><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></root>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType></xml>",
        String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40),
    ])
    func rejected(xml: String) {
        #expect(throws: Push.Malformed.self) { try Push.parse(Array(xml.utf8)) }
    }
}

@Suite("Menu message taps")
struct MenuTapParsingTests {
    static func xml(_ menu: String, type: String = "text") -> String {
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oTap]]></FromUserName><CreateTime>1700000000</CreateTime>"
            + "<MsgType><![CDATA[\(type)]]></MsgType><Content><![CDATA[满意]]></Content><MsgId>99</MsgId>\(menu)</xml>"
    }

    @Test("a tap is a text message whose key is the option id (bizmsgmenuid); hostile or misplaced ids are dropped", arguments: [
        ("<bizmsgmenuid>101</bizmsgmenuid>", "text", "101"),
        ("<bizmsgmenuid><![CDATA[ 102 ]]></bizmsgmenuid>", "text", "102"),
        ("", "text", nil),
        ("<bizmsgmenuid></bizmsgmenuid>", "text", nil),
        ("<bizmsgmenuid>\(String(repeating: "9", count: 129))</bizmsgmenuid>", "text", nil),
        ("<bizmsgmenuid>101</bizmsgmenuid>", "image", nil),
    ] as [(String, String, String?)])
    func tap(menu: String, type: String, key: String?) throws {
        let interaction = try Push.parse(Array(Self.xml(menu, type: type).utf8)).interaction(appid: "wx1", receivedAt: 1_800_000_000_000)
        #expect(interaction.kind == .message)
        #expect(interaction.key == key)
        #expect(interaction.content == (type == "text" ? "满意" : nil))
    }
}

import Foundation
import KefuCore
import KefuTestSupport
import Testing
@testable import WeChatSimulator

/// The simulator is only worth testing against if it enforces WeChat's rules; these pin them.
@Suite("WeChat simulator rules")
struct SimulatorRulesTests {
    static let t0: Int64 = 1_800_000_000_000
    static let account = SimulatedAccount(appid: "wx00000000000000c1", secret: "the-secret-0123456789", token: "tok",
                                          agents: ["xiaomei@shop"], materials: ["M", "m"])

    static func make(quota: Int = 500_000, mediaLifetime: Int64 = 3 * 86_400) async -> (SimulatedWeChat, ManualWallClock, String) {
        let clock = ManualWallClock(t0)
        let wechat = SimulatedWeChat(configuration: .init(policy: testPolicy, tokenLifetimeSeconds: 7200, mediaLifetimeSeconds: mediaLifetime),
                                     clock: clock)
        var account = account
        account.dailyQuota = quota
        await wechat.addAccount(account)
        let token = await wechat.stableToken(appid: account.appid, secret: account.secret, grantType: "client_credential", forceRefresh: false).accessToken!
        return (wechat, clock, token)
    }

    static func text(_ openid: String, _ content: String = "hi") -> [UInt8] {
        Array(#"{"touser": "\#(openid)", "msgtype": "text", "text": {"content": "\#(content)"}}"#.utf8)
    }

    @Test("token endpoints check grant_type, appid and secret")
    func tokenErrors() async {
        let (wechat, _, _) = await Self.make()
        #expect(await wechat.token(appid: Self.account.appid, secret: Self.account.secret, grantType: "password").errcode == 40002)
        #expect(await wechat.token(appid: "wx0000000000000000", secret: "x", grantType: "client_credential").errcode == 40013)
        #expect(await wechat.stableToken(appid: Self.account.appid, secret: "wrong", grantType: "client_credential", forceRefresh: false).errcode == 40125)
    }

    @Test("stable_token returns the same token until it expires; force_refresh is limited")
    func stableToken() async {
        let (wechat, clock, first) = await Self.make()
        let again = await wechat.stableToken(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential", forceRefresh: false)
        #expect(again.accessToken == first)
        let forced = await wechat.stableToken(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential", forceRefresh: true)
        #expect(forced.accessToken != nil && forced.accessToken != first)
        #expect(await wechat.customSend(accessToken: first, body: Self.text("o")).errcode == 40001)
        let tooSoon = await wechat.stableToken(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential", forceRefresh: true)
        #expect(tooSoon.errcode == 45011)
        for _ in 0..<19 {
            clock.advance(seconds: 31)
            _ = await wechat.stableToken(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential", forceRefresh: true)
        }
        clock.advance(seconds: 31)
        #expect(await wechat.stableToken(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential", forceRefresh: true).errcode == 45009)
    }

    @Test("a superseded /cgi-bin/token keeps working for 5 minutes, then answers 40001; an old one 42001")
    func tokenLifetime() async {
        let (wechat, clock, _) = await Self.make()
        await wechat.recordTestAction("oA", .message)
        let old = await wechat.token(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential").accessToken!
        let new = await wechat.token(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential").accessToken!
        #expect(await wechat.customSend(accessToken: old, body: Self.text("oA")).errcode == 0)
        clock.advance(seconds: 301)
        #expect(await wechat.customSend(accessToken: old, body: Self.text("oA")).errcode == 40001)
        #expect(await wechat.customSend(accessToken: new, body: Self.text("oA")).errcode == 0)
        clock.advance(seconds: 7200)
        #expect(await wechat.customSend(accessToken: new, body: Self.text("oA")).errcode == 42001)
        #expect(await wechat.customSend(accessToken: nil, body: Self.text("oA")).errcode == 41001)
        #expect(await wechat.customSend(accessToken: "forged", body: Self.text("oA")).errcode == 40001)
    }

    @Test("window policy: 45015 outside a grant, 45047 past its count, 43004 unsubscribed, 40003 stranger")
    func windowRules() async {
        let (wechat, clock, token) = await Self.make()
        await wechat.recordTestAction("oFollow", .subscribe)
        for _ in 0..<3 { #expect(await wechat.customSend(accessToken: token, body: Self.text("oFollow")).errcode == 0) }
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oFollow")).errcode == 45047)
        await wechat.recordTestAction("oLate", .click)
        clock.advance(seconds: 61)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oLate")).errcode == 45015)
        await wechat.recordTestAction("oGone", .message)
        await wechat.recordTestAction("oGone", .unsubscribe)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oGone")).errcode == 43004)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oNobody")).errcode == 40003)
        await wechat.recordTestAction("oView", .event)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oView")).errcode == 45015)
        // A new message resets the count.
        await wechat.recordTestAction("oTalk", .message)
        for _ in 0..<5 { #expect(await wechat.customSend(accessToken: token, body: Self.text("oTalk")).errcode == 0) }
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oTalk")).errcode == 45047)
        await wechat.recordTestAction("oTalk", .message)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oTalk")).errcode == 0)
        #expect(await wechat.received(appid: Self.account.appid).count == 9)
    }

    @Test("payload rules", arguments: [
        (#"{"touser": "oA", "msgtype": "news", "news": {"articles": [{"title": "a", "url": "https://a"}, {"title": "b", "url": "https://b"}]}}"#, 45008),
        (#"{"touser": "oA", "msgtype": "news", "news": {"articles": [{"title": "a", "url": "https://a", "description": "d", "picurl": "https://p"}]}}"#, 0),
        (#"{"touser": "oA", "msgtype": "text", "text": {"content": ""}}"#, 44004),
        (#"{"touser": "oA", "msgtype": "hologram", "hologram": {}}"#, 40008),
        (#"{"touser": "oA", "msgtype": "image", "image": {}}"#, 40007),
        (#"{"touser": "oA", "msgtype": "image", "image": {"media_id": "M"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "mpnewsarticle", "mpnewsarticle": {"article_id": "A"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "appid": "wx1", "pagepath": "p", "thumb_media_id": "m"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t"}}"#, 47001),
        ("not json", 47001),
        // Media ids must be the account's: permanent material ("M") or a live upload.
        (#"{"touser": "oA", "msgtype": "image", "image": {"media_id": "NEVER_UPLOADED"}}"#, 40007),
        (#"{"touser": "oA", "msgtype": "voice", "voice": {"media_id": "M"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "video", "video": {"media_id": "M"}}"#, 40007),
        (#"{"touser": "oA", "msgtype": "video", "video": {"media_id": "M", "thumb_media_id": "m", "title": "t"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "appid": "wx1", "pagepath": "p", "thumb_media_id": "x"}}"#, 40007),
        // Menu messages: 1 to 10 options, each with an id and content, ids distinct.
        (#"{"touser": "oA", "msgtype": "msgmenu", "msgmenu": {"head_content": "h", "list": [{"id": "101", "content": "yes"}], "tail_content": "t"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "msgmenu", "msgmenu": {"list": []}}"#, 44004),
        (#"{"touser": "oA", "msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1", "content": "a"}, {"id": "1", "content": "b"}]}}"#, 47001),
        (#"{"touser": "oA", "msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1"}]}}"#, 47001),
        // Agents: only those the account has.
        (#"{"touser": "oA", "msgtype": "text", "text": {"content": "x"}, "customservice": {"kf_account": "xiaomei@shop"}}"#, 0),
        (#"{"touser": "oA", "msgtype": "text", "text": {"content": "x"}, "customservice": {"kf_account": "nobody@shop"}}"#, 65401),
        (#"{"touser": "oA", "msgtype": "text", "text": {"content": "x"}, "customservice": {}}"#, 47001),
    ])
    func payloads(body: String, errcode: Int) async {
        let (wechat, _, token) = await Self.make()
        await wechat.recordTestAction("oA", .message)
        #expect(await wechat.customSend(accessToken: token, body: Array(body.utf8)).errcode == errcode)
    }

    @Test("daily quota: 45009 past it, and a new (China-time) day starts afresh")
    func quota() async {
        let (wechat, clock, token) = await Self.make(quota: 2)
        await wechat.recordTestAction("oA", .message)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == 0)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == 0)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == 45009)
        clock.advance(seconds: 86_400)
        await wechat.recordTestAction("oA", .message)
        let fresh = await wechat.token(appid: Self.account.appid, secret: Self.account.secret, grantType: "client_credential").accessToken
        #expect(await wechat.customSend(accessToken: fresh, body: Self.text("oA")).errcode == 0)
    }

    @Test("faults: forced 40001 and system busy -1")
    func faults() async {
        let (wechat, _, token) = await Self.make()
        await wechat.recordTestAction("oA", .message)
        await wechat.setFaults(Faults(force40001: 1))
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == 40001)
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == 0)
        await wechat.setFaults(Faults(busyRate: 1))
        #expect(await wechat.customSend(accessToken: token, body: Self.text("oA")).errcode == -1)
        #expect(await wechat.received().count == 1)
    }
}

extension SimulatorRulesTests {
    static func upload(_ wechat: SimulatedWeChat, _ token: String?, type: String?, _ bytes: [UInt8]?, filename: String? = "f.jpg")
        async -> SimulatedWeChat.Answer {
        await wechat.uploadMedia(accessToken: token, type: type, file: bytes.map { UploadedFile(filename: filename, bytes: $0) })
    }

    /// An upload by its type, the file's format and size (no bytes: test arguments are printed).
    @Test("media upload: WeChat's checks and codes, in its order", arguments: [
        ("image", MediaFormat.png, 100, "a.png", 0),
        ("image", .gif, 100, "a.GIF", 0),
        ("thumb", .jpeg, 64 * 1024, "t.jpg", 0),
        ("voice", .amr, 100, "v.amr", 0),
        ("voice", .mp3, 100, "v.mp3", 0),
        ("video", .mp4, 100, "v.mp4", 0),
        ("sticker", .png, 100, "a.png", 40004),
        ("image", .png, 0, "a.png", 41005),
        ("voice", .png, 100, "song.mp3", 40005),
        ("image", .png, 100, "a.mp3", 40005),
        ("image", .png, 100, "noextension", 40005),
        ("thumb", .png, 100, "t.png", 40005),
        ("thumb", .jpeg, 64 * 1024 + 1, "t.jpg", 40006),
        ("voice", .amr, 2 * 1024 * 1024 + 1, "v.amr", 40006),
    ])
    func uploads(type: String, format: MediaFormat, size: Int, filename: String, errcode: Int) async {
        let (wechat, _, token) = await Self.make()
        let answer = await Self.upload(wechat, token, type: type, size == 0 ? nil : MediaFiles.file(format, size: size), filename: filename)
        #expect(answer.errcode == errcode, "\(answer.errmsg)")
        #expect((answer.mediaId != nil) == (errcode == 0))
        #expect(await wechat.mediaUploads().count == (errcode == 0 ? 1 : 0))
    }

    @Test("an uploaded media id works for its account until it expires or is forgotten, then 40007")
    func mediaLifetime() async {
        let (wechat, clock, token) = await Self.make(mediaLifetime: 60)
        await wechat.recordTestAction("oA", .message)
        #expect(await Self.upload(wechat, nil, type: "image", MediaFiles.file(.png, size: 10)).errcode == 41001)
        #expect(await Self.upload(wechat, "forged", type: "image", MediaFiles.file(.png, size: 10)).errcode == 40001)
        let id = await Self.upload(wechat, token, type: "image", MediaFiles.file(.jpeg, size: 10)).mediaId!
        let image = Array(#"{"touser": "oA", "msgtype": "image", "image": {"media_id": "\#(id)"}}"#.utf8)
        #expect(await wechat.customSend(accessToken: token, body: image).errcode == 0)
        clock.advance(seconds: 61)
        #expect(await wechat.customSend(accessToken: token, body: image).errcode == 40007)
        let again = await Self.upload(wechat, token, type: "image", MediaFiles.file(.jpeg, size: 10)).mediaId!
        #expect(again != id)
        #expect(await wechat.forgetMedia() == 2)
        #expect(await wechat.customSend(accessToken: token, body: Array(#"{"touser": "oA", "msgtype": "image", "image": {"media_id": "\#(again)"}}"#.utf8)).errcode == 40007)
    }

    @Test("another account's media id is unknown (40007); an account without agents answers 65400")
    func mediaAndAgentsPerAccount() async {
        let (wechat, _, token) = await Self.make()
        let other = SimulatedAccount(appid: "wx00000000000000c2", secret: "other-secret-0123456789", token: "tok")
        await wechat.addAccount(other)
        let otherToken = await wechat.stableToken(appid: other.appid, secret: other.secret, grantType: "client_credential", forceRefresh: false).accessToken!
        let id = await Self.upload(wechat, token, type: "image", MediaFiles.file(.png, size: 10), filename: "x.png").mediaId!
        _ = await wechat.recordAction(appid: other.appid, openid: "oB", kind: .message, eventIdentity: nil)
        #expect(await wechat.customSend(accessToken: otherToken, body: Array(#"{"touser": "oB", "msgtype": "image", "image": {"media_id": "\#(id)"}}"#.utf8)).errcode == 40007)
        #expect(await wechat.customSend(accessToken: otherToken, body: Array(#"{"touser": "oB", "msgtype": "text", "text": {"content": "x"}, "customservice": {"kf_account": "xiaomei@shop"}}"#.utf8)).errcode == 65400)
    }

    @Test("a follower can tap only an option of a menu they received")
    func menuOptions() async {
        let (wechat, _, token) = await Self.make()
        await wechat.recordTestAction("oA", .message)
        #expect(await wechat.menuOption(appid: Self.account.appid, openid: "oA", id: "101") == nil)
        let menu = #"{"touser": "oA", "msgtype": "msgmenu", "msgmenu": {"list": [{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}]}}"#
        #expect(await wechat.customSend(accessToken: token, body: Array(menu.utf8)).errcode == 0)
        #expect(await wechat.menuOption(appid: Self.account.appid, openid: "oA", id: "102") == "不满意")
        #expect(await wechat.menuOption(appid: Self.account.appid, openid: "oB", id: "102") == nil)
        let xml = PushBuilder.xml(FollowerAction(openid: "oA", kind: .menuTap, key: "102", content: "不满意"), account: Self.account,
                                  createTime: 1_800_000_000, msgId: 7)
        #expect(xml.contains("<bizmsgmenuid><![CDATA[102]]></bizmsgmenuid>"))
        #expect(xml.contains("<MsgType><![CDATA[text]]></MsgType>"))
    }
}

extension SimulatedWeChat {
    func recordTestAction(_ openid: String, _ kind: InteractionKind) {
        _ = recordAction(appid: SimulatorRulesTests.account.appid, openid: openid, kind: kind, eventIdentity: nil)
    }
}

import Foundation
import KefuCore
import KefuTestSupport
import Testing
import WeChatSimulator

extension EndToEnd {
/// Media, agents and menu messages end to end: `kefu serve`, `kefu worker` processes and the
/// simulator (which issues media ids that expire, answers 40007 for unknown ones, and checks
/// agents), as real processes on both stores.
@Suite("Media, agents and menus with real processes", .serialized)
struct MediaProcessTests {
    static let policy = #"{"grants": [{"on": "message", "sends": 5, "seconds": 3600}]}"#

    static func stats(_ task: [String: Any]) -> [String: Any] { task["stats"] as? [String: Any] ?? [:] }

    static func bodies(_ harness: ProcessHarness, _ appid: String, type: String) async throws -> [(openid: String, body: [String: Any])] {
        try await harness.received(appid).filter { $0["msgtype"] as? String == type }.map { message in
            (message["openid"] as! String,
             try JSONSerialization.jsonObject(with: Data((message["body"] as! String).utf8)) as! [String: Any])
        }
    }

    /// Runs `body` on a fresh harness, recording any error with the server's log, and shuts the
    /// harness down however `body` ends.
    static func withHarness(_ backend: StoreBackend, simulatorExtra: [String] = [], serverExtra: [String] = ["--workers", "1"],
                            _ body: (ProcessHarness) async throws -> Void) async throws {
        let harness = try await ProcessHarness(policy: Self.policy, backend: backend, simulatorExtra: simulatorExtra)
        do {
            try await harness.startServer(extra: serverExtra)
            try await body(harness)
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    /// Account `n` at `rate` sends/s, whose followers `openids` each sent a text message.
    static func account(_ n: Int, rate: Int, on harness: ProcessHarness, followers openids: [String], agents: [String] = []) async throws -> Account {
        var account = TestAccounts.plain(n)
        account.sendRate = rate
        try await harness.addAccount(account, mode: "plain", agents: agents)
        try await harness.play(account.appid, openids.map { ["openid": $0, "kind": "text"] })
        return account
    }

    static func log(_ harness: ProcessHarness, task: Int) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        var cursor: String?
        repeat {
            let page = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/tasks/\(task)/deliveries?limit=1000\(cursor.map { "&cursor=\($0)" } ?? "")",
                                              headers: harness.auth).json ?? [:]
            rows += page["deliveries"] as? [[String: Any]] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return rows
    }

    @Test("an image task and a mini-program card task sent after the media lifetime: every follower gets a media id WeChat accepts, no file uploaded twice within its age limit by 3 worker processes, as a named agent",
          arguments: StoreBackend.allCases)
    func expiredMedia(backend: StoreBackend) async throws {
        // WeChat keeps media 8 s here, and kefu uploads again after 6 s.
        try await Self.withHarness(backend, simulatorExtra: ["--media-lifetime", "8"], serverExtra: ["--workers", "0"]) { harness in
            let followers = (0..<600).map { "oMedia\($0)" }
            let account = try await Self.account(41, rate: 2000, on: harness, followers: followers, agents: ["xiaomei@shop"])
            let workers = try await harness.startWorkers(processes: 3, extra: ["--media-max-age", "6"])
            let picture = try await harness.uploadMedia(account.appid, type: "image", SampleMedia.png, filename: "海报.png")
            let thumb = try await harness.uploadMedia(account.appid, type: "thumb", SampleMedia.jpeg, filename: "card.jpg")

            // A test send first: the picture gets its WeChat id now, and it is expired at the send time.
            let sendAt = SystemWallClock().nowMillis() + 10_000
            let image = try await harness.createTask(
                appid: account.appid, message: #"{"msgtype": "image", "image": {"kefu_media": "\#(picture)"}, "customservice": {"kf_account": "xiaomei@shop"}}"#,
                sendAt: sendAt)
            let card = try await harness.createTask(
                appid: account.appid,
                message: #"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "会场", "appid": "wx1234567890abcdef", "pagepath": "pages/a?b=1", "thumb_kefu_media": "\#(thumb)"}}"#,
                sendAt: sendAt)
            let test = try await TestHTTP.post("\(harness.server!.baseURL)/api/v1/tasks/\(image)/test", #"{"openids": ["oMedia0"]}"#, headers: harness.auth)
            #expect(test.status == 202)
            try await eventually("the test send") { try await Self.bodies(harness, account.appid, type: "image").count == 1 }
            let preview = try await TestHTTP.get("\(harness.server!.baseURL)/api/v1/tasks/\(image)/preview", headers: harness.auth).json ?? [:]
            let media = (preview["media"] as? [[String: Any]])?.first ?? [:]
            #expect(media["id"] as? String == picture && media["fresh"] as? Bool == true && media["wechat_media_id"] is String)

            try await harness.waitForTask(image, status: "completed")
            try await harness.waitForTask(card, status: "completed")
            for task in [image, card] {
                let stats = Self.stats(try await harness.task(task))
                #expect(stats["sent"] as? Int == 600, "\(stats)")
            }
            let uploads = try await harness.wechatUploads(account.appid)
            // Each file uploaded when first needed (the picture at the test send), again only once
            // its id is 6 s old (the tasks' send time is after that), never twice within 6 s by
            // the three processes. On a loaded
            // machine the broadcast itself can outlast 6 s, and a third upload is then right; what
            // would be wrong is two processes uploading the same file at once.
            let perFile = Dictionary(grouping: uploads, by: { $0["sha256"] as? String ?? "" })
                .mapValues { $0.compactMap { ($0["at"] as? NSNumber)?.int64Value }.sorted() }
            #expect(perFile.count == 2 && perFile.values.allSatisfy { !$0.isEmpty }, "uploads per file: \(perFile.values.map(\.count))")
            for (_, times) in perFile {
                let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                // 6 s after kefu's call started, less up to 1 s between that start and WeChat's record.
                #expect(gaps.allSatisfy { $0 >= 5_000 }, "a file uploaded twice within its 6 s: gaps \(gaps) ms")
            }
            let uploadedIds = Set(uploads.compactMap { $0["media_id"] as? String })

            let images = try await Self.bodies(harness, account.appid, type: "image")
            #expect(images.count == 601)
            #expect(Set(images.dropFirst().map(\.openid)) == Set(followers), "each follower once")
            for (_, body) in images {
                let id = (body["image"] as? [String: Any])?["media_id"] as? String ?? ""
                #expect(uploadedIds.contains(id) && body["image"].map { ($0 as! [String: Any]).count } == 1)
                #expect((body["customservice"] as? [String: Any])?["kf_account"] as? String == "xiaomei@shop")
            }
            let cards = try await Self.bodies(harness, account.appid, type: "miniprogrampage")
            #expect(Set(cards.map(\.openid)) == Set(followers) && cards.count == 600)
            #expect(cards.allSatisfy { uploadedIds.contains(($0.body["miniprogrampage"] as? [String: Any])?["thumb_media_id"] as? String ?? "") })
            // The per-recipient log names the WeChat id each follower got.
            let logged = try await Self.log(harness, task: image).filter { $0["state"] as? String == "sent" }
            let sentWith = Dictionary(uniqueKeysWithValues: images.dropFirst().map { ($0.openid, ($0.body["image"] as! [String: Any])["media_id"] as! String) })
            #expect(logged.count == 601)
            #expect(logged.filter { $0["test"] == nil }.allSatisfy { sentWith[$0["openid"] as! String] == $0["wechat_media_id"] as? String })
            try await workers.stop()
        }
    }

    @Test("WeChat forgets the media mid-broadcast (40007): one re-upload, everyone still gets it once", arguments: StoreBackend.allCases)
    func forgottenMidBroadcast(backend: StoreBackend) async throws {
        try await Self.withHarness(backend) { harness in
            let followers = (0..<1500).map { "oForget\($0)" }
            let account = try await Self.account(42, rate: 300, on: harness, followers: followers)
            let picture = try await harness.uploadMedia(account.appid, type: "image", SampleMedia.jpeg, filename: "a.jpg")
            let task = try await harness.createTask(appid: account.appid, message: #"{"msgtype": "image", "image": {"kefu_media": "\#(picture)"}}"#)
            try await eventually("a fifth of the broadcast", timeout: .seconds(60)) { try await harness.received(account.appid).count >= 300 }
            try await harness.simulator("/sim/media/forget?appid=\(account.appid)", [:])
            try await harness.waitForTask(task, status: "completed", timeout: .seconds(120))
            let stats = Self.stats(try await harness.task(task))
            #expect(stats["sent"] as? Int == 1500 && stats["failed"] as? Int == 0, "\(stats)")
            let received = try await harness.received(account.appid)
            #expect(Set(received.map { $0["openid"] as! String }).count == 1500 && received.count == 1500)
            let uploads = try await harness.wechatUploads(account.appid)
            #expect(uploads.count == 2, "one upload, and one after WeChat forgot it")
            let ids = Set(try await Self.bodies(harness, account.appid, type: "image").map { ($0.body["image"] as! [String: Any])["media_id"] as! String })
            #expect(ids == Set(uploads.compactMap { $0["media_id"] as? String }))
        }
    }

    @Test("a menu message broadcast; a follower's tap on an option fires the menu rule for that option", arguments: StoreBackend.allCases)
    func menuRule(backend: StoreBackend) async throws {
        try await Self.withHarness(backend) { harness in
            let appid = try await Self.account(43, rate: 100, on: harness, followers: ["oHappy", "oSad"]).appid
            _ = try await DelayedProcessTests.rule(harness, appid: appid, trigger: ["kind": "menu", "key": "101"], delay: 1, text: "谢谢您的好评")
            _ = try await DelayedProcessTests.rule(harness, appid: appid, trigger: ["kind": "menu", "key": "102"], delay: 1, text: "抱歉，客服马上联系您")
            let menu = #"{"msgtype": "msgmenu", "msgmenu": {"head_content": "您对本次服务是否满意？", "list": [{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}], "tail_content": "欢迎再次光临"}}"#
            let task = try await harness.createTask(appid: appid, message: menu)
            try await harness.waitForTask(task, status: "completed")
            #expect(Self.stats(try await harness.task(task))["sent"] as? Int == 2)
            try await DelayedProcessTests.push(harness, appid, "oHappy", "menu_tap", key: "101")
            try await DelayedProcessTests.push(harness, appid, "oSad", "menu_tap", key: "102")
            try await eventually("both follow-ups") {
                let texts = try await DelayedProcessTests.texts(harness, appid)
                return texts["oHappy"]?.contains("谢谢您的好评") == true && texts["oSad"]?.contains("抱歉，客服马上联系您") == true
            }
            let texts = try await DelayedProcessTests.texts(harness, appid)
            #expect(!(texts["oHappy"] ?? []).contains("抱歉，客服马上联系您") && !(texts["oSad"] ?? []).contains("谢谢您的好评"))
            // A tap on an option never sent is not something a follower can do.
            let bogus = try await TestHTTP.post("\(harness.simulator.baseURL)/sim/push",
                                                TestHTTP.json(["appid": appid, "action": ["openid": "oHappy", "kind": "menu_tap", "key": "999"]]))
            #expect(bogus.status == 422)
        }
    }
}
}

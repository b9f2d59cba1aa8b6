import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing
import WeChatSimulator

/// The media library over live HTTP: multipart uploads checked by their bytes, identical bytes
/// kept once, pages, downloads, deletes; and every bad upload refused with nothing stored.
@Suite("Media API")
struct MediaAPITests {
    static let account = TestAccounts.plain(1)
    static var path: String { "/accounts/\(account.appid)/media" }

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    static func message(_ response: TestResponse) -> String {
        (json(response)["error"] as? [String: Any])?["message"] as? String ?? String(buffer: response.body)
    }

    static func run(_ backend: StoreBackend = .sqlite, configure: @escaping (inout KefuConfiguration) -> Void = { _ in },
                    _ body: @escaping @Sendable (KefuAppHarness.Context) async throws -> Void) async throws {
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0; configure(&$0) }, accounts: [account], body)
    }

    static func upload(_ app: KefuAppHarness.Context, type: String?, _ bytes: [UInt8], filename: String = "picture.png") async throws -> TestResponse {
        var parts: [MediaFiles.Part] = []
        if let type { parts.append(.field("type", type)) }
        parts.append(.file(bytes, filename: filename))
        return try await app.send(.post, path, bytes: MediaFiles.multipart(parts), contentType: MediaFiles.contentType)
    }

    @Test("upload, the same bytes again, read, page through, download and delete", arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let created = try await Self.upload(app, type: "image", SampleMedia.png, filename: "活动海报.png")
            #expect(created.status == .created, "\(Self.message(created))")
            let item = Self.json(created)
            let id = try #require(item["id"] as? String)
            #expect(MediaItem.isId(id))
            #expect(item["type"] as? String == "image")
            #expect(item["filename"] as? String == "活动海报.png")
            #expect(item["bytes"] as? Int == SampleMedia.png.count)
            #expect(item["content_type"] as? String == "image/png")
            #expect((item["sha256"] as? String)?.count == 64)
            #expect(item["wechat_media_id"] is NSNull)

            // Identical bytes of the same type: the existing item, nothing new stored.
            let again = try await Self.upload(app, type: "image", SampleMedia.png, filename: "copy.png")
            #expect(again.status == .ok)
            #expect(Self.json(again)["id"] as? String == id)
            #expect(Self.json(again)["filename"] as? String == "活动海报.png")
            // The same JPEG as an image and as a thumb: two items.
            let image = Self.json(try await Self.upload(app, type: "image", SampleMedia.jpeg, filename: "a.jpg"))["id"] as? String
            let thumb = Self.json(try await Self.upload(app, type: "thumb", SampleMedia.jpeg, filename: "a.jpg"))["id"] as? String
            #expect(image != nil && thumb != nil && image != thumb)

            let read = try await app.api(.get, "\(Self.path)/\(id)")
            #expect(read.status == .ok)
            #expect(Self.json(read)["sha256"] as? String == item["sha256"] as? String)

            let content = try await app.api(.get, "\(Self.path)/\(id)/content")
            #expect(content.status == .ok)
            #expect(Array(content.body.readableBytesView) == SampleMedia.png)
            #expect(content.headers[.contentType] == "image/png")
            #expect(content.headers[.init("X-Content-Type-Options")!] == "nosniff")

            // Newest first, two per page.
            let first = Self.json(try await app.api(.get, "\(Self.path)?limit=2"))
            let firstIds = (first["media"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(firstIds.count == 2)
            let cursor = try #require(first["next_cursor"] as? String)
            let second = Self.json(try await app.api(.get, "\(Self.path)?limit=2&cursor=\(cursor)"))
            let secondIds = (second["media"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(firstIds + secondIds) == Set([id, image!, thumb!]))
            #expect(second["next_cursor"] is NSNull)
            let thumbs = Self.json(try await app.api(.get, "\(Self.path)?type=thumb"))["media"] as? [[String: Any]] ?? []
            #expect(thumbs.compactMap { $0["id"] as? String } == [thumb!])

            #expect(try await app.api(.delete, "\(Self.path)/\(id)").status == .noContent)
            #expect(try await app.api(.get, "\(Self.path)/\(id)").status == .notFound)
            #expect(try await app.api(.get, "\(Self.path)/\(id)/content").status == .notFound)
            #expect(try await app.api(.delete, "\(Self.path)/\(id)").status == .notFound)
        }
    }

    /// A bad upload, named by what is wrong with it (its bytes are not printed).
    struct BadUpload: CustomStringConvertible, Sendable {
        var description: String
        var body: [UInt8]
        var contentType = MediaFiles.contentType
        var status = 422
        var reason: String
        /// The server's media limits for this upload, when not WeChat's.
        var limits: MediaLimits?
    }

    /// Limits small enough that a body over all of them is a few hundred KB: an 11 MB body over
    /// WeChat's own limits took longer than the test client's 20 s read timeout on a loaded CI
    /// machine, and the 413 is the same code path whatever the limit (WeChat's own sizes are
    /// checked in `wechatLimits`).
    static let smallLimits = MediaLimits(Dictionary(uniqueKeysWithValues: MediaKind.allCases.map {
        ($0, MediaLimits.Limit(maxBytes: 128 << 10, formats: MediaLimits.wechat.limit($0).formats))
    }))

    static let badUploads: [BadUpload] = [
        .init(description: "unknown type", body: MediaFiles.multipart([.field("type", "sticker"), .file(SampleMedia.png)]),
              reason: "type: must be one of"),
        .init(description: "no type", body: MediaFiles.multipart([.file(SampleMedia.png)]), reason: "type: is required"),
        .init(description: "no file", body: MediaFiles.multipart([.field("type", "image")]), reason: "file: is required"),
        .init(description: "empty file", body: MediaFiles.multipart([.field("type", "image"), .file([])]), reason: "file: is empty"),
        .init(description: "thumb over 64 KB", body: MediaFiles.multipart([.field("type", "thumb"), .file(MediaFiles.file(.jpeg, size: 64 * 1024 + 1))]),
              reason: "file: is 65537 bytes, over the 64 KB WeChat takes as thumb"),
        .init(description: "PNG named .mp3 as voice",
              body: MediaFiles.multipart([.field("type", "voice"), .file(SampleMedia.png, filename: "song.mp3", contentType: "audio/mpeg")]),
              reason: "file: is PNG, but voice takes AMR, MP3"),
        .init(description: "SVG script named .png",
              body: MediaFiles.multipart([.field("type", "image"), .file(Array("<svg onload=alert(1)>".utf8), filename: "x.png")]),
              reason: "file: is not a format WeChat takes as image"),
        .init(description: "truncated body", body: Array(MediaFiles.multipart([.field("type", "image"), .file(SampleMedia.png)]).dropLast(30)),
              status: 400, reason: "the multipart body is truncated"),
        .init(description: "malformed part header",
              body: Array("--\(MediaFiles.boundary)\r\nbad header line\r\n\r\nx\r\n--\(MediaFiles.boundary)--\r\n".utf8),
              status: 400, reason: "the multipart body is malformed"),
        .init(description: "JSON instead of multipart", body: Array(#"{"type": "image"}"#.utf8), contentType: "application/json",
              status: 400, reason: "expected multipart/form-data"),
        .init(description: "no boundary", body: MediaFiles.multipart([.field("type", "image"), .file(SampleMedia.png)]),
              contentType: "multipart/form-data", status: 400, reason: "multipart/form-data without a valid boundary"),
        .init(description: "body over every limit",
              body: MediaFiles.multipart([.field("type", "image"), .file(MediaFiles.file(.png, size: (128 << 10) + (64 << 10) + 1))]),
              status: 413, reason: "the upload is larger than \((128 << 10) + (64 << 10)) bytes", limits: smallLimits),
    ]

    @Test("every bad upload is refused with the reason, and nothing is stored", arguments: badUploads)
    func refused(upload: BadUpload) async throws {
        try await Self.run(configure: { if let limits = upload.limits { $0.mediaLimits = limits } }) { app in
            let response = try await app.send(.post, Self.path, bytes: upload.body, contentType: upload.contentType)
            #expect(Int(response.status.code) == upload.status, "\(Self.message(response))")
            #expect(Self.message(response).hasPrefix(upload.reason), "\(Self.message(response))")
            #expect(try await app.store.mediaList(appid: Self.account.appid, kind: nil, limit: 10, after: nil).isEmpty)
        }
    }

    @Test("hostile names, ids and accounts: kept harmless, answered 404, never echoed raw")
    func hostile() async throws {
        try await Self.run { app in
            let name = "../../etc/pass\u{7}wd\"<script>alert(1)</script>.png"
            let created = try await Self.upload(app, type: "image", SampleMedia.png, filename: name)
            #expect(created.status == .created)
            let filename = Self.json(created)["filename"] as? String ?? ""
            #expect(!filename.contains("/") && !filename.contains("\u{7}"), "\(filename)")
            let id = Self.json(created)["id"] as? String ?? ""
            let content = try await app.api(.get, "\(Self.path)/\(id)/content")
            let disposition = content.headers[.contentDisposition] ?? ""
            #expect(disposition.hasPrefix("inline; filename*=UTF-8''"))
            #expect(!disposition.dropFirst("inline; filename*=UTF-8''".count).contains { "\"<>;\r\n ".contains($0) }, "\(disposition)")
            for bad in ["m_00000000000000000000", "..%2F..%2Fetc", "m_ZZZZ", String(repeating: "m", count: 5000)] {
                #expect(try await app.api(.get, "\(Self.path)/\(bad)").status == .notFound, "\(bad.prefix(40))")
            }
            #expect(try await app.api(.get, "/accounts/wx0000000000000bad/media").status == .notFound)
            let unknown = try await app.send(.post, "/accounts/wx0000000000000bad/media",
                                             bytes: MediaFiles.multipart([.field("type", "image"), .file(SampleMedia.png)]),
                                             contentType: MediaFiles.contentType)
            #expect(unknown.status == .notFound)
            #expect(try await app.api(.get, "\(Self.path)?cursor=1.x").status == .unprocessableContent)
            #expect(try await app.api(.get, "\(Self.path)?type=sticker").status == .unprocessableContent)
        }
    }

    @Test("WeChat's limits, checked without HTTP: each type's largest file passes, one byte more does not")
    func wechatLimits() throws {
        for (kind, format, largest) in [(MediaKind.image, MediaFormat.png, 10 << 20), (.voice, .mp3, 2 << 20), (.video, .mp4, 10 << 20),
                                        (.thumb, .jpeg, 64 << 10)] {
            #expect(try MediaLimits.wechat.check(MediaFiles.file(format, size: largest), kind: kind) == format)
            #expect { try MediaLimits.wechat.check(MediaFiles.file(format, size: largest + 1), kind: kind) } throws: {
                ($0 as? KefuError)?.message.hasPrefix("file: is \(largest + 1) bytes, over the") == true
            }
        }
    }

    @Test("the limits are configuration: a smaller image limit refuses what WeChat's would take")
    func configuredLimits() async throws {
        var limits = MediaLimits.wechat
        limits.limits[.image] = .init(maxBytes: 200, formats: [.png])
        try await Self.run(configure: { $0.mediaLimits = limits }) { app in
            let response = try await Self.upload(app, type: "image", SampleMedia.png)
            #expect(response.status == .unprocessableContent)
            #expect(Self.message(response) == "file: is 299 bytes, over the 200 bytes WeChat takes as image")
            let jpeg = try await Self.upload(app, type: "image", SampleMedia.jpeg)
            #expect(Self.message(jpeg) == "file: is JPEG, but image takes PNG")
        }
    }

    static func task(_ message: String, kfAccount: String? = nil, appid: String = account.appid) -> String {
        let agent = kfAccount.map { #", "kf_account": "\#($0)""# } ?? ""
        return #"{"name": "t", "appid": "\#(appid)", "send_at": "2030-01-01T00:00:00Z", "message": \#(message)\#(agent)}"#
    }

    @Test("tasks and rules naming library files are checked when created, and a file in use cannot be deleted (409 naming its users)",
          arguments: StoreBackend.allCases)
    func inUse(backend: StoreBackend) async throws {
        let other = TestAccounts.plain(2)
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0 }, accounts: [Self.account, other]) { app in
            let thumb = Self.json(try await Self.upload(app, type: "thumb", SampleMedia.jpeg, filename: "t.jpg"))["id"] as! String
            let image = Self.json(try await Self.upload(app, type: "image", SampleMedia.png))["id"] as! String
            let card = #"{"msgtype": "miniprogrampage", "miniprogrampage": {"title": "T", "appid": "wx1234", "pagepath": "p", "thumb_kefu_media": "\#(thumb)"}}"#
            // Wrong type, unknown id, another account's file: refused naming the field.
            for (message, appid, reason) in [
                (#"{"msgtype": "image", "image": {"kefu_media": "\#(thumb)"}}"#, Self.account.appid,
                 "message.image.kefu_media: \(thumb) is uploaded as thumb; this field takes image"),
                (#"{"msgtype": "image", "image": {"kefu_media": "m_ffffffffffffffffffff"}}"#, Self.account.appid,
                 "message.image.kefu_media: no media m_ffffffffffffffffffff in the library of account \(Self.account.appid)"),
                (card, other.appid, "message.miniprogrampage.thumb_kefu_media: no media \(thumb) in the library of account \(other.appid)"),
            ] {
                let refused = try await app.api(.post, "/tasks", Self.task(message, appid: appid))
                #expect(refused.status == .unprocessableContent)
                #expect(Self.message(refused) == reason)
            }
            let bad = try await app.api(.post, "/tasks", Self.task(#"{"msgtype": "text", "text": {"content": "x"}}"#, kfAccount: "<script>@shop"))
            #expect(bad.status == .unprocessableContent && Self.message(bad).hasPrefix("kf_account: must be an agent account"))
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 10).isEmpty)

            let created = try await app.api(.post, "/tasks", Self.task(card, kfAccount: "xiaomei@shop"))
            #expect(created.status == .created, "\(Self.message(created))")
            let taskId = Self.json(created)["id"] as! Int
            #expect(Self.json(created)["kf_account"] as? String == "xiaomei@shop")
            #expect(((Self.json(created)["message"] as? [String: Any])?["customservice"] as? [String: Any])?["kf_account"] as? String == "xiaomei@shop")
            let rule = try await app.api(.post, "/rules", #"{"name": "r", "appid": "\#(Self.account.appid)", "trigger": {"kind": "menu", "key": "101"}, "delay_seconds": 5, "message": {"msgtype": "image", "image": {"kefu_media": "\#(image)"}}}"#)
            #expect(rule.status == .created, "\(Self.message(rule))")
            let ruleId = Self.json(rule)["id"] as! Int
            #expect((Self.json(rule)["trigger"] as? [String: Any])?["kind"] as? String == "menu")

            let busy = try await app.api(.delete, "\(Self.path)/\(thumb)")
            #expect(busy.status == .conflict)
            #expect(Self.message(busy) == "media \(thumb) is still used by task \(taskId); cancel or change them first")
            #expect(Self.json(busy)["tasks"] as? [Int] == [taskId])
            #expect(Self.message(try await app.api(.delete, "\(Self.path)/\(image)")) == "media \(image) is still used by rule \(ruleId); cancel or change them first")
            // A cancelled task no longer holds its media; a rule holds it until changed.
            #expect(try await app.api(.post, "/tasks/\(taskId)/cancel").status == .ok)
            #expect(try await app.api(.delete, "\(Self.path)/\(thumb)").status == .noContent)
            #expect(try await app.api(.patch, "/rules/\(ruleId)", #"{"message": {"msgtype": "text", "text": {"content": "x"}}}"#).status == .ok)
            #expect(try await app.api(.delete, "\(Self.path)/\(image)").status == .noContent)
        }
    }
}

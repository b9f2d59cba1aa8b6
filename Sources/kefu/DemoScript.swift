import AsyncHTTPClient
import Foundation
import KefuCore
import MultipartKit
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import WeChatSimulator

/// What `kefu demo` does once the simulator and kefu listen, narrated on standard output —
/// all through the same public HTTP APIs a user would script against.
struct DemoScript: Service {
    let ports: Ports
    let followers: Int
    let exitWhenDone: Bool
    let database: String
    /// The demo's own admin token (random per run): its API calls carry it; people use the link.
    let adminToken: String
    /// A one-time sign-in link's path for the console.
    let signInLink: @Sendable () async throws -> String

    static let appid = "wx00000000000de300"
    static let secret = "demo0secret0demo0secret0demo0sec"
    static let token = "kefudemo"
    static let aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    static let agent = "xiaomei@demo"

    func run() async throws {
        let kefu = "http://127.0.0.1:\(try await ports.port(.kefu))"
        let simulator = "http://127.0.0.1:\(try await ports.port(.simulator))"
        say("""
            kefu demo — everything runs in this process on \(database)
              kefu server:      \(kefu)   (admin API at \(kefu)/api/v1, metrics at \(kefu)/metrics)
              console:          \(kefu)/console/
                                sign in with this one-time link (works once, for 30 minutes):
                                \(kefu)\(try await signInLink())
              WeChat simulator: \(simulator)
            """)
        _ = try await post("\(kefu)/api/v1/accounts", [
            "appid": Self.appid, "app_secret": Self.secret, "token": Self.token, "encoding_aes_key": Self.aesKey,
            "original_id": "gh_de300de300de", "name": "Demo shop", "send_rate": 100,
        ])
        _ = try await post("\(simulator)/sim/accounts", [
            "appid": Self.appid, "secret": Self.secret, "token": Self.token, "encoding_aes_key": Self.aesKey,
            "original_id": "gh_de300de300de", "mode": "safe", "callback_url": "\(kefu)/wechat/\(Self.appid)",
            "agents": [Self.agent],
        ])
        say("1. added the demo account \(Self.appid) to kefu and to the simulator (safe mode: AES-encrypted callbacks)")
        let run = try await post("\(simulator)/sim/run", ["appid": Self.appid, "followers": followers, "interactions": followers * 2, "seed": 2026])
        say("2. \(followers) simulated followers sent messages, followed, scanned, clicked menus, unfollowed: \(run["acknowledged"] ?? 0) pushes, each acknowledged after it was committed")
        let audience = try await get("\(kefu)/api/v1/accounts/\(Self.appid)/audience?limit=3")
        say("3. the window ledger: \(audience["count"] ?? 0) followers can be messaged now; the three closing soonest:")
        for user in audience["users"] as? [[String: Any]] ?? [] {
            say("     \(user["openid"] ?? "") — window closes \(user["window_closes_at"] ?? ""), \(user["remaining"].map { "\($0)" } ?? "unlimited") sends left")
        }
        let sendAt = RFC3339.format(millis: SystemWallClock().nowMillis() + 3_000)
        let task = try await post("\(kefu)/api/v1/tasks", [
            "name": "Demo broadcast", "appid": Self.appid, "send_at": sendAt,
            "message": ["msgtype": "news", "news": ["articles": [[
                "title": "双十一 早鸟价", "description": "Tap to see today's offers", "url": "https://shop.example.cn/sale",
                "picurl": "https://shop.example.cn/sale.jpg",
            ]]]],
        ])
        let id = task["id"] as? Int ?? 0
        let preview = try await get("\(kefu)/api/v1/tasks/\(id)/preview")
        say("4. scheduled broadcast \(id) for \(sendAt): preview \(preview["reachable_at_send"] ?? 0) reachable at send time, \(preview["closing_before_reached"] ?? 0) would close before reached, \(preview["send_seconds"] ?? 0) s at 100/s")
        var lastLine = ""
        while true {
            let state = try await get("\(kefu)/api/v1/tasks/\(id)")
            let stats = state["stats"] as? [String: Any] ?? [:]
            let line = "   task \(id): \(state["status"] ?? "") — audience \(stats["audience"] ?? 0), sent \(stats["sent"] ?? 0), skipped \(stats["skipped"] ?? 0), failed \(stats["failed"] ?? 0), pending \(stats["pending"] ?? 0)"
            // Only what changed: no column of identical lines while the task waits for its time.
            if line != lastLine { say(line) }
            lastLine = line
            if ["completed", "cancelled"].contains(state["status"] as? String ?? "") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let received = try await get("\(simulator)/sim/messages?appid=\(Self.appid)")
        let sample = (received["messages"] as? [[String: Any]] ?? []).first?["body"] as? String ?? "-"
        say("""
            5. the simulator (playing WeChat) accepted \(received["count"] ?? 0) customer-service messages, e.g.
                 \(sample)
            """)
        // Media: uploaded to kefu's library once; kefu uploads each file to WeChat when a send
        // first needs it and keeps its WeChat id fresh.
        let picture = try await upload("\(kefu)/api/v1/accounts/\(Self.appid)/media", type: "image", SampleMedia.png, filename: "poster.png")
        let thumb = try await upload("\(kefu)/api/v1/accounts/\(Self.appid)/media", type: "thumb", SampleMedia.jpeg, filename: "card.jpg")
        say("6. uploaded a picture (\(picture["id"] ?? "")) and a mini-program thumbnail (\(thumb["id"] ?? "")) to kefu's media library")
        let image = try await post("\(kefu)/api/v1/tasks", [
            "name": "Demo picture", "appid": Self.appid, "kf_account": Self.agent,
            "message": ["msgtype": "image", "image": ["kefu_media": picture["id"] ?? ""]],
        ])
        let card = try await post("\(kefu)/api/v1/tasks", [
            "name": "Demo mini-program card", "appid": Self.appid,
            "message": ["msgtype": "miniprogrampage", "miniprogrampage": [
                "title": "双十一 会场", "appid": "wx1234567890abcdef", "pagepath": "pages/sale/index", "thumb_kefu_media": thumb["id"] ?? "",
            ]],
        ])
        for task in [image, card] {
            let id = task["id"] as? Int ?? 0
            while true {
                let state = try await get("\(kefu)/api/v1/tasks/\(id)")
                if ["completed", "cancelled"].contains(state["status"] as? String ?? "") {
                    let stats = state["stats"] as? [String: Any] ?? [:]
                    say("   task \(id) (\(state["name"] ?? "")): sent \(stats["sent"] ?? 0), skipped \(stats["skipped"] ?? 0), failed \(stats["failed"] ?? 0)")
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        let uploads = try await get("\(simulator)/sim/uploads?appid=\(Self.appid)")
        let images = try await get("\(simulator)/sim/messages?appid=\(Self.appid)")
        let imageBody = (images["messages"] as? [[String: Any]] ?? []).last { $0["msgtype"] as? String == "image" }?["body"] as? String ?? "-"
        say("""
            7. kefu uploaded each file to WeChat once (\(uploads["count"] ?? 0) uploads for both tasks), sent as agent \(Self.agent), e.g.
                 \(imageBody)
            """)
        if exitWhenDone {
            say("Done (--exit-when-done): the demo's servers stop now and its temporary files are removed.")
            return
        }
        say("""
            Look around (until Ctrl-C):
              the console, signed in through the link above (a fresh one: kefu console-link --database \(database) --public-url \(kefu))
              the admin API with this run's own token (it changes every run):
                curl -H 'Authorization: Bearer \(adminToken)' \(kefu)/api/v1/tasks/\(id)/deliveries
              \(simulator)/sim/messages?appid=\(Self.appid), \(kefu)/metrics
            Serving until Ctrl-C.
            """)
        try await gracefulShutdown()
    }

    private func post(_ url: String, _ body: [String: Any]) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        return try await execute(request)
    }

    /// `curl -F type=… -F file=@…`: a multipart upload, written by MultipartKit.
    private func upload(_ url: String, type: String, _ bytes: [UInt8], filename: String) async throws -> [String: Any] {
        let boundary = "kefu-demo-\(UInt32.random(in: .min ... .max))"
        var body = ByteBuffer()
        try MultipartSerializer().serialize(parts: [
            MultipartPart(headers: ["Content-Disposition": "form-data; name=\"type\""], body: type),
            MultipartPart(headers: ["Content-Disposition": "form-data; name=\"file\"; filename=\"\(filename)\""], body: bytes),
        ], boundary: boundary, into: &body)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .bytes(body)
        return try await execute(request)
    }

    private func get(_ url: String) async throws -> [String: Any] {
        try await execute(HTTPClientRequest(url: url))
    }

    private func execute(_ request: HTTPClientRequest) async throws -> [String: Any] {
        var request = request
        if request.url.hasPrefix("http://127.0.0.1:\(try await ports.port(.kefu))/") {
            request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")  // to kefu only
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status.code < 300 else {
            throw KefuError(.internal, "\(request.method) \(request.url) answered \(response.status.code): \(String(buffer: body))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

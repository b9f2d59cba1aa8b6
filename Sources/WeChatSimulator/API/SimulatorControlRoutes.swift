import Foundation
import Hummingbird
import KefuCore
import WeChatProtocol

/// `/sim/…`: drive the simulator over HTTP (the demo, benchmarks and tests of other processes).
struct SimulatorControlRoutes {
    let wechat: SimulatedWeChat
    let player: FollowerPlayer

    struct RunRequest: Decodable {
        var appid: String
        var followers: Int
        var interactions: Int
        var mix: [String: Int]?
        var concurrency: Int?
        var rate: Double?
        var seed: UInt64?
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/sim/accounts") { request, _ -> Response in
            guard let account = try? JSONDecoder().decode(SimulatedAccount.self, from: Data(try await SimJSON.body(request))) else {
                return SimJSON.error(.unprocessableContent, "expected {appid, secret, token, encoding_aes_key?, mode?, original_id?, callback_url?, daily_quota?, agents?, materials?}")
            }
            if account.mode != .plain {
                guard let key = account.encodingAESKey, (try? MessageCrypto(encodingAESKey: key)) != nil else {
                    return SimJSON.error(.unprocessableContent, "encoding_aes_key: compatible and safe modes need a 43-character key")
                }
            }
            await wechat.addAccount(account)
            return SimJSON.response(.created, ["appid": account.appid])
        }
        router.post("/sim/followers") { request, _ -> Response in
            struct SeedRequest: Decodable { var appid: String; var prefix: String; var count: Int; var kind: String? }
            guard let seed = try? JSONDecoder().decode(SeedRequest.self, from: Data(try await SimJSON.body(request))),
                  (1...10_000_000).contains(seed.count), !seed.prefix.isEmpty,
                  let kind = InteractionKind(rawValue: seed.kind ?? "message") else {
                return SimJSON.error(.unprocessableContent, "expected {appid, prefix, count (1–10000000), kind? (message, subscribe, scan, click)}")
            }
            guard await wechat.account(seed.appid) != nil else { return SimJSON.error(.notFound, "no account \(seed.appid)") }
            await wechat.seedFollowers(appid: seed.appid, prefix: seed.prefix, count: seed.count, kind: kind)
            return try SimJSON.encoded(["seeded": seed.count])
        }
        router.post("/sim/push") { request, _ -> Response in
            struct PushRequest: Decodable {
                var appid: String
                var action: FollowerAction
                var retryIntervalMs: Int?
                enum CodingKeys: String, CodingKey { case appid, action, retryIntervalMs = "retry_interval_ms" }
            }
            guard let push = try? JSONDecoder().decode(PushRequest.self, from: Data(try await SimJSON.body(request))),
                  (0...60_000).contains(push.retryIntervalMs ?? 0) else {
                return SimJSON.error(.unprocessableContent, "expected {appid, action: {openid, kind, key?, content?}, retry_interval_ms? (0–60000)}")
            }
            var pusher = player
            pusher.retryInterval = .milliseconds(push.retryIntervalMs ?? 0)
            do {
                return try SimJSON.encoded(try await pusher.push(push.action, appid: push.appid))
            } catch {
                return SimJSON.error(.unprocessableContent, "\(error)")
            }
        }
        router.post("/sim/run") { request, _ -> Response in
            guard let run = try? JSONDecoder().decode(RunRequest.self, from: Data(try await SimJSON.body(request))),
                  run.followers > 0, run.interactions >= 0 else {
                return SimJSON.error(.unprocessableContent, "expected {appid, followers > 0, interactions, mix?, concurrency?, rate?, seed?}")
            }
            var mix = FollowerPlayer.Mix.standard
            if let weights = run.mix {
                var parsed: [FollowerActionKind: Int] = [:]
                for (name, weight) in weights {
                    guard let kind = FollowerActionKind(rawValue: name) else { return SimJSON.error(.unprocessableContent, "mix: unknown kind \(name)") }
                    parsed[kind] = weight
                }
                mix = FollowerPlayer.Mix(parsed)
            }
            do {
                let summary = try await player.run(appid: run.appid, followers: run.followers, interactions: run.interactions, mix: mix,
                                                   concurrency: run.concurrency ?? 16, rate: run.rate, seed: run.seed ?? 1)
                return try SimJSON.encoded(summary)
            } catch {
                return SimJSON.error(.unprocessableContent, "\(error)")
            }
        }
        router.post("/sim/play") { request, _ -> Response in
            struct PlayRequest: Decodable { var appid: String; var actions: [FollowerAction]; var concurrency: Int? }
            guard let play = try? JSONDecoder().decode(PlayRequest.self, from: Data(try await SimJSON.body(request, limit: 64 << 20))) else {
                return SimJSON.error(.unprocessableContent, "expected {appid, actions: [{openid, kind, key?, content?}], concurrency?}")
            }
            do {
                return try SimJSON.encoded(try await player.play(appid: play.appid, actions: play.actions, concurrency: play.concurrency ?? 16))
            } catch {
                return SimJSON.error(.unprocessableContent, "\(error)")
            }
        }
        router.get("/sim/stats") { request, _ -> Response in
            guard let appid = request.uri.queryParameters.get("appid") else { return SimJSON.error(.badRequest, "appid is required") }
            return SimJSON.response(.ok, [
                "token_requests": await wechat.tokenRequestCount(appid: appid),
                "messages": await wechat.received(appid: appid).count,
            ])
        }
        router.get("/sim/audience") { request, _ -> Response in
            guard let appid = request.uri.queryParameters.get("appid") else { return SimJSON.error(.badRequest, "appid is required") }
            let users = await wechat.audience(appid: appid)
            struct Audience: Encodable { var count: Int; var users: [SimulatedLedger.OpenWindow] }
            return try SimJSON.encoded(Audience(count: users.count, users: users))
        }
        router.get("/sim/messages") { request, _ -> Response in
            let query = request.uri.queryParameters
            struct Messages: Encodable { var count: Int; var messages: [ReceivedMessage] }
            let messages = await wechat.received(appid: query.get("appid"), openid: query.get("openid"))
            return try SimJSON.encoded(Messages(count: messages.count, messages: messages))
        }
        router.get("/sim/pushes") { request, _ -> Response in
            let query = request.uri.queryParameters
            struct Pushes: Encodable { var count: Int; var pushes: [PushedAction] }
            let pushes = await wechat.pushed(appid: query.get("appid"), openid: query.get("openid"))
            return try SimJSON.encoded(Pushes(count: pushes.count, pushes: pushes))
        }
        router.get("/sim/uploads") { request, _ -> Response in
            struct Uploads: Encodable { var count: Int; var uploads: [MediaUpload] }
            let uploads = await wechat.mediaUploads(appid: request.uri.queryParameters.get("appid"))
            return try SimJSON.encoded(Uploads(count: uploads.count, uploads: uploads))
        }
        router.post("/sim/media/forget") { request, _ -> Response in
            // WeChat's three days, at once: every temporary media id (of one account) is gone.
            let forgotten = await wechat.forgetMedia(appid: request.uri.queryParameters.get("appid"))
            return SimJSON.response(.ok, ["forgotten": forgotten])
        }
        router.post("/sim/faults") { request, _ -> Response in
            guard let faults = try? JSONDecoder().decode(Faults.self, from: Data(try await SimJSON.body(request))) else {
                return SimJSON.error(.unprocessableContent, "expected {busy_rate?, force_40001?, latency_ms?}")
            }
            await wechat.setFaults(faults)
            return try SimJSON.encoded(faults)
        }
    }
}


import NIOHTTP1
import AsyncHTTPClient
import Foundation
import KefuCore
import Logging
import NIOCore

/// Plays followers: pushes signed callbacks to each account's callback URL, the way WeChat does
/// (including its retries: up to 3 more attempts when the server fails, times out or answers 5xx),
/// and applies each action to the simulator's own ledger.
public struct FollowerPlayer: Sendable {
    public struct PushResult: Sendable, Equatable, Codable {
        public var status: Int
        public var body: String
        public var attempts: Int
    }

    public struct RunSummary: Sendable, Equatable, Codable {
        public var pushed = 0
        public var acknowledged = 0
        public var failed = 0
        public var followers = 0
    }

    public let wechat: SimulatedWeChat
    let client: HTTPClient
    /// WeChat waits 5 s for an answer.
    public var timeout: TimeAmount = .seconds(5)
    public var retries = 3
    /// Pause before each retry. WeChat spaces its retries by seconds; zero by default so plays
    /// stay fast, set per push (`retry_interval_ms`) to ride out a short outage.
    public var retryInterval: Duration = .zero
    /// Pause before retrying a push the server answered 5xx, when `retryInterval` is zero: a
    /// server that refused it at once (overloaded, store away) is not asked again in the same
    /// millisecond, as WeChat would not; a server that gave no answer is retried at once (the
    /// next one, behind a load balancer).
    public var retryAfterRefusal: Duration = .seconds(1)

    /// `client` should come from `makeHTTPClient()` (and be shut down by its owner).
    public init(wechat: SimulatedWeChat, client: HTTPClient) {
        self.wechat = wechat
        self.client = client
    }

    /// An HTTP client that behaves like WeChat's pusher: many connections per host, and a server
    /// that refuses connections is an immediate "no answer" (no connection-retry backoff that
    /// would hold each push for the whole timeout).
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.timeout.connect = .seconds(2)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Pushes one action to the account's callback URL and waits for kefu's answer.
    public func push(_ action: FollowerAction, appid: String) async throws -> PushResult {
        guard let account = await wechat.account(appid), let url = account.callbackURL else {
            throw SimulatorError("account \(appid) has no callback_url")
        }
        var action = action
        if action.kind == .menuTap {
            // A follower taps an option of a menu message they received; its text is the content.
            guard let id = action.key, let text = await wechat.menuOption(appid: appid, openid: action.openid, id: id) else {
                throw SimulatorError("follower \(action.openid) received no menu message with option \(action.key ?? "(none)")")
            }
            action.content = text
        }
        var recorded = await wechat.recordAction(appid: appid, openid: action.openid, kind: PushBuilder.kind(of: action.kind),
                                                 action: action.kind, eventIdentity: PushBuilder.eventIdentity(action))
        while recorded == nil {
            // Same event in the same second as an earlier push: tap again in the next second.
            try await Task.sleep(for: .milliseconds(50))
            recorded = await wechat.recordAction(appid: appid, openid: action.openid, kind: PushBuilder.kind(of: action.kind),
                                                 action: action.kind, eventIdentity: PushBuilder.eventIdentity(action))
        }
        let stamp = recorded!
        let xml = PushBuilder.xml(action, account: account, createTime: stamp.createTime, msgId: stamp.msgId)
        let nonce = String(UInt32.random(in: 100_000_000...UInt32.max))
        let signed = PushBuilder.signed(xml: xml, account: account, timestamp: stamp.createTime, nonce: nonce)
        // Several comma-separated URLs stand for a load balancer in front of several kefu
        // servers: pushes are spread over them, and a retry goes to the next one.
        let urls = url.split(separator: ",").map { base in
            let base = base.trimmingCharacters(in: .whitespaces)
            return base + (base.contains("?") ? "&" : "?") + signed.query
        }
        let result = await deliver(urls: urls, first: stamp.index, body: signed.body)
        await wechat.recordAnswer(index: stamp.index, status: result.status,
                                  msgId: PushBuilder.eventIdentity(action) == nil ? stamp.msgId : nil)
        return result
    }

    /// POSTs a push, retrying like WeChat: up to `retries` more attempts on no answer or 5xx.
    private func deliver(urls: [String], first: Int, body: String) async -> PushResult {
        var attempts = 0
        var last = PushResult(status: 0, body: "", attempts: 0)
        while attempts <= retries {
            if attempts > 0 {
                let pause = retryInterval > .zero ? retryInterval : (last.status >= 500 ? retryAfterRefusal : .zero)
                if pause > .zero { try? await Task.sleep(for: pause) }
            }
            var request = HTTPClientRequest(url: urls[(first + attempts) % urls.count])
            attempts += 1
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "text/xml")
            request.body = .bytes(ByteBuffer(string: body))
            do {
                let response = try await client.execute(request, timeout: timeout)
                let answer = try await response.body.collect(upTo: 1 << 16)
                last = PushResult(status: Int(response.status.code), body: String(buffer: answer), attempts: attempts)
                if response.status.code < 500 { return last }
            } catch {
                last = PushResult(status: 0, body: "\(error)", attempts: attempts)
            }
        }
        return last
    }

    /// A mix of actions by weight, e.g. `["text": 5, "subscribe": 2, "unsubscribe": 1]`.
    public struct Mix: Sendable, Codable, Equatable {
        public var weights: [FollowerActionKind: Int]
        public init(_ weights: [FollowerActionKind: Int]) { self.weights = weights }

        public static let standard = Mix([
            .text: 6, .image: 1, .voice: 1, .location: 1, .subscribe: 3, .unsubscribe: 1, .scan: 2,
            .click: 3, .scancodePush: 1, .view: 1, .reportLocation: 1, .unknown: 1,
        ])

        func pick(_ random: inout SplitMix64) -> FollowerActionKind {
            let total = weights.values.reduce(0, +)
            var roll = Int(random.next() % UInt64(max(total, 1)))
            for kind in FollowerActionKind.allCases {
                let weight = weights[kind] ?? 0
                if roll < weight { return kind }
                roll -= weight
            }
            return .text
        }
    }

    /// Pushes scripted actions: each follower's in the given order, up to `concurrency`
    /// followers at once.
    public func play(appid: String, actions: [FollowerAction], concurrency: Int = 16) async throws -> RunSummary {
        var order: [String] = []
        var byFollower: [String: [FollowerAction]] = [:]
        for action in actions {
            if byFollower[action.openid] == nil { order.append(action.openid) }
            byFollower[action.openid, default: []].append(action)
        }
        return try await perform(appid: appid, plans: order.map { byFollower[$0]! }, concurrency: concurrency, rate: nil)
    }

    /// Pushes `interactions` actions from `followers` followers, mixed by weight: each follower's
    /// actions in order (one at a time), up to `concurrency` followers at once, at most `rate`
    /// pushes per second overall (nil: as fast as the server answers).
    public func run(appid: String, followers: Int, interactions: Int, mix: Mix = .standard,
                    concurrency: Int = 16, rate: Double? = nil, seed: UInt64 = 1, openidPrefix: String = "oSim") async throws -> RunSummary {
        var random = SplitMix64(seed: seed)
        var plans: [[FollowerAction]] = Array(repeating: [], count: followers)
        var unsubscribed = Set<Int>()
        for index in 0..<interactions {
            let follower = index < followers ? index : Int(random.next() % UInt64(followers))
            var kind = mix.pick(&random)
            // Someone who unfollowed can only follow again (WeChat pushes nothing else for them).
            if unsubscribed.contains(follower) { kind = .subscribe }
            if kind == .unsubscribe { unsubscribed.insert(follower) } else { unsubscribed.remove(follower) }
            let openid = "\(openidPrefix)\(appid.suffix(6))_\(follower)"
            let key: String? = switch kind {
            case .subscribe: random.next() % 2 == 0 ? "scene\(random.next() % 3)" : nil
            case .scan: "scene\(random.next() % 3)"
            case .click, .scancodePush: "MENU_\(random.next() % 4)"
            default: nil
            }
            plans[follower].append(FollowerAction(openid: openid, kind: kind, key: key,
                                                  content: kind == .text ? "你好 \(index)" : nil))
        }
        return try await perform(appid: appid, plans: plans, concurrency: concurrency, rate: rate)
    }

    private func perform(appid: String, plans: [[FollowerAction]], concurrency: Int, rate: Double?) async throws -> RunSummary {
        let pacer = Pacer(rate: rate)
        var summary = RunSummary(followers: plans.count)
        try await withThrowingTaskGroup(of: RunSummary.self) { group in
            var next = 0
            func start() {
                let plan = plans[next]
                next += 1
                group.addTask {
                    var part = RunSummary()
                    for action in plan {
                        await pacer.wait()
                        let result = try await push(action, appid: appid)
                        part.pushed += 1
                        if result.status == 200 { part.acknowledged += 1 } else { part.failed += 1 }
                    }
                    return part
                }
            }
            while next < min(concurrency, plans.count) { start() }
            while let part = try await group.next() {
                summary.pushed += part.pushed
                summary.acknowledged += part.acknowledged
                summary.failed += part.failed
                if next < plans.count { start() }
            }
        }
        return summary
    }
}

/// Spaces pushes to a rate (the simulator's pacing of its own load, not a wait in a test).
actor Pacer {
    let interval: Duration?
    var nextSlot = ContinuousClock.now

    init(rate: Double?) {
        interval = rate.map { .nanoseconds(Int64(1e9 / max($0, 0.001))) }
    }

    func wait() async {
        guard let interval else { return }
        let now = ContinuousClock.now
        let slot = max(nextSlot, now)
        nextSlot = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}

public struct SimulatorError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

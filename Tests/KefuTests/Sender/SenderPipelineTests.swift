import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import KefuWorkers
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The sender's pipeline against an in-memory send queue and an in-memory WeChat: no I/O, so
/// every rule of the pipeline is checked directly.
@Suite("Sender pipeline")
struct SenderPipelineTests {
    static let text = #"{"msgtype":"text","text":{"content":"hi"}}"#

    static func account(_ n: Int) -> Account {
        var account = TestAccounts.plain(n)
        account.sendRate = 10_000
        return account
    }

    /// Runs a sender on `queue` and `wechat` while `body` runs, then shuts it down gracefully
    /// and waits for it to finish.
    static func withSender(_ queue: MemorySendQueue, _ wechat: MemoryWeChat, concurrency: Int = 4, batchSize: Int? = nil,
                           unknownOutcome: UnknownOutcomePolicy = .skip, unreachableAfterMillis: Int64 = 60_000,
                           library: MemoryMediaUploads? = nil, logger: Logger = .test(),
                           _ body: @Sendable () async throws -> Void) async throws {
        let clock = SystemWallClock()
        let tokens = TokenProvider(store: MemoryTokenStore(), api: wechat, clock: clock, owner: "test", logger: .test())
        let media = library.map { MediaProvider(store: $0, api: wechat, tokens: tokens, clock: clock, owner: "test", logger: .test()) }
        let sender = Sender(store: queue, api: wechat, tokens: tokens, media: media,
                            reachability: WeChatReachability(configuration: .init(unreachableAfterMillis: unreachableAfterMillis)),
                            clock: clock, owner: "sender-1",
                            configuration: .init(concurrency: concurrency, batchSize: batchSize, idlePoll: .milliseconds(5),
                                                 unknownOutcome: unknownOutcome),
                            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [sender], logger: .test()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("every claimed delivery is sent once, with at most `concurrency` calls in flight, one token fetch, and recorded sent")
    func sendsAll() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        queue.add(account: Self.account(1))
        let openids = (0..<200).map { "o\($0)" }
        queue.enqueue(appid: Self.account(1).appid, openids: openids, message: Self.text)
        try await Self.withSender(queue, wechat, concurrency: 4, batchSize: 16) {
            try await eventually("every delivery recorded sent") { queue.count(.sent) == 200 }
        }
        #expect(wechat.sent.sorted() == openids.sorted())
        #expect(wechat.maxInFlight <= 4)
        #expect(queue.maxStarted <= 4, "never more started and unrecorded than the concurrency: a crash loses at most that")
        #expect(wechat.tokenCalls == 1)
        #expect(queue.claims >= 200 / 16)
    }

    @Test("a message naming a library file: one upload for 100 deliveries, each sent with its WeChat id and logged; a 40007 uploads it again once and resends")
    func libraryMedia() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat(), library = MemoryMediaUploads()
        let account = Self.account(1)
        queue.add(account: account)
        library.add(MediaItem(id: "m_0000000000000000000a", appid: account.appid, kind: .thumb, filename: "card.jpg", contentType: "image/jpeg",
                              bytes: 10, sha256: "x", createdAt: 0), content: MediaFiles.file(.jpeg, size: 10))
        let card = #"{"miniprogrampage":{"appid":"wx1234","pagepath":"p","thumb_kefu_media":"m_0000000000000000000a","title":"T"},"msgtype":"miniprogrampage"}"#
        let openids = (0..<100).map { "o\($0)" }
        queue.enqueue(appid: account.appid, openids: openids, message: card)
        wechat.script("o60", [.errcode(40007)])
        try await Self.withSender(queue, wechat, concurrency: 4, batchSize: 16, library: library) {
            try await eventually("every delivery recorded sent") { queue.count(.sent) == 100 }
        }
        #expect(wechat.uploads == ["m_0000000000000000000a.jpg", "m_0000000000000000000a.jpg"])
        #expect(wechat.sent.count == 100)
        let logged = queue.recordings.flatMap { $0 }.filter { $0.outcome == .sent }
        #expect(Set(logged.compactMap(\.wechatMedia)).isSubset(of: ["MEDIA-1", "MEDIA-2"]) && logged.count == 100)
        #expect(logged.first { $0.delivery.openid == "o60" }?.wechatMedia == "MEDIA-2")
    }

    @Test("WeChat's answers: 45015 skipped, -1 retried until sent, 40003 skipped, 45009 pauses the account and hands its unsent deliveries back")
    func answers() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        let a = Self.account(1), b = Self.account(2)
        queue.add(account: a)
        queue.add(account: b)
        queue.enqueue(appid: a.appid, openids: ["closed", "busy", "stranger"], message: Self.text)
        queue.enqueue(appid: b.appid, openids: (0..<20).map { "b\($0)" }, message: Self.text)
        wechat.script("closed", [.errcode(45015)])
        wechat.script("busy", [.errcode(-1), .errcode(0)])
        wechat.script("stranger", [.errcode(40003)])
        wechat.script("b0", [.errcode(45009)])
        try await Self.withSender(queue, wechat, concurrency: 1, batchSize: 4) {
            try await eventually("account A settled") {
                queue.rows.filter { $0.delivery.appid == a.appid }.allSatisfy { $0.state != .pending && $0.state != .sending }
            }
            try await eventually("account B paused") { try await queue.accountPause(appid: b.appid, now: SystemWallClock().nowMillis()) != nil }
        }
        let byOpenid = Dictionary(uniqueKeysWithValues: queue.rows.map { ($0.delivery.openid, $0) })
        #expect(byOpenid["closed"]?.outcome == .skipped(reason: DeliveryReason.windowClosed, errcode: 45015))
        #expect(byOpenid["stranger"]?.outcome == .skipped(reason: DeliveryReason.invalidOpenid, errcode: 40003))
        #expect(byOpenid["busy"]?.state == .sent)
        #expect(byOpenid["busy"]?.delivery.attempts == 1, "the -1 counted as an attempt")
        let pause = try #require(try await queue.accountPause(appid: b.appid, now: SystemWallClock().nowMillis()))
        #expect(pause.reason.contains("45009"))
        // B's deliveries after the 45009 wait for tomorrow: pending, none sent but what went before.
        let bRows = queue.rows.filter { $0.delivery.appid == b.appid }
        let bOpenids = Set(bRows.map(\.delivery.openid))
        #expect(bRows.filter { $0.state == .sent }.count == wechat.sent.filter { bOpenids.contains($0) }.count)
        #expect(bRows.contains { $0.state == .pending })
        #expect(bRows.allSatisfy { $0.state == .sent || $0.state == .pending })
    }

    @Test("a call never written stays pending (not attempted); a written call with no answer is skipped as unknown, or retried under `retry`")
    func unknownOutcomes() async throws {
        for policy in [UnknownOutcomePolicy.skip, .retry] {
            let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
            queue.add(account: Self.account(1))
            queue.enqueue(appid: Self.account(1).appid, openids: ["refused", "lost"], message: Self.text)
            wechat.script("refused", [.notSent("connection refused")])
            wechat.script("lost", [.noAnswer("timeout")])
            try await Self.withSender(queue, wechat, concurrency: 2, unknownOutcome: policy) {
                try await eventually("both answered") { queue.recordings.flatMap { $0 }.count >= 2 }
            }
            let byOpenid = Dictionary(uniqueKeysWithValues: queue.rows.map { ($0.delivery.openid, $0) })
            let refused = try #require(byOpenid["refused"])
            #expect(refused.state == .pending || refused.state == .sent, "never skipped: \(refused)")
            #expect(refused.delivery.attempts == 0)
            switch policy {
            case .skip: #expect(byOpenid["lost"]?.outcome == .skipped(reason: DeliveryReason.noAnswer, errcode: nil))
            case .retry: #expect(byOpenid["lost"]?.state != .skipped)
            }
        }
    }

    @Test("graceful shutdown: calls in flight finish and are recorded; claimed deliveries not yet sent go back unattempted")
    func shutdown() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        queue.add(account: Self.account(1))
        queue.enqueue(appid: Self.account(1).appid, openids: (0..<50).map { "o\($0)" }, message: Self.text)
        wechat.hold()
        let clock = SystemWallClock()
        let tokens = TokenProvider(store: MemoryTokenStore(), api: wechat, clock: clock, owner: "test", logger: .test())
        let sender = Sender(store: queue, api: wechat, tokens: tokens, clock: clock, owner: "sender-1",
                            configuration: .init(concurrency: 4, batchSize: 16, idlePoll: .milliseconds(5)), logger: .test())
        let group = ServiceGroup(configuration: .init(services: [sender], logger: .test()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually("4 calls in flight") { wechat.inFlight == 4 }
            await group.triggerGracefulShutdown()
            wechat.open()
            try await tasks.waitForAll()
        }
        // The calls in flight when the sender saw the shutdown (4, or 8 when the shutdown reached
        // it a moment after the first calls returned) were recorded; nothing more went out.
        let sent = queue.count(.sent)
        #expect(sent == wechat.sent.count, "every call WeChat took is recorded sent")
        #expect(sent >= 4 && sent < 50)
        #expect(queue.count(.sending) == 0, "nothing left leased")
        #expect(queue.count(.pending) == 50 - sent)
        #expect(queue.rows.allSatisfy { $0.delivery.attempts == 0 }, "given back unattempted")
    }

    @Test("claims lost before their calls went out (another worker took the lease) are not sent")
    func leaseLost() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        queue.add(account: Self.account(1))
        queue.enqueue(appid: Self.account(1).appid, openids: (0..<40).map { "o\($0)" }, message: Self.text)
        wechat.hold()
        try await Self.withSender(queue, wechat, concurrency: 4, batchSize: 40) {
            try await eventually("4 calls in flight") { wechat.inFlight == 4 }
            // Everything claimed and not yet started is taken over by another worker.
            queue.steal(ids: queue.rows.filter { $0.state == .sending && !$0.started }.map(\.delivery.id))
            wechat.open()
            try await eventually("the 4 started calls recorded") { queue.count(.sent) == 4 }
        }
        #expect(wechat.sent.count == 4, "nothing it no longer held was sent")
    }

    @Test("fencing: a worker cut off longer than its lease gets its calls' answers back after another worker took them over — its results change nothing, and it logs that")
    func fencedResults() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        queue.add(account: Self.account(1))
        let openids = (0..<4).map { "o\($0)" }
        queue.enqueue(appid: Self.account(1).appid, openids: openids, message: Self.text)
        for openid in openids { wechat.script(openid, [.errcode(45015)]) }
        wechat.hold()
        let log = LogCapture()
        try await Self.withSender(queue, wechat, concurrency: 4, batchSize: 4, logger: log.logger) {
            try await eventually("4 calls in flight") { wechat.inFlight == 4 }
            // The lease ran out while the calls were out, and another worker holds them now.
            queue.steal(ids: queue.rows.map(\.delivery.id))
            wechat.open()
            try await eventually("the sender said so") { log.messages.contains { $0.contains("no longer held were not recorded") } }
        }
        #expect(queue.rows.allSatisfy { $0.state == .sending && $0.owner == "another-worker" }, "the other worker's claims are untouched")
    }

    @Test("a failed recording is retried with the next batch: nothing is lost or recorded twice")
    func recordingFails() async throws {
        let queue = MemorySendQueue(clock: SystemWallClock()), wechat = MemoryWeChat()
        queue.add(account: Self.account(1))
        queue.enqueue(appid: Self.account(1).appid, openids: (0..<30).map { "o\($0)" }, message: Self.text)
        queue.failRecordings(2)
        try await Self.withSender(queue, wechat, concurrency: 3, batchSize: 8) {
            try await eventually("every delivery recorded sent") { queue.count(.sent) == 30 }
        }
        #expect(wechat.sent.count == 30)
        let recorded = queue.recordings.flatMap { $0 }.map(\.delivery.id)
        #expect(Set(recorded).count == recorded.count, "each result recorded once")
    }
}

/// A logger whose messages the test can read.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var messages: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "capture") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
        }
    }
}

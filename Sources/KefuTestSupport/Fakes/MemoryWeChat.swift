import Foundation
import KefuCore
import KefuWorkers
import Synchronization

/// WeChat in memory (`WeChatClient`): hands out one token, answers each send with what the test
/// scripted for its follower (default 0), and counts calls in flight. For unit tests of the
/// sender; the end-to-end suites use the simulator over HTTP.
public final class MemoryWeChat: WeChatClient {
    public enum Answer: Sendable {
        case errcode(Int)
        case notSent(String)
        case noAnswer(String)
    }

    struct State {
        var answers: [String: [Answer]] = [:]
        var sent: [String] = []
        var inFlight = 0
        var maxInFlight = 0
        var tokenCalls = 0
        var uploads: [String] = []
        var uploadAnswers: [Int] = []
        var uploadGate: [CheckedContinuation<Void, Never>]? = nil
        var gate: [CheckedContinuation<Void, Never>]? = nil
    }

    public let baseURL = "memory://wechat"
    private let state = Mutex(State())

    public init() {}

    /// Answers for `openid`'s next sends, in order; after them, 0.
    public func script(_ openid: String, _ answers: [Answer]) {
        state.withLock { $0.answers[openid] = answers }
    }

    /// Holds every send until `open()`.
    public func hold() { state.withLock { $0.gate = $0.gate ?? [] } }

    public func open() {
        let waiting = state.withLock { state in
            defer { state.gate = nil }
            return state.gate ?? []
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Openids whose sends WeChat accepted (errcode 0), in order.
    public var sent: [String] { state.withLock { $0.sent } }
    public var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    public var inFlight: Int { state.withLock { $0.inFlight } }
    public var tokenCalls: Int { state.withLock { $0.tokenCalls } }
    /// The filenames uploaded, in order.
    public var uploads: [String] { state.withLock { $0.uploads } }

    /// Errcodes for the next uploads, in order; after them, success.
    public func scriptUploads(_ errcodes: [Int]) { state.withLock { $0.uploadAnswers = errcodes } }

    /// Uploads held by `holdUploads()`, waiting.
    public var uploadsWaiting: Int { state.withLock { $0.uploadGate?.count ?? 0 } }

    /// Holds every upload until `openUploads()`.
    public func holdUploads() { state.withLock { $0.uploadGate = $0.uploadGate ?? [] } }

    public func openUploads() {
        let waiting = state.withLock { state in
            defer { state.uploadGate = nil }
            return state.uploadGate ?? []
        }
        for continuation in waiting { continuation.resume() }
    }

    public func uploadMedia(accessToken: String, type: String, filename: String, contentType: String, content: [UInt8]) async throws
        -> Result<String, WeChatError> {
        let held = state.withLock { $0.uploadGate != nil }
        if held {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard state.uploadGate != nil else { return true }
                    state.uploadGate?.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let (count, errcode) = state.withLock { state in
            state.uploads.append(filename)
            let errcode = state.uploadAnswers.isEmpty ? 0 : state.uploadAnswers.removeFirst()
            return (state.uploads.count, errcode)
        }
        if errcode != 0 { return .failure(WeChatError(errcode: errcode, errmsg: "refused")) }
        return .success("MEDIA-\(count)")
    }

    public func stableToken(appid: String, secret: String, forceRefresh: Bool) async throws -> Result<(String, Int64), WeChatError> {
        state.withLock { $0.tokenCalls += 1 }
        return .success(("TOKEN-\(appid)", 7200))
    }

    public func customSend(accessToken: String, body: [UInt8]) async throws -> WeChatError {
        let openid = Self.touser(body)
        state.withLock { state in
            state.inFlight += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = state.withLock { state in
                guard state.gate != nil else { return false }
                state.gate!.append(continuation)
                return true
            }
            if !wait { continuation.resume() }
        }
        let answer: Answer = state.withLock { state in
            state.inFlight -= 1
            let answer = state.answers[openid]?.first ?? .errcode(0)
            if state.answers[openid]?.isEmpty == false { state.answers[openid]!.removeFirst() }
            if case .errcode(0) = answer { state.sent.append(openid) }
            return answer
        }
        switch answer {
        case .errcode(let code): return WeChatError(errcode: code, errmsg: code == 0 ? "ok" : "scripted")
        case .notSent(let why): throw WeChatAPI.CallError.notSent(why)
        case .noAnswer(let why): throw WeChatAPI.CallError.noAnswer(why)
        }
    }

    static func touser(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: #""touser":""#) else { return "" }
        return String(text[start.upperBound...].prefix { $0 != "\"" })
    }
}

import KefuCore
import KefuTestSupport
import Logging
import Synchronization
import Testing
@testable import KefuWorkers

/// The access-token provider against the in-memory token store: whatever way a fetch fails, the
/// refresh right goes back at once, so the next caller (in any process) asks WeChat now instead
/// of waiting out the 15 s lock.
@Suite("Token provider")
struct TokenProviderTests {
    /// WeChat's token endpoint answering each call with the next of `answers`.
    final class TokenEndpoint: WeChatClient {
        enum Answer: Sendable { case token(String), refused(Int), unreachable }
        let answers: [Answer]
        let calls = Counter()
        init(_ answers: [Answer]) { self.answers = answers }
        var baseURL: String { "memory://tokens" }

        func stableToken(appid: String, secret: String, forceRefresh: Bool) async throws -> Result<(String, Int64), WeChatError> {
            switch answers[min(calls.next(), answers.count - 1)] {
            case .token(let token): return .success((token, 7200))
            case .refused(let errcode): return .failure(WeChatError(errcode: errcode, errmsg: "refused"))
            case .unreachable: throw WeChatAPI.CallError.notSent("connection refused")
            }
        }

        func customSend(accessToken: String, body: [UInt8]) async throws -> WeChatError { WeChatError(errcode: 0, errmsg: "ok") }

        func uploadMedia(accessToken: String, type: String, filename: String, contentType: String, content: [UInt8]) async throws
            -> Result<String, WeChatError> { .failure(WeChatError(errcode: 40004, errmsg: "not here")) }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { count in defer { count += 1 }; return count } }
        var count: Int { value.withLock { $0 } }
    }

    @Test("a refused or unasked fetch gives the refresh right back; the next caller fetches at once", arguments: [
        TokenEndpoint.Answer.refused(40013), .unreachable,
    ])
    func failedFetchReleasesTheLock(failure: TokenEndpoint.Answer) async throws {
        let store = MemoryTokenStore()
        let endpoint = TokenEndpoint([failure, .token("FRESH")])
        let account = TestAccounts.plain(1)
        let first = TokenProvider(store: store, api: endpoint, clock: SystemWallClock(), owner: "process-1", logger: Logger.test())
        await #expect(throws: (any Error).self) { try await first.token(for: account) }
        // Another process's caller: it would wait for the lock (up to 20 s) had it not been given back.
        #expect(try await store.lockTokenRefresh(appid: account.appid, owner: "probe", now: SystemWallClock().nowMillis(), ttlMillis: 1))
        try await store.releaseTokenRefresh(appid: account.appid, owner: "probe")
        let second = TokenProvider(store: store, api: endpoint, clock: SystemWallClock(), owner: "process-2", logger: Logger.test())
        #expect(try await second.token(for: account) == "FRESH")
        #expect(endpoint.calls.count == 2)
    }

    @Test("concurrent callers in one process share one lookup: WeChat unreachable is one refused fetch for all of them, not one each in turn")
    func concurrentCallersShareOneLookup() async throws {
        let store = MemoryTokenStore()
        let endpoint = TokenEndpoint([.unreachable, .token("FRESH")])
        let account = TestAccounts.plain(1)
        let provider = TokenProvider(store: store, api: endpoint, clock: SystemWallClock(), owner: "process-1", logger: Logger.test())
        // A lookup under way (the store's lock held by another process makes it wait), joined
        // by 100 more callers; the lock given back, the one fetch fails for them all.
        #expect(try await store.lockTokenRefresh(appid: account.appid, owner: "other", now: SystemWallClock().nowMillis(), ttlMillis: 60_000))
        let failures = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    do { _ = try await provider.token(for: account) } catch { _ = failures.next() }
                }
            }
            try? await eventually("100 callers waiting for the lookup") { provider.callersWaiting == 100 }
            try? await store.releaseTokenRefresh(appid: account.appid, owner: "other")
        }
        #expect(failures.count == 100)
        #expect(endpoint.calls.count == 1, "one fetch for 100 callers")
        // The failed lookup is not kept: the next caller asks again, and gets the token.
        #expect(try await provider.token(for: account) == "FRESH")
        #expect(endpoint.calls.count == 2)
    }

    @Test("a stored token is shared: a second provider does not call WeChat")
    func shared() async throws {
        let store = MemoryTokenStore()
        let endpoint = TokenEndpoint([.token("ONE"), .token("TWO")])
        let account = TestAccounts.plain(1)
        let first = TokenProvider(store: store, api: endpoint, clock: SystemWallClock(), owner: "process-1", logger: Logger.test())
        let second = TokenProvider(store: store, api: endpoint, clock: SystemWallClock(), owner: "process-2", logger: Logger.test())
        #expect(try await first.token(for: account) == "ONE")
        #expect(try await second.token(for: account) == "ONE")
        #expect(endpoint.calls.count == 1)
    }
}

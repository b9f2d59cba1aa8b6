import KefuCore
import KefuStore
import Logging
import Synchronization

/// One access token per account for every kefu process: kept in the store with its expiry,
/// fetched with `stable_token` by whichever process takes the refresh lock (the others wait for
/// it), refreshed ahead of expiry, and force-refreshed once when WeChat says it is invalid.
public final class TokenProvider: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var errcode: Int
        public var description: String
    }

    let store: any TokenStore
    let api: any WeChatClient
    let clock: any WallClock
    let owner: String
    let logger: Logger
    /// Tokens are refreshed this long before they expire.
    let margin: Int64 = 300_000
    private let cache = Mutex<[String: StoredAccessToken]>([:])
    private let fetches = Mutex<Int>(0)
    /// Lookups under way in this process, by account and the token they replace. Callers that
    /// arrive meanwhile wait for that one instead of taking turns at the refresh lock: when
    /// WeChat cannot be reached, a hundred sends to one account failed one after another, each
    /// polling the store every 50 ms until the lock was theirs, and held their places as long.
    private let lookups = Mutex<[Lookup: Task<String, any Error>]>([:])

    /// Callers waiting for a lookup (tests wait for them to have joined).
    private let waiting = Mutex(0)
    var callersWaiting: Int { waiting.withLock { $0 } }

    struct Lookup: Hashable {
        var appid: String
        var stale: String?
    }

    public init(store: any TokenStore, api: any WeChatClient, clock: any WallClock, owner: String, logger: Logger) {
        self.store = store
        self.api = api
        self.clock = clock
        self.owner = owner
        self.logger = logger
    }

    /// Token fetches this process made (tests check that N processes fetch once).
    public var fetchCount: Int { fetches.withLock { $0 } }

    public func token(for account: Account) async throws -> String {
        try await token(for: account, replacing: nil)
    }

    /// After 40001/42001 with `stale`: a new token, fetched with force_refresh unless another
    /// process already replaced it.
    public func refresh(for account: Account, stale: String) async throws -> String {
        cache.withLock { _ = $0.removeValue(forKey: account.appid) }
        return try await token(for: account, replacing: stale)
    }

    private func token(for account: Account, replacing stale: String?) async throws -> String {
        let now = clock.nowMillis()
        if stale == nil, let cached = cache.withLock({ $0[account.appid] }), cached.expiresAt - margin > now { return cached.token }
        let key = Lookup(appid: account.appid, stale: stale)
        let (lookup, first) = lookups.withLock { lookups in
            if let running = lookups[key] { return (running, false) }
            // Unstructured: the lookup is every waiting caller's, so the first caller's
            // cancellation must not end it for the others; it ends by itself (20 s at most).
            let lookup = Task { try await self.lookUp(for: account, replacing: stale) }
            lookups[key] = lookup
            return (lookup, true)
        }
        waiting.withLock { $0 += 1 }
        let result = await lookup.result
        waiting.withLock { $0 -= 1 }
        if first { _ = lookups.withLock { $0.removeValue(forKey: key) } }
        return try result.get()
    }

    /// The token from the store, or fetched from WeChat under the refresh lock (waiting up to
    /// 20 s for another process that holds it).
    private func lookUp(for account: Account, replacing stale: String?) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let now = clock.nowMillis()
            if let stored = try await store.accessToken(appid: account.appid), stored.expiresAt - margin > now, stored.token != stale {
                cache.withLock { $0[account.appid] = stored }
                return stored.token
            }
            if try await store.lockTokenRefresh(appid: account.appid, owner: owner, now: now, ttlMillis: 15_000) {
                // Re-read under the lock: another process may have just stored a fresh one.
                if let stored = try await store.accessToken(appid: account.appid), stored.expiresAt - margin > now, stored.token != stale {
                    try await store.storeAccessToken(appid: account.appid, token: stored)
                    cache.withLock { $0[account.appid] = stored }
                    return stored.token
                }
                fetches.withLock { $0 += 1 }
                do {
                    switch try await api.stableToken(appid: account.appid, secret: account.appSecret, forceRefresh: stale != nil) {
                    case .success(let (token, expiresIn)):
                        // Storing the token gives the refresh right back.
                        let stored = StoredAccessToken(token: token, expiresAt: clock.nowMillis() + expiresIn * 1000)
                        try await store.storeAccessToken(appid: account.appid, token: stored)
                        cache.withLock { $0[account.appid] = stored }
                        logger.info("access token fetched", metadata: ["kefu.appid": "\(account.appid)", "kefu.token.forced": "\(stale != nil)"])
                        return token
                    case .failure(let error):
                        throw Failure(errcode: error.errcode, description: "stable_token failed for \(account.appid): errcode \(error.errcode)")
                    }
                } catch {
                    // No token stored (WeChat could not be asked, refused, or the store failed):
                    // the right goes back at once, so the next caller tries now rather than every
                    // caller waiting out the lock.
                    try? await store.releaseTokenRefresh(appid: account.appid, owner: owner)
                    throw error
                }
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(errcode: -2, description: "no access token for \(account.appid): another process holds the refresh")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// Accounts by appid for the callback path, so a push costs no store read: every account is
/// loaded before the server accepts requests and reloaded every `refreshMillis` by
/// `AccountCacheRefresher`, and this instance's own changes are written through at once. A push
/// is therefore verified (signature, AES) without touching the store — a bad signature is
/// answered 401 even while the store is slow or down.
///
/// An appid the cache does not know (added through another `serve` instance since the last
/// reload) is read from the store, and a "no such account" kept for `refreshMillis`. When reloads
/// fail, what was loaded last keeps answering for up to `maxStaleMillis`; an appid missing from a
/// complete load that recent is unknown (404) even when the store cannot be asked.
final class AccountCache: Sendable {
    private struct Entry { var account: Account?; var fetchedAt: Int64 }
    private let entries = Mutex<[String: Entry]>([:])
    /// When every account was last loaded (nil: never, or more than the cache holds).
    private let completeAt = Mutex<Int64?>(nil)
    private let store: any AccountReader
    private let clock: any WallClock
    let refreshMillis: Int64
    let maxStaleMillis: Int64
    /// Accounts the cache keeps at most; past it, lookups of the rest go to the store.
    static let capacity = 100_000

    init(store: any AccountReader, clock: any WallClock, refreshMillis: Int64 = 2_000, maxStaleMillis: Int64 = 300_000) {
        self.store = store
        self.clock = clock
        self.refreshMillis = refreshMillis
        self.maxStaleMillis = maxStaleMillis
    }

    func account(appid: String) async throws -> Account? {
        let now = clock.nowMillis()
        let cached = entries.withLock { $0[appid] }
        // A known account is kept fresh by the refresher: used without a store read (up to
        // `maxStaleMillis` while reloads fail). An unknown appid is asked again after `refreshMillis`.
        if let cached, now - cached.fetchedAt < (cached.account == nil ? refreshMillis : maxStaleMillis) { return cached.account }
        do {
            let account = try await store.account(appid: appid)
            put(appid: appid, account: account, at: now)
            return account
        } catch {
            // The store cannot answer now: a recent enough copy still verifies signatures, and
            // an appid missing from a recent complete load is unknown.
            if let cached, now - cached.fetchedAt < maxStaleMillis { return cached.account }
            if cached == nil, let complete = completeAt.withLock({ $0 }), now - complete < maxStaleMillis { return nil }
            throw error
        }
    }

    /// Loads every account, forgetting deleted ones.
    func reloadAll() async throws {
        let now = clock.nowMillis()
        let accounts = try await store.accounts()
        completeAt.withLock { $0 = accounts.count <= Self.capacity ? now : nil }
        var fresh: [String: Entry] = [:]
        for account in accounts.prefix(Self.capacity) { fresh[account.appid] = Entry(account: account, fetchedAt: now) }
        entries.withLock { entries in
            // What this instance wrote while the reload ran is newer than what the reload read.
            for (appid, entry) in entries where entry.fetchedAt >= now { fresh[appid] = entry }
            entries = fresh
        }
    }

    /// This instance changed or added the account: later pushes see it at once.
    func put(_ account: Account) {
        put(appid: account.appid, account: account, at: clock.nowMillis())
    }

    func invalidate(appid: String) {
        put(appid: appid, account: nil, at: clock.nowMillis())
    }

    private func put(appid: String, account: Account?, at now: Int64) {
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[appid] == nil { entries.removeAll() }
            entries[appid] = Entry(account: account, fetchedAt: now)
        }
    }
}

/// Reloads the account cache every `refreshMillis` while the server runs. A failure is logged
/// once when it starts and once when reloading works again.
struct AccountCacheRefresher: Service {
    let cache: AccountCache
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(cache.refreshMillis)) }
            } catch {
                return
            }
            do {
                try await cache.reloadAll()
                if failing { logger.notice("account cache reloads again") }
                failing = false
            } catch {
                if !failing {
                    logger.warning("account cache reload failed; the last copy answers until the store is back",
                                   metadata: ["error": "\(String(reflecting: error))"])
                }
                failing = true
            }
        }
    }
}

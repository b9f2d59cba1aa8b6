import KefuCore
import KefuStore
import Synchronization

/// Accounts by appid for the callback path, so a push costs no store read. Entries live for a
/// short time so an account added or changed through another `serve` instance is seen promptly;
/// this instance's own changes invalidate at once.
final class AccountCache: Sendable {
    private struct Entry { var account: Account?; var expires: Int64 }
    private let entries = Mutex<[String: Entry]>([:])
    private let store: any KefuStore
    private let clock: any WallClock
    private let ttlMillis: Int64

    init(store: any KefuStore, clock: any WallClock, ttlMillis: Int64 = 2_000) {
        self.store = store
        self.clock = clock
        self.ttlMillis = ttlMillis
    }

    func account(appid: String) async throws -> Account? {
        let now = clock.nowMillis()
        if let entry = entries.withLock({ $0[appid] }), entry.expires > now { return entry.account }
        let account = try await store.account(appid: appid)
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[appid] = Entry(account: account, expires: now + ttlMillis)
        }
        return account
    }

    func invalidate(appid: String) {
        _ = entries.withLock { $0.removeValue(forKey: appid) }
    }
}

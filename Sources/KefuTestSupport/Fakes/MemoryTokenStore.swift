import KefuCore
import KefuStore
import Synchronization

/// Access tokens and their refresh lock in memory (`TokenStore`), for unit tests.
public final class MemoryTokenStore: TokenStore {
    private struct Row { var token: StoredAccessToken?; var owner: String?; var until: Int64? }
    private let rows = Mutex<[String: Row]>([:])

    public init() {}

    public func accessToken(appid: String) async throws -> StoredAccessToken? { rows.withLock { $0[appid]?.token } }

    public func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        rows.withLock { rows in
            var row = rows[appid] ?? Row()
            if let until = row.until, until >= now { return false }
            row.owner = owner
            row.until = now + ttlMillis
            rows[appid] = row
            return true
        }
    }

    public func releaseTokenRefresh(appid: String, owner: String) async throws {
        rows.withLock { rows in
            guard rows[appid]?.owner == owner else { return }
            rows[appid]?.owner = nil
            rows[appid]?.until = nil
        }
    }

    public func storeAccessToken(appid: String, token: StoredAccessToken) async throws {
        rows.withLock { $0[appid] = Row(token: token) }
    }
}

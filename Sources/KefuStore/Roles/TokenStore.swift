import KefuCore

/// One access token per account for every process: the token provider.
public protocol TokenStore: Sendable {
    func accessToken(appid: String) async throws -> StoredAccessToken?
    /// Takes the right to refresh an account's token for `ttlMillis`; false when another holds it.
    func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool
    /// Gives the refresh right back early (the fetch failed), if `owner` still holds it.
    func releaseTokenRefresh(appid: String, owner: String) async throws
    func storeAccessToken(appid: String, token: StoredAccessToken) async throws
}

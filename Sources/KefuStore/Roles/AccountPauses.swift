import KefuCore

/// Accounts whose sending WeChat's answers paused (quotas, a bad secret, WeChat unreachable).
public protocol AccountPauses: Sendable {
    /// Pauses an account's sending until `pause.until` (a longer pause already set stays, with
    /// its reason).
    func pauseAccount(appid: String, pause: AccountPause) async throws
    func accountPause(appid: String, now: Int64) async throws -> AccountPause?
    /// Lifts a pause (after the operator fixed the account's secret) and forgets its token.
    func clearAccountPause(appid: String) async throws
    /// Lifts every account's pause whose reason starts with `reasonPrefix` (WeChat answers again).
    func liftAccountPauses(reasonPrefix: String) async throws
}

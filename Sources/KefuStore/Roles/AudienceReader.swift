import KefuCore

/// Reading the window ledger: who can be reached now, and why a follower can (not).
public protocol AudienceReader: Sendable {
    /// Followers whose window is open at `now`, closing soonest first.
    func audience(appid: String, now: Int64, limit: Int, after: AudienceCursor?) async throws -> AudiencePage
    func follower(appid: String, openid: String, now: Int64, recent: Int) async throws -> FollowerLedger?
}

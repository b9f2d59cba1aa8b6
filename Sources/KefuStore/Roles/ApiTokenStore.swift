import KefuCore

/// Named API tokens (`kefu tokens`, `/api/v1/tokens`): the admin API's and the console's
/// sign-in, and the tokens' administration.
public protocol ApiTokenStore: Sendable {
    /// Fails `.conflict` when the name is taken.
    func createApiToken(_ token: ApiToken) async throws
    /// The token whose secret has this SHA-256 (hex), revoked and expired ones included.
    func apiToken(secretHash: String) async throws -> ApiToken?
    func apiToken(id: String) async throws -> ApiToken?
    /// Every token, newest first (revoked ones too: the list says so).
    func apiTokens() async throws -> [ApiToken]
    /// Revokes a token for good; false when there is none with this id or it was revoked already.
    func revokeApiToken(id: String, now: Int64) async throws -> Bool
}

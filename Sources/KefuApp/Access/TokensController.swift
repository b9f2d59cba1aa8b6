import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// `/api/v1/tokens` (admins): named tokens with a role and an optional account scope. The
/// secret is in the creation's answer only; the store keeps its SHA-256.
struct TokensController<Context: RequestContext> {
    let store: any ApiTokenStore
    let clock: any WallClock
    let bodyLimit: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("/tokens", use: list)
        group.post("/tokens", use: create)
        group.delete("/tokens/:id", use: revoke)
    }

    struct CreateTokenRequest: Decodable {
        var name: String
        var role: AccessRole
        var accounts: [String]?
        var expiresIn: String?
        enum CodingKeys: String, CodingKey { case name, role, accounts, expiresIn = "expires_in" }
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONBody.decode(CreateTokenRequest.self, from: request, limit: bodyLimit)
        let now = clock.nowMillis()
        let expiresAt = try body.expiresIn.map { now + (try ApiToken.lifetime($0, field: "expires_in")) }
        let (token, secret) = try TokenAuthority.mint(name: body.name, role: body.role, accounts: body.accounts, expiresAt: expiresAt, now: now)
        try await store.createApiToken(token)
        context.logger.info("API token created", metadata: ["kefu.token.id": "\(token.id)", "kefu.token.role": "\(token.role.rawValue)"])
        var object = Self.json(token, now: now)
        object["token"] = secret
        return try JSONBody.object(.created, object)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let now = clock.nowMillis()
        return try JSONBody.object(.ok, ["tokens": try await store.apiTokens().map { Self.json($0, now: now) }])
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await store.revokeApiToken(id: id, now: clock.nowMillis()) else { throw KefuError(.notFound, "no token \(id) to revoke") }
        context.logger.info("API token revoked", metadata: ["kefu.token.id": "\(id)"])
        return Response(status: .noContent)
    }

    /// A token as the API shows it: never its secret or the secret's hash.
    static func json(_ token: ApiToken, now: Int64) -> [String: Any] {
        ["id": token.id, "name": token.name, "role": token.role.rawValue, "accounts": token.accounts as Any? ?? NSNull(),
         "created_at": RFC3339.format(millis: token.createdAt),
         "expires_at": token.expiresAt.map { RFC3339.format(millis: $0) } as Any? ?? NSNull(),
         "revoked_at": token.revokedAt.map { RFC3339.format(millis: $0) } as Any? ?? NSNull(),
         "active": token.isActive(now: now)]
    }
}

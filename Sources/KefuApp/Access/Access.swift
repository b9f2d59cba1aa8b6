import Crypto
import Hummingbird
import KefuCore
import KefuStore
import WeChatProtocol

/// Who is asking and what they may do: the bootstrap admin token (`KEFU_ADMIN_TOKEN`), a named
/// token (`kefu tokens create`), or everyone on an open loopback API (`local`).
public struct Access: Sendable, Equatable {
    /// The audit log's actor: the token's name, `admin` or `local`.
    public var name: String
    public var role: AccessRole
    /// The accounts it sees; nil: every account.
    public var accounts: Set<String>?
    /// The named token's id (`tok_…`); nil for the admin token and `local`.
    public var tokenId: String?

    public init(name: String, role: AccessRole, accounts: Set<String>? = nil, tokenId: String? = nil) {
        self.name = name
        self.role = role
        self.accounts = accounts
        self.tokenId = tokenId
    }

    public static let bootstrapAdmin = Access(name: "admin", role: .admin)
    public static let local = Access(name: "local", role: .admin)

    public func sees(_ appid: String) -> Bool { accounts?.contains(appid) ?? true }
    public func may(_ needed: AccessRole) -> Bool { role >= needed }

    /// The access a request's middleware established; none (sees nothing, may nothing) without one.
    static func of(_ context: some RequestContext) -> Access {
        (context as? any AccessRequestContext)?.access ?? Access(name: "none", role: .viewer, accounts: [])
    }
}

/// A request context that carries the `Access` its middleware established, on the console the
/// session it was established from (so a page does not look the session up again), and on a
/// change the audit log's trail, which the access check fills in.
public protocol AccessRequestContext: RequestContext {
    var access: Access? { get set }
    var consoleSession: ConsoleSession? { get set }
    var auditTrail: AuditTrail? { get set }
}

/// Turns a presented bearer token into an `Access`: the bootstrap admin token (compared in
/// constant time), or a named token looked up by the SHA-256 of its secret (a lookup by hash
/// tells nothing about other tokens' secrets), active at `now`.
public struct TokenAuthority: Sendable {
    let adminToken: [UInt8]?
    let store: any ApiTokenStore

    /// Named tokens' secrets start with this, so they are never mistaken for the admin token.
    static let prefix = "kefu_"

    func access(presented: [UInt8], now: Int64) async throws -> Access? {
        if let adminToken, CallbackSignature.constantTimeEquals(presented, adminToken) { return .bootstrapAdmin }
        guard presented.starts(with: Array(Self.prefix.utf8)), presented.count <= 128 else { return nil }
        guard let token = try await store.apiToken(secretHash: Self.hash(presented)), token.isActive(now: now) else { return nil }
        return Access(name: token.name, role: token.role, accounts: token.accounts.map(Set.init), tokenId: token.id)
    }

    static func hash(_ secret: [UInt8]) -> String { Hex.encode(Array(SHA256.hash(data: secret))) }

    /// A new token: its record (the secret's hash) and the secret, shown once.
    public static func mint(name: String, role: AccessRole, accounts: [String]?, expiresAt: Int64?, now: Int64) throws -> (ApiToken, String) {
        try ApiToken.validate(name: name, role: role, accounts: accounts)
        let secret = prefix + Hex.random(bytes: 24)
        let token = ApiToken(id: "tok_" + Hex.random(bytes: 6), name: name, role: role,
                             accounts: accounts.map { Array(Set($0)).sorted() }, secretHash: hash(Array(secret.utf8)),
                             createdAt: now, expiresAt: expiresAt)
        return (token, secret)
    }
}

/// What a token may do (README, Security): each role includes the ones before it.
public enum AccessRole: String, Sendable, CaseIterable, Comparable, Codable {
    /// Reads: accounts, audiences, followers, tasks, rules, media, deliveries.
    case viewer
    /// And changes tasks, rules and media, and sends tests, on its accounts.
    case `operator`
    /// Everything: accounts, tokens, the audit log.
    case admin

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// A named API token (`kefu tokens create`): the store keeps the SHA-256 of the secret, never the secret.
public struct ApiToken: Sendable, Equatable {
    /// The public handle (`tok_` and 12 hex digits), for listing and revoking.
    public var id: String
    public var name: String
    public var role: AccessRole
    /// The accounts it sees; nil: every account (admin tokens always).
    public var accounts: [String]?
    /// SHA-256 of the secret, hex.
    public var secretHash: String
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?

    public init(id: String, name: String, role: AccessRole, accounts: [String]?, secretHash: String, createdAt: Int64,
                expiresAt: Int64? = nil, revokedAt: Int64? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.accounts = accounts
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Not revoked and not expired at `now`.
    public func isActive(now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }

    /// The checks a new token's fields pass, each failure naming its field.
    public static func validate(name: String, role: AccessRole, accounts: [String]?) throws {
        guard !name.isEmpty, name.first != " ", name.last != " ", name.count <= 64 else {
            throw KefuError.invalid("name", "must be 1 to 64 characters, without spaces at either end")
        }
        guard name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_. @".unicodeScalars.contains($0) }) else {
            throw KefuError.invalid("name", "may hold letters, digits, spaces and - _ . @ only")
        }
        // Reserved: the bootstrap token's name and the audit log's other actors.
        guard !["admin", "local", "unauthenticated", "anonymous", "unknown"].contains(name.lowercased()) else {
            throw KefuError.invalid("name", "\"\(name)\" is reserved")
        }
        if let accounts {
            guard role != .admin else {
                throw KefuError.invalid("accounts", "an admin token sees every account; scope viewer or operator tokens")
            }
            guard !accounts.isEmpty, accounts.count <= 1000 else { throw KefuError.invalid("accounts", "must name 1 to 1000 appids") }
            for appid in accounts {
                guard (try? AccountValidation.checkAppid(appid)) != nil else {
                    throw KefuError.invalid("accounts", "\"\(appid.prefix(40))\" is not an appid (\"wx\" and 16 lower-case hex digits)")
                }
            }
        }
    }
}

extension ApiToken {
    /// A token's lifetime as `kefu tokens create --expires` and the API take it: a whole number
    /// of minutes, hours or days (`30m`, `12h`, `90d`), at most ten years; milliseconds.
    public static func lifetime(_ text: String, field: String = "expires") throws -> Int64 {
        let units: [Character: Int64] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0,
              count * unit <= 3650 * 86_400_000 else {
            throw KefuError.invalid(field, "must be a whole number of minutes, hours or days such as 30m, 12h or 90d (at most 3650d)")
        }
        return count * unit
    }
}

import KefuCore

/// A signed-in console user's session, kept in the store so every host of a deployment accepts
/// it. Only the SHA-256 of the cookie's value is stored.
public struct ConsoleSession: Sendable, Equatable {
    /// Hex SHA-256 of the session cookie's value.
    public var idHash: String
    /// The token every form of this session carries (CSRF).
    public var csrf: String
    /// Who signed in: `admin` (the admin token or a link), `local` (an open loopback console),
    /// or `token:<id>` (a named API token).
    public var principal: String
    public var createdAt: Int64
    public var expiresAt: Int64
    /// What the principal may do and see, found when the session is read (not stored: a
    /// token's role, scope and revocation apply at once).
    public var role: AccessRole = .admin
    public var accounts: Set<String>?

    public init(idHash: String, csrf: String, principal: String, createdAt: Int64, expiresAt: Int64) {
        self.idHash = idHash
        self.csrf = csrf
        self.principal = principal
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// One account's line on the console's overview.
public struct AccountSummary: Sendable, Equatable {
    public var openWindows: Int
    public var pushesLastHour: Int
    public var tasksRunning: Int
    public var rulesEnabled: Int
    public var pause: AccountPause?

    public init(openWindows: Int = 0, pushesLastHour: Int = 0, tasksRunning: Int = 0, rulesEnabled: Int = 0, pause: AccountPause? = nil) {
        self.openWindows = openWindows
        self.pushesLastHour = pushesLastHour
        self.tasksRunning = tasksRunning
        self.rulesEnabled = rulesEnabled
        self.pause = pause
    }
}

/// An account's last and next 48 hours, hour by hour, for the account page's charts.
public struct AccountActivity: Sendable, Equatable {
    /// Open windows closing in each of the next 48 hours (index 0: within the hour from now).
    public var closingPerHour: [Int]
    /// Pushes received in each of the last 48 hours (index 47: the hour up to now).
    public var pushesPerHour: [Int]

    public init(closingPerHour: [Int], pushesPerHour: [Int]) {
        self.closingPerHour = closingPerHour
        self.pushesPerHour = pushesPerHour
    }
}

/// What the operators' console reads and keeps beyond the admin API's roles: its sessions, a
/// page of accounts, and the overview's figures — aggregate queries over one page of accounts.
public protocol ConsoleStore: Sendable {
    func createConsoleSession(_ session: ConsoleSession) async throws
    /// The session, unless it expired.
    func consoleSession(idHash: String, now: Int64) async throws -> ConsoleSession?
    func deleteConsoleSession(idHash: String) async throws
    /// Keeps a one-time sign-in link (the SHA-256 of its code) until `expiresAt`.
    func createConsoleLink(codeHash: String, principal: String, now: Int64, expiresAt: Int64) async throws
    /// Uses up a link: its principal, once, unless it expired; nil otherwise (and ever after).
    func consumeConsoleLink(codeHash: String, now: Int64) async throws -> String?
    /// Accounts in appid order after `after`, at most `limit`.
    func accountPage(after: String?, limit: Int) async throws -> [Account]
    /// Open windows now, pushes in the hour before `now`, running tasks, enabled rules and the
    /// pause of each of `appids`.
    func accountSummaries(appids: [String], now: Int64) async throws -> [String: AccountSummary]
    /// The account page's charts: two aggregate queries, each a range of one index
    /// (`followers_window`, `interactions_account_received`), fine at a million followers.
    func accountActivity(appid: String, now: Int64) async throws -> AccountActivity
}

import KefuCore

/// Everything kefu keeps: accounts, the window ledger and the interaction log (and, with later
/// issues, tasks, rules and queues). Each backend — the embedded SQLite file and PostgreSQL —
/// implements it, and one behaviour suite runs against both.
///
/// Times are Unix milliseconds. Methods that compare against "now" take it as a parameter, so
/// callers inject the clock.
public protocol KefuStore: Sendable {
    /// Creates or upgrades the schema. Safe to call from several processes at once.
    func migrate() async throws
    /// Answers when the store can serve requests.
    func ping() async throws
    func close() async throws

    // MARK: Accounts
    /// Throws `KefuError(.conflict)` when the appid exists.
    func createAccount(_ account: Account) async throws
    func account(appid: String) async throws -> Account?
    func accounts() async throws -> [Account]
    /// Replaces the stored account; throws `.notFound` when it does not exist.
    func updateAccount(_ account: Account) async throws
    /// Removes the account; its ledger and log are purged later by the trimmer, in batches.
    func deleteAccount(appid: String) async throws -> Bool

    // MARK: Window ledger
    /// Appends interactions to the log and applies them to the ledger in one transaction.
    /// Returns, per input, whether it was new (false: a retry already recorded).
    func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool]
    /// Followers whose window is open at `now`, closing soonest first.
    func audience(appid: String, now: Int64, limit: Int, after: AudienceCursor?) async throws -> AudiencePage
    func follower(appid: String, openid: String, now: Int64, recent: Int) async throws -> FollowerLedger?

    // MARK: Trimming
    /// Deletes up to `limit` grants closed by `now` and clears closed windows; returns rows touched.
    func trimClosedWindows(now: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` log rows received before `before`; returns rows deleted.
    func trimInteractionLog(before: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` ledger and log rows of deleted accounts; returns rows deleted.
    func purgeDeletedAccounts(limit: Int) async throws -> Int
    /// Open windows per account at `now`.
    func openWindowCounts(now: Int64) async throws -> [String: Int]
}

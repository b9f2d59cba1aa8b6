import KefuCore

/// Reading accounts: the callback path, the sender, the admin API.
public protocol AccountReader: Sendable {
    func account(appid: String) async throws -> Account?
    func accounts() async throws -> [Account]
}

/// Adding, changing and removing accounts: the admin API.
public protocol AccountStore: AccountReader {
    /// Throws `KefuError(.conflict)` when the appid exists.
    func createAccount(_ account: Account) async throws
    /// Replaces the stored account; throws `.notFound` when it does not exist.
    func updateAccount(_ account: Account) async throws
    /// Removes the account; its ledger and log are purged later by the trimmer, in batches.
    func deleteAccount(appid: String) async throws -> Bool
}

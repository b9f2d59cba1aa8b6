import KefuCore

/// Recording interactions into the log and the window ledger: the group committer and the
/// bulk import.
public protocol LedgerWriter: Sendable {
    /// Appends interactions to the log and applies them to the ledger in one transaction.
    /// Returns, per input, whether it was new (false: a retry already recorded).
    func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool]
}

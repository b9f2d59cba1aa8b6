/// Keeping the ledger, the log and the per-recipient logs to what is still needed: the trimmer.
public protocol LedgerTrimming: Sendable {
    /// Deletes up to `limit` grants closed by `now` and clears closed windows; returns rows touched.
    func trimClosedWindows(now: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` log rows received before `before`; returns rows deleted.
    func trimInteractionLog(before: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` finished deliveries (sent, failed, skipped, cancelled) created before
    /// `before`: the per-recipient logs past retention. Returns rows deleted.
    func trimFinishedDeliveries(before: Int64, limit: Int) async throws -> Int
    /// Cancels up to `limit` deliveries still pending of cancelled tasks (what `cancelTask` left
    /// to do); returns how many.
    func cancelLeftovers(limit: Int) async throws -> Int
    /// Deletes up to `limit` ledger and log rows of deleted accounts; returns rows deleted.
    func purgeDeletedAccounts(limit: Int) async throws -> Int
    /// Open windows per account at `now`.
    func openWindowCounts(now: Int64) async throws -> [String: Int]
}

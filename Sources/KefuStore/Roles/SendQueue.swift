import KefuCore

/// The send queue as a sender sees it: claim due deliveries, record what became of them.
public protocol SendQueue: WorkWakeups {
    /// Milliseconds from `now` until a claim could return something: 0 when a delivery is
    /// claimable now, the wait for an account's send bucket or a retry's due time otherwise, nil
    /// when nothing is queued.
    func nextClaimDelay(now: Int64) async throws -> Int64?
    /// Claims up to `limit` due deliveries, earliest window close first, within each account's
    /// send rate and daily budget (shared by every process through the store), skipping paused
    /// accounts and tasks. Each is re-checked against the ledger: those without a usable grant
    /// are skipped with a reason; the others reserve one unit of their soonest-closing grant.
    func claimDeliveries(owner: String, now: Int64, limit: Int, leaseMillis: Int64) async throws -> [ClaimedDelivery]
    /// Marks claimed deliveries started: their calls go out next. Returns the ids that `owner`
    /// still holds on an unexpired lease, in the order given: a delivery whose lease was lost
    /// meanwhile (another worker took it over) must not be sent. One statement per group.
    ///
    /// After a crash only started deliveries may have reached WeChat: when a lease expires, the
    /// deliveries never started go back to the queue, and only started ones follow the
    /// unknown-outcome policy.
    func markStarted(_ ids: [Int64], owner: String, now: Int64) async throws -> [Int64]
    /// Records what became of claimed deliveries, and their effect on the ledger, in one
    /// transaction. A result for a delivery `owner` no longer holds (its lease expired and was
    /// recovered or taken over) changes nothing, unless it says the message was sent — the truth
    /// wins; the ids of those that changed nothing are returned, for the sender to log.
    @discardableResult
    func recordResults(_ results: [DeliveryResult], owner: String) async throws -> [Int64]
}

extension SendQueue {
    public func nextClaimDelay(now: Int64) async throws -> Int64? { nil }
}

import KefuCore

/// Everything kefu keeps — accounts, the window ledger and the interaction log, tasks, rules and
/// the queues — as the sum of the roles its components use. Each backend (the embedded SQLite
/// file and PostgreSQL) conforms to all of them, and one behaviour suite runs against both; each
/// component takes only the roles it uses (`Roles/`), so it can be tested against a small fake.
///
/// Times are Unix milliseconds. Methods that compare against "now" take it as a parameter, so
/// callers inject the clock.
public protocol KefuStore: StoreLifecycle, AccountStore, LedgerWriter, AudienceReader, LedgerTrimming, BroadcastStore,
    SchedulingStore, SendQueue, RuleStore, TriggerStore, TokenStore, AccountPauses, MediaStore, MediaUploads, ConsoleStore, AuditStore,
    SecretsMaintenance, ApiTokenStore, StoreTimeSource {}

/// Runs `body` while `store.run()` runs beside it, then closes the store however `body` ends.
/// For one-off commands and tests; servers run the store as a service instead.
public func withRunningStore<T>(
    _ store: any KefuStore, migrate: Bool = true, _ body: (any KefuStore) async throws -> T
) async throws -> T {
    do {
        let result = try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            if migrate { try await store.migrate() }
            return try await body(store)
        }
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

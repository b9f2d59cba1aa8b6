import KefuCore

/// Everything kefu keeps — accounts, the window ledger and the interaction log, tasks, rules and
/// the queues — as the sum of the roles its components use. Each backend (the embedded SQLite
/// file and PostgreSQL) conforms to all of them, and one behaviour suite runs against both; each
/// component takes only the roles it uses (`Roles/`), so it can be tested against a small fake.
///
/// Times are Unix milliseconds. Methods that compare against "now" take it as a parameter, so
/// callers inject the clock.
public protocol KefuStore: StoreLifecycle, AccountStore, LedgerWriter, AudienceReader, LedgerTrimming, BroadcastStore,
    SchedulingStore, SendQueue, RuleStore, TriggerStore, TokenStore, AccountPauses {}

/// Opening the schema, running, answering health checks, closing. The composition root and
/// `/healthz` use it.
public protocol StoreLifecycle: Sendable {
    /// Runs what the open store needs in the background — PostgreSQL's connection pool and its
    /// notification listener — until the calling task is cancelled or `close()` is called.
    /// Operations wait for it: the composition root runs it first in the service group
    /// (`StoreService`), a one-off command or a test beside its work (`withRunningStore`).
    func run() async throws
    /// Creates or upgrades the schema. Safe to call from several processes at once.
    func migrate() async throws
    /// Answers when the store can serve requests.
    func ping() async throws
    func close() async throws
}

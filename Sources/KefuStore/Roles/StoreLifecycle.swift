/// Opening the schema, answering health checks, closing. The composition root and
/// `/healthz` use it.
public protocol StoreLifecycle: Sendable {
    /// Creates or upgrades the schema. Safe to call from several processes at once.
    func migrate() async throws
    /// Answers when the store can serve requests.
    func ping() async throws
    func close() async throws
}

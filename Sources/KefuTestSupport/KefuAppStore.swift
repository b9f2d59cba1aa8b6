import KefuStoreFactory
import KefuStore
import Logging

/// Opens a store by URL for tests and the benchmark, running.
public enum KefuAppStore {
    /// The store's `run()` goes in a task of its own, which ends when the store is closed: the
    /// store is handed out beyond any one scope (the benchmark's phases keep it across steps;
    /// tests close and reopen stores), so it cannot run as a child of the caller. Where a scope
    /// is enough, `withRunningStore` (structured) is used instead.
    public static func open(_ url: String, acquireTimeout: Duration = StoreBackend.testAcquireTimeout) async throws -> any KefuStore {
        let store = try await StoreFactory.open(url, secrets: TestMasterKey.keyring, logger: Logger.test(), acquireTimeout: acquireTimeout)
        Task { try? await store.run() }
        return store
    }
}

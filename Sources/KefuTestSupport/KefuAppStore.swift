import KefuStoreFactory
import KefuStore
import Logging

/// Opens a store by URL for tests.
public enum KefuAppStore {
    public static func open(_ url: String) async throws -> any KefuStore {
        try await StoreFactory.open(url, logger: Logger.test(), acquireTimeout: StoreBackend.testAcquireTimeout)
    }
}

import KefuStoreFactory
import KefuCore
import KefuStore
import Logging

/// The store backends the behaviour suite runs against. Every store test is parameterised by
/// this, so a new backend joins the suite by adding a case.
public enum StoreBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    /// A fresh database in the suite's throwaway PostgreSQL cluster (`PostgresCluster.shared()`).
    case postgres

    public var description: String { rawValue }

    /// The `--database` URL of a fresh, empty store for one test.
    public func freshURL(in directory: TemporaryDirectory) async throws -> String {
        switch self {
        case .sqlite: "sqlite:\(directory.file("kefu.db"))"
        case .postgres: try await PostgresCluster.shared().createDatabase()
        }
    }

    /// How long the suites' PostgreSQL stores wait for a connection. Longer than the product's
    /// 3 s: with every suite running side by side on a loaded 2-core machine, a first connection
    /// has taken over 3 s in CI. The product's 3 s (callbacks answer 503 within WeChat's 5 s) is
    /// exercised by the real `kefu serve` processes of the deployment suites, and by tests that
    /// ask for it.
    public static let testAcquireTimeout: Duration = .seconds(15)

    /// Opens a fresh, migrated store, runs `body` while the store runs, closes it and removes its files.
    public func withStore<T>(acquireTimeout: Duration = StoreBackend.testAcquireTimeout,
                             _ body: (any KefuStore, TemporaryDirectory) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await StoreFactory.open(try await freshURL(in: directory), secrets: TestMasterKey.keyring, logger: Logger.test(),
                                                acquireTimeout: acquireTimeout)
        return try await withRunningStore(store) { store in try await body(store, directory) }
    }
}

/// A window policy with the shape of WeChat's, but a message grant of one hour, for tests.
public let testPolicy = try! WindowPolicy(grants: [
    .init(on: .message, sends: 5, seconds: 3600),
    .init(on: .subscribe, sends: 3, seconds: 60),
    .init(on: .scan, sends: 3, seconds: 60),
    .init(on: .click, sends: 3, seconds: 60),
])

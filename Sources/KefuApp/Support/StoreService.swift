import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// The store as the first service of a server's group, so it is stopped last: it runs what the
/// store needs in the background (PostgreSQL's pool and listener), applies the schema migrations
/// as part of the group's start, then opens `ready`. Everything that reads or writes the store
/// waits for `ready` first (`AfterStoreReady`; the HTTP server before it accepts a request). A
/// failed migration fails the group: the command stops with the error.
public struct StoreService: Service {
    public let store: any KefuStore
    public let ready = Latch()
    /// The store's clock (`StoreClock`): read before `ready` opens, then every 10 s. Every
    /// component of the group compares times against it.
    public let clock: StoreClock
    let logger: Logger

    public init(store: any KefuStore, logger: Logger = Logger(label: "kefu")) {
        self.store = store
        self.clock = StoreClock(source: store)
        self.logger = logger
    }

    public func run() async throws {
        let store = store, clock = clock, logger = logger
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                try await store.migrate()
                try await clock.sync()
                let offset = clock.localOffsetMillis
                if abs(offset) > 1_000 {
                    logger.warning("this host's clock is off from the store's; kefu follows the store's",
                                   metadata: ["kefu.clock.offset.ms": "\(offset)"])
                }
                group.addTask { await clock.keepInSync(logger: logger) }
                ready.open()
                // Until the group shuts down; first in the group, so told last, after every
                // service that uses the store has finished.
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } catch {
            ready.fail(error)
            throw error
        }
    }
}

/// A service that starts once the store is ready (migrated).
public struct AfterStoreReady: Service {
    let inner: any Service
    let ready: Latch

    public init(_ inner: any Service, ready: Latch) {
        self.inner = inner
        self.ready = ready
    }

    public func run() async throws {
        do {
            try await ready.waitOrThrow()
        } catch {
            // The store failed to start: the group stops on that service's error, not this one's.
            return
        }
        try await inner.run()
    }
}

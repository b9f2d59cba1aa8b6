import KefuCore
import KefuStore
import Logging
import Metrics
import ServiceLifecycle

/// The seed's "timed script that removes data outside the period", as a service: on every tick
/// it deletes closed grants, clears closed windows, drops interaction-log rows, finished
/// deliveries and audit entries past retention and purges the rows of deleted accounts — each in bounded batches, so no statement holds the write lock long.
public struct Trimmer: Service {
    public struct Configuration: Sendable {
        /// Time between passes.
        public var interval: Duration
        /// Rows per statement at most.
        public var batchSize: Int
        /// Batches per pass at most, per kind of row, so one pass never monopolises the store.
        public var maxBatchesPerPass: Int
        /// How long interaction log rows and finished deliveries are kept.
        public var logRetentionSeconds: Int64
        /// How long audit entries are kept.
        public var auditRetentionSeconds: Int64

        public init(interval: Duration = .seconds(30), batchSize: Int = 5_000, maxBatchesPerPass: Int = 100,
                    logRetentionSeconds: Int64 = 30 * 86_400, auditRetentionSeconds: Int64 = 365 * 86_400) {
            self.interval = interval
            self.batchSize = batchSize
            self.maxBatchesPerPass = maxBatchesPerPass
            self.logRetentionSeconds = logRetentionSeconds
            self.auditRetentionSeconds = auditRetentionSeconds
        }
    }

    public struct PassResult: Sendable, Equatable {
        public var windows = 0
        public var logRows = 0
        public var deliveries = 0
        /// Pending deliveries of cancelled tasks, cancelled.
        public var cancelled = 0
        public var purged = 0
        public var audit = 0
    }

    let store: any LedgerTrimming & AuditStore
    let clock: any WallClock
    let configuration: Configuration
    let logger: Logger
    let ledgerSize: @Sendable ([String: Int]) -> Void

    public init(store: any LedgerTrimming & AuditStore, clock: any WallClock, configuration: Configuration, logger: Logger,
                ledgerSize: @escaping @Sendable ([String: Int]) -> Void = { _ in }) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.ledgerSize = ledgerSize
    }

    public func run() async throws {
        let failures = StoreFailures("trimming the ledger")
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let result = try await pass()
                if result != PassResult() {
                    logger.debug("trimmed", metadata: [
                        "kefu.trim.windows": "\(result.windows)", "kefu.trim.log": "\(result.logRows)",
                        "kefu.trim.deliveries": "\(result.deliveries)", "kefu.trim.cancelled": "\(result.cancelled)",
                        "kefu.trim.purged": "\(result.purged)", "kefu.trim.audit": "\(result.audit)",
                    ])
                }
                ledgerSize(try await store.openWindowCounts(now: clock.nowMillis()))
                failures.succeeded(logger: logger)
            } catch {
                // A failure because the process is stopping is no failure to report; the pass is
                // tried again after the interval, and the log gets the first failure and doublings.
                if !Task.isCancelled { failures.failed(error, logger: logger) }
            }
            let interval = configuration.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass: every kind of row, batch after batch, until a batch comes back short.
    public func pass() async throws -> PassResult {
        var result = PassResult()
        let now = clock.nowMillis()
        result.windows = try await drain { try await store.trimClosedWindows(now: now, limit: $0) }
        result.logRows = try await drain {
            try await store.trimInteractionLog(before: now - configuration.logRetentionSeconds * 1000, limit: $0)
        }
        result.deliveries = try await drain {
            try await store.trimFinishedDeliveries(before: now - configuration.logRetentionSeconds * 1000, limit: $0)
        }
        result.cancelled = try await drain { try await store.cancelLeftovers(limit: $0) }
        result.purged = try await drain { try await store.purgeDeletedAccounts(limit: $0) }
        result.audit = try await drain { try await store.trimAuditLog(before: now - configuration.auditRetentionSeconds * 1000, limit: $0) }
        return result
    }

    private func drain(_ batch: (Int) async throws -> Int) async throws -> Int {
        var total = 0
        for _ in 0..<configuration.maxBatchesPerPass {
            let count = try await batch(configuration.batchSize)
            total += count
            if count < configuration.batchSize { break }
        }
        return total
    }
}

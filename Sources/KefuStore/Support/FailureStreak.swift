import Logging
import Synchronization

/// Failures of the store in a row — a full disk, a read-only or unreachable database — and what
/// to do about the next one: how long to wait before trying again (doubling from `base` up to
/// `cap`), and whether to log it (the first failure, then each time the count doubles). A store
/// that cannot write for an hour costs a worker a dozen log lines and a retry every few seconds,
/// not a busy loop and a flooded log; when it can write again, work resumes within `cap`.
public struct FailureStreak: Sendable, Equatable {
    public private(set) var count = 0
    public let base: Duration
    public let cap: Duration

    public init(base: Duration = .milliseconds(200), cap: Duration = .seconds(5)) {
        precondition(base > .zero && cap >= base, "the back-off must start above zero and end at or above its start")
        self.base = base
        self.cap = cap
    }

    /// One more failure: how long to wait, and whether this one is worth a log line.
    public mutating func failed() -> (wait: Duration, log: Bool) {
        count += 1
        let log = count & (count - 1) == 0
        // 2^(count-1) × base, computed without overflow: past the cap it stays at the cap.
        var wait = base
        for _ in 1..<min(count, 32) where wait < cap { wait *= 2 }
        return (min(wait, cap), log)
    }

    /// The store answered: the streak ends. Returns how many failures it had (0: none).
    public mutating func succeeded() -> Int {
        defer { count = 0 }
        return count
    }
}

/// A `FailureStreak` shared by the tasks of one component, with its log lines: `failed` logs the
/// first failure of a streak and then each doubling, and says how long the component waits;
/// `succeeded` logs once that the store answers again.
public final class StoreFailures: Sendable {
    private let streak: Mutex<FailureStreak>
    /// What fails, for the log ("claiming deliveries", "recording interactions").
    public let operation: String

    public init(_ operation: String, backoff: FailureStreak = FailureStreak()) {
        self.operation = operation
        streak = Mutex(backoff)
    }

    /// Counts a failure; returns how long to wait before the next try.
    @discardableResult
    public func failed(_ error: any Error, logger: Logger, metadata: Logger.Metadata = [:]) -> Duration {
        let (wait, log, count) = streak.withLock { streak in
            let (wait, log) = streak.failed()
            return (wait, log, streak.count)
        }
        if log {
            logger.warning("store failure: \(operation) failed; backing off", metadata: metadata.merging([
                "error": "\(String(reflecting: error))", "kefu.failures": "\(count)",
                "kefu.retry_in_ms": "\(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)",
            ]) { $1 })
        }
        return wait
    }

    /// The store answered; logs the end of a streak once.
    public func succeeded(logger: Logger) {
        let count = streak.withLock { $0.count == 0 ? 0 : $0.succeeded() }
        if count > 0 {
            logger.notice("store answers again: \(operation) works after \(count) failures in a row")
        }
    }

    public var failures: Int { streak.withLock { $0.count } }
}

import KefuCore
import Logging
import Synchronization

/// What time the store says it is (`StoreClock`): PostgreSQL's clock, shared by every host; on
/// SQLite, the one machine's clock.
public protocol StoreTimeSource: Sendable {
    func storeTimeMillis() async throws -> Int64
}

/// The store's clock, followed between readings by this process's monotonic clock: leases, due
/// times, task starts, token expiry and pauses are compared against it, so on PostgreSQL a host
/// whose own clock is off can neither take over another's live lease nor send early — every
/// host reads one clock. A reading is corrected by half its round trip; a jump of the local
/// wall clock between readings changes nothing (only elapsed monotonic time is added). Before
/// the first reading it is the local clock.
public final class StoreClock: WallClock {
    private struct Reading {
        var storeMillis: Int64
        var at: ContinuousClock.Instant
    }

    private let source: any StoreTimeSource
    private let reading = Mutex<Reading?>(nil)
    private let local: any WallClock

    public init(source: any StoreTimeSource, local: any WallClock = SystemWallClock()) {
        self.source = source
        self.local = local
    }

    public func nowMillis() -> Int64 {
        guard let reading = reading.withLock({ $0 }) else { return local.nowMillis() }
        let elapsed = ContinuousClock.now - reading.at
        return reading.storeMillis + elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// How far the local clock is from the store's, in milliseconds (positive: local is ahead).
    public var localOffsetMillis: Int64 { local.nowMillis() - nowMillis() }

    /// Reads the store's time once. A reading whose round trip took longer than `maxRoundTrip`
    /// is not used when there is an earlier one: its error is up to half the round trip (the
    /// query may have run at its start or its end), and a reading that waited seconds for a
    /// connection after PostgreSQL dropped its sessions made the clock jump by seconds — the
    /// committer then kept pushes waiting past WeChat's 5 s. Returns whether it was used.
    @discardableResult
    public func sync(maxRoundTrip: Duration = .milliseconds(250)) async throws -> Bool {
        let sent = ContinuousClock.now
        let storeMillis = try await source.storeTimeMillis()
        let received = ContinuousClock.now
        let roundTrip = received - sent, halfTrip = roundTrip / 2
        return reading.withLock {
            guard roundTrip <= maxRoundTrip || $0 == nil else { return false }
            $0 = Reading(storeMillis: storeMillis + halfTrip.components.seconds * 1000 + halfTrip.components.attoseconds / 1_000_000_000_000_000,
                         at: received)
            return true
        }
    }

    /// Reads the store's time every `interval` until cancelled; a failed reading keeps the last
    /// one (followed by the monotonic clock) and is logged.
    public func keepInSync(every interval: Duration = .seconds(10), logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                try await sync()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("reading the store's clock failed; following the last reading", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}

import Synchronization

/// Wall-clock time in milliseconds since the Unix epoch. Injected everywhere window arithmetic
/// happens, so tests can move time instead of sleeping.
public protocol WallClock: Sendable {
    func nowMillis() -> Int64
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Milliseconds of the monotonic clock (`CLOCK_MONOTONIC`: since an arbitrary point, never
/// jumping): for how long something has waited, where a wall clock's corrections would shift
/// the answer. Not a time of day.
public struct MonotonicMillis: WallClock {
    public init() {}
    public func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that only moves when told to.
public final class ManualWallClock: WallClock {
    private let now: Mutex<Int64>
    public init(_ start: Int64) { self.now = Mutex(start) }
    public func nowMillis() -> Int64 { now.withLock { $0 } }
    public func advance(seconds: Double) { now.withLock { $0 += Int64(seconds * 1000) } }
    public func set(_ millis: Int64) { now.withLock { $0 = millis } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

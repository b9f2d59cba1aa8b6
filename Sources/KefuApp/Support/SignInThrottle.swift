import Foundation
import Synchronization

/// Failed sign-ins by address: more than `limit` wrong tokens (API bearer, console sign-in, a
/// made-up sign-in link) from one address within `window` → every sign-in from that address is
/// answered `429` until `window` after the last counted failure. Guessing a token at 10 tries a
/// minute is hopeless; a typo never locks anyone out for long.
///
/// Memory is bounded: at most `capacity` addresses are tracked; past it, the entries whose
/// window has passed go first, then the oldest.
public final class SignInThrottle: Sendable {
    public struct Configuration: Sendable {
        public var limit: Int = 10
        public var windowMillis: Int64 = 60_000
        public var capacity: Int = 10_000
        public init() {}
    }

    struct Entry {
        var failures: Int
        var windowStart: Int64
        var blockedUntil: Int64?
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        /// Refused until then (milliseconds): answer 429 with Retry-After.
        case blocked(until: Int64)
    }

    let configuration: Configuration
    private let entries = Mutex<[String: Entry]>([:])

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Whether `address` may try to sign in at `now`.
    public func check(_ address: String, now: Int64) -> Verdict {
        entries.withLock { entries in
            guard let until = entries[address]?.blockedUntil else { return .allowed }
            if until > now { return .blocked(until: until) }
            entries[address] = nil
            return .allowed
        }
    }

    /// Counts a wrong token from `address`; `.blocked` when this failure crosses the limit.
    @discardableResult
    public func failed(_ address: String, now: Int64) -> Verdict {
        entries.withLock { entries in
            var entry = entries[address] ?? Entry(failures: 0, windowStart: now, blockedUntil: nil)
            if now - entry.windowStart >= configuration.windowMillis { entry = Entry(failures: 0, windowStart: now, blockedUntil: nil) }
            entry.failures += 1
            if entry.failures > configuration.limit { entry.blockedUntil = now + configuration.windowMillis }
            if entries[address] == nil, entries.count >= configuration.capacity { Self.evict(&entries, now: now, configuration: configuration) }
            entries[address] = entry
            return entry.blockedUntil.map { .blocked(until: $0) } ?? .allowed
        }
    }

    /// Addresses tracked now (for tests of the bound).
    public var tracked: Int { entries.withLock { $0.count } }

    private static func evict(_ entries: inout [String: Entry], now: Int64, configuration: Configuration) {
        entries = entries.filter { _, entry in
            (entry.blockedUntil ?? 0) > now || now - entry.windowStart < configuration.windowMillis
        }
        // Still full (a flood of addresses within one window): keep the newest half.
        guard entries.count >= configuration.capacity else { return }
        let keep = entries.sorted { $0.value.windowStart > $1.value.windowStart }.prefix(configuration.capacity / 2)
        entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}

import KefuCore
import Synchronization

/// Whether this process reaches WeChat, judged by its own calls: a call that could not be made
/// at all (`WeChatAPI.CallError.notSent`) counts against it, any answer from WeChat (whatever
/// its errcode) for it. Certainly-unsent deliveries stay pending and are retried after a back-off
/// as long as the failures have lasted (0.5 s up to 30 s); once WeChat has been unreachable for
/// `unreachableAfterMillis`, each account a failing call was for is paused with the reason
/// `WeChat unreachable: …` for a probe interval that doubles from 5 s up to 60 s — the next send
/// after the pause is the probe. The first answer ends it all.
///
/// A value-type state machine behind a `Mutex`, so its transitions are tested without I/O.
public final class WeChatReachability: Sendable {
    public struct Configuration: Sendable {
        /// How long calls must have failed before accounts are paused.
        public var unreachableAfterMillis: Int64
        public var retryMinMillis: Int64 = 500
        public var retryMaxMillis: Int64 = 30_000
        public var probeMinMillis: Int64 = 5_000
        public var probeMaxMillis: Int64 = 60_000

        public init(unreachableAfterMillis: Int64 = 60_000) {
            self.unreachableAfterMillis = unreachableAfterMillis
        }
    }

    /// What a state change was, for the one log line it gets.
    public enum Change: Equatable, Sendable {
        case startedFailing(error: String)
        case becameUnreachable(error: String, forMillis: Int64)
        case recovered(afterMillis: Int64)
    }

    /// What to do with a delivery whose call was never made.
    public struct Verdict: Equatable, Sendable {
        /// When to try the delivery again.
        public var retryAt: Int64
        /// Set once WeChat counts as unreachable: pause the delivery's account.
        public var pause: AccountPause?
        /// Set on the call that changed the state.
        public var change: Change?

        public init(retryAt: Int64, pause: AccountPause?, change: Change?) {
            self.retryAt = retryAt
            self.pause = pause
            self.change = change
        }
    }

    public struct State: Equatable, Sendable {
        /// When the current run of failures began; nil while WeChat answers.
        var failingSince: Int64?
        var unreachable = false
        /// Probes that failed since WeChat became unreachable (sets the next probe interval).
        var failedProbes = 0
        /// The start of the latest probe interval, so concurrent failures of one probe round
        /// count once.
        var probeRoundAt: Int64 = 0

        public static let reachable = State()

        mutating func failed(error: String, now: Int64, _ configuration: Configuration) -> Verdict {
            var change: Change?
            let since: Int64
            if let failingSince {
                since = failingSince
            } else {
                since = now
                failingSince = now
                change = .startedFailing(error: error)
            }
            let elapsed = now - since
            guard elapsed >= configuration.unreachableAfterMillis else {
                let delay = min(max(elapsed, configuration.retryMinMillis), configuration.retryMaxMillis)
                return Verdict(retryAt: now + delay, pause: nil, change: change)
            }
            if !unreachable {
                unreachable = true
                failedProbes = 0
                probeRoundAt = now
                change = .becameUnreachable(error: error, forMillis: elapsed)
            } else if now - probeRoundAt >= probeInterval(configuration) {
                // A new probe round failed: wait longer before the next.
                failedProbes += 1
                probeRoundAt = now
            }
            let until = probeRoundAt + probeInterval(configuration)
            return Verdict(retryAt: until, pause: AccountPause(until: until, reason: "WeChat unreachable: \(error)"), change: change)
        }

        func probeInterval(_ configuration: Configuration) -> Int64 {
            min(configuration.probeMinMillis << min(failedProbes, 16), configuration.probeMaxMillis)
        }

        mutating func answered(now: Int64) -> Change? {
            guard let failingSince else { return nil }
            self = .reachable
            return .recovered(afterMillis: now - failingSince)
        }
    }

    public let configuration: Configuration
    private let state = Mutex(State.reachable)

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// A call could not be made (nothing was written).
    public func failed(error: String, now: Int64) -> Verdict {
        state.withLock { $0.failed(error: error, now: now, configuration) }
    }

    /// WeChat answered a call.
    public func answered(now: Int64) -> Change? {
        state.withLock { $0.answered(now: now) }
    }

    public var isUnreachable: Bool { state.withLock { $0.unreachable } }
}

extension AccountPause {
    /// The reason prefix of pauses the sender sets while WeChat cannot be reached; lifted as soon
    /// as WeChat answers again.
    public static let unreachablePrefix = "WeChat unreachable: "
}

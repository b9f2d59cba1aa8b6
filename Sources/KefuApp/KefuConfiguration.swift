import KefuCore
import KefuWorkers

/// Everything `kefu serve` and `kefu worker` read from the command line and environment,
/// already validated. Built by the executable from swift-configuration; tests build it directly.
public struct KefuConfiguration: Sendable {
    /// `sqlite:PATH` (the default, `sqlite:kefu.db`) or `postgres://…`.
    public var database: String = "sqlite:kefu.db"
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port: Int = 8080
    /// Bearer token of the admin API (and the console's sign-in). Required unless listening on loopback.
    public var adminToken: String?
    /// Mark the console's cookies `Secure`: kefu is reached over HTTPS (behind a proxy).
    public var consoleSecureCookies: Bool = false
    /// The public base URL WeChat reaches kefu at (`https://kefu.example.cn`), for the callback
    /// URLs the console shows; nil: the address the browser used.
    public var publicURL: String?
    public var windowPolicy: WindowPolicy = .wechatDefault
    /// Largest callback body accepted, in bytes (413 above it).
    public var callbackBodyLimit: Int = 64 * 1024
    /// WeChat's limits on media per type: what an upload to the media library may be.
    public var mediaLimits: MediaLimits = .wechat
    /// A library file's WeChat media id older than this is uploaded again before it is used
    /// (WeChat deletes temporary media after 3 days; default 2.5 days).
    public var mediaMaxAgeMillis: Int64 = 216_000_000
    /// Largest admin API request body, in bytes (media uploads: the largest media limit).
    public var apiBodyLimit: Int = 4 * 1024 * 1024
    /// In-process worker sets in `serve` (0: HTTP only).
    public var workers: Int = 1
    /// WeChat API base URL (the simulator's, in tests and demos).
    public var wechatAPI: String = "https://api.weixin.qq.com"
    public var trimmer: Trimmer.Configuration = .init()
    /// Interactions per group-commit transaction at most.
    public var maxCommitBatch: Int = 512
    /// Pushes waiting for a transaction at most, and how long the oldest may have waited, before
    /// new ones are answered 503 at once (`GroupCommitter`: a store that falls behind).
    public var maxPendingPushes: Int = 8 * 512
    public var maxPushWaitMillis: Int64 = 2_000
    /// How long a push waits for its commit at most before it is answered 503
    /// (`GroupCommitter.Configuration.answerWithinMillis`; WeChat gives 5 s).
    public var answerPushWithinMillis: Int64 = 4_000
    /// Deliveries started and not yet recorded at once, per sender (calls to WeChat in flight
    /// and results being written): the most a crash can leave "outcome unknown".
    public var sendConcurrency: Int = 128
    /// What to do with a send that may have reached WeChat before its worker died.
    public var unknownOutcome: UnknownOutcomePolicy = .skip
    /// How long a worker's claim on a delivery lasts; a dead worker's claims expire after it.
    public var leaseMillis: Int64 = 60_000
    /// How long WeChat must have been unreachable (no connection could be made) before the
    /// accounts are paused with the reason `WeChat unreachable: …` and probed with back-off.
    public var wechatUnreachableAfterMillis: Int64 = 60_000
    /// How often the scheduler looks for due tasks and expired leases.
    public var schedulerInterval: Duration = .milliseconds(200)

    public init() {}

    /// True when `host` only accepts connections from this machine.
    public var listensOnLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public func validate() throws {
        guard (0...65535).contains(port) else { throw KefuError(.badConfiguration, "--port: must be between 0 and 65535") }
        guard workers >= 0 && workers <= 64 else { throw KefuError(.badConfiguration, "--workers: must be between 0 and 64") }
        guard (1...1024).contains(sendConcurrency) else { throw KefuError(.badConfiguration, "--send-concurrency: must be between 1 and 1024") }
        guard callbackBodyLimit >= 1024 else { throw KefuError(.badConfiguration, "callback body limit: must be at least 1024 bytes") }
        if adminToken == nil && !listensOnLoopback {
            throw KefuError(.badConfiguration, "KEFU_ADMIN_TOKEN must be set to listen on \(host): the admin API would be open to the network")
        }
        if let token = adminToken, token.utf8.count < 16 {
            throw KefuError(.badConfiguration, "KEFU_ADMIN_TOKEN: must be at least 16 characters")
        }
        try windowPolicy.validate()
    }
}

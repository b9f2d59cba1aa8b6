import KefuCore

/// The state of the simulated WeChat platform: accounts, access tokens, each account's window
/// ledger and daily quota, the messages accepted, and injected faults.
public actor SimulatedWeChat {
    public struct Configuration: Sendable {
        public var policy: WindowPolicy
        /// Access token lifetime (WeChat: 7200 s).
        public var tokenLifetimeSeconds: Int64
        /// How long a superseded `/cgi-bin/token` token keeps working (WeChat: 5 minutes).
        public var tokenOverlapSeconds: Int64
        /// `stable_token` force refreshes: at most this many a day, this far apart.
        public var forceRefreshPerDay: Int
        public var forceRefreshSpacingSeconds: Int64
        /// How long an uploaded temporary media id is valid (WeChat: 3 days).
        public var mediaLifetimeSeconds: Int64

        public init(policy: WindowPolicy = .wechatDefault, tokenLifetimeSeconds: Int64 = 7200, tokenOverlapSeconds: Int64 = 300,
                    forceRefreshPerDay: Int = 20, forceRefreshSpacingSeconds: Int64 = 30, mediaLifetimeSeconds: Int64 = 3 * 86_400) {
            self.policy = policy
            self.mediaLifetimeSeconds = mediaLifetimeSeconds
            self.tokenLifetimeSeconds = tokenLifetimeSeconds
            self.tokenOverlapSeconds = tokenOverlapSeconds
            self.forceRefreshPerDay = forceRefreshPerDay
            self.forceRefreshSpacingSeconds = forceRefreshSpacingSeconds
        }
    }

    /// WeChat's JSON answer: `{"errcode", "errmsg"}` plus fields on success.
    public struct Answer: Sendable, Equatable {
        public var errcode: Int
        public var errmsg: String
        public var accessToken: String?
        public var expiresIn: Int64?
        /// A media upload's `{"type", "media_id", "created_at"}`.
        public var mediaType: String?
        public var mediaId: String?
        public var createdAt: Int64?
    }

    struct IssuedToken {
        var appid: String
        var expiresAt: Int64
        /// When a newer token replaced it; it keeps working for the overlap, then is invalid (40001).
        var supersededAt: Int64?
    }
    struct Usage { var day: Int64 = 0; var sends = 0; var forceRefreshes: [Int64] = [] }

    public let configuration: Configuration
    let clock: any WallClock
    private(set) var accounts: [String: SimulatedAccount] = [:]
    private var tokens: [String: IssuedToken] = [:]
    private var stableToken: [String: String] = [:]
    private var ledgers: [String: SimulatedLedger] = [:]
    private var usage: [String: Usage] = [:]
    private var tokenRequests: [String: Int] = [:]
    private(set) var messages: [ReceivedMessage] = []
    /// Every follower action pushed, in order (for tests and for explaining a run).
    private(set) var pushes: [PushedAction] = []
    private var eventIdentities = Set<String>()
    public private(set) var faults = Faults()
    private var nextMsgId: Int64 = 24_000_000_000_000_000
    /// Temporary media by id, and every upload accepted (for tests).
    var issuedMedia: [String: IssuedMedia] = [:]
    private var uploads: [MediaUpload] = []

    func recordUpload(_ upload: MediaUpload) { uploads.append(upload) }
    func uploads(matching appid: String?) -> [MediaUpload] { uploads.filter { appid == nil || $0.appid == appid } }
    var random = SplitMix64(seed: 0x6b656675)

    public init(configuration: Configuration = .init(), clock: any WallClock = SystemWallClock()) {
        self.configuration = configuration
        self.clock = clock
    }

    // MARK: Accounts and followers

    public func addAccount(_ account: SimulatedAccount) {
        accounts[account.appid] = account
        if ledgers[account.appid] == nil { ledgers[account.appid] = SimulatedLedger(policy: configuration.policy) }
    }

    public func account(_ appid: String) -> SimulatedAccount? { accounts[appid] }

    /// Applies a follower action WeChat is about to push; returns its CreateTime and, for
    /// messages, a fresh MsgId.
    /// Returns nil when an event with the same (follower, second, Event, EventKey) was already
    /// pushed: WeChat's retry identity, so a second one would be indistinguishable from a retry.
    /// The caller waits for the next second, as a real follower's next tap would land later.
    func recordAction(appid: String, openid: String, kind: InteractionKind, action: FollowerActionKind? = nil,
                      eventIdentity: String? = nil) -> (createTime: Int64, msgId: Int64, index: Int)? {
        let createTime = clock.nowMillis() / 1000
        if let eventIdentity {
            guard eventIdentities.insert("\(appid):\(openid):\(createTime):\(eventIdentity)").inserted else { return nil }
        }
        pushes.append(PushedAction(appid: appid, openid: openid, action: action?.rawValue ?? kind.rawValue, createTime: createTime))
        let index = pushes.count - 1
        ledgers[appid, default: SimulatedLedger(policy: configuration.policy)].apply(openid: openid, kind: kind, at: createTime * 1000)
        nextMsgId += 1
        return (createTime, nextMsgId, index)
    }

    /// Followers who interacted before the simulation began (e.g. a benchmark's million): their
    /// actions are applied to the simulator's ledger at `now` without being pushed or logged.
    public func seedFollowers(appid: String, prefix: String, count: Int, kind: InteractionKind) {
        let at = clock.nowMillis() / 1000 * 1000
        var ledger = ledgers[appid] ?? SimulatedLedger(policy: configuration.policy)
        for index in 0..<count { ledger.apply(openid: "\(prefix)\(index)", kind: kind, at: at) }
        ledgers[appid] = ledger
    }

    /// Followers whose window is open now by the simulator's own rules, closing soonest first.
    func audience(appid: String) -> [SimulatedLedger.OpenWindow] {
        ledgers[appid]?.audience(now: clock.nowMillis()) ?? []
    }

    public func openWindows(appid: String) -> [(openid: String, closesAt: Int64, remaining: Int?)] {
        audience(appid: appid).map { ($0.openid, $0.windowClosesAt, $0.remaining) }
    }

    // MARK: Faults and records

    public func setFaults(_ faults: Faults) { self.faults = faults }

    /// Records kefu's final answer to a push (0: no answer).
    func recordAnswer(index: Int, status: Int, msgId: Int64?) {
        guard pushes.indices.contains(index) else { return }
        pushes[index].status = status
        pushes[index].msgId = msgId
    }

    public func pushed(appid: String? = nil, openid: String? = nil) -> [PushedAction] {
        pushes.filter { (appid == nil || $0.appid == appid) && (openid == nil || $0.openid == openid) }
    }

    public func received(appid: String? = nil, openid: String? = nil) -> [ReceivedMessage] {
        messages.filter { (appid == nil || $0.appid == appid) && (openid == nil || $0.openid == openid) }
    }

    /// Token requests per appid (`/cgi-bin/token` and `stable_token` together).
    public func tokenRequestCount(appid: String) -> Int { tokenRequests[appid] ?? 0 }

    // MARK: Tokens

    public func token(appid: String?, secret: String?, grantType: String?) -> Answer {
        guard grantType == "client_credential" else { return Answer(errcode: 40002, errmsg: "invalid grant_type") }
        guard let appid, let account = accounts[appid] else { return Answer(errcode: 40013, errmsg: "invalid appid") }
        guard secret == account.secret else { return Answer(errcode: 40125, errmsg: "invalid appsecret") }
        tokenRequests[appid, default: 0] += 1
        let now = clock.nowMillis()
        // A new token supersedes the previous ones, which keep working for the overlap.
        for (value, issued) in tokens where issued.appid == appid && issued.supersededAt == nil {
            tokens[value]?.supersededAt = now
        }
        return issue(appid: appid, now: now)
    }

    public func stableToken(appid: String?, secret: String?, grantType: String?, forceRefresh: Bool) -> Answer {
        guard grantType == "client_credential" else { return Answer(errcode: 40002, errmsg: "invalid grant_type") }
        guard let appid, let account = accounts[appid] else { return Answer(errcode: 40013, errmsg: "invalid appid") }
        guard secret == account.secret else { return Answer(errcode: 40125, errmsg: "invalid appsecret") }
        tokenRequests[appid, default: 0] += 1
        let now = clock.nowMillis()
        if !forceRefresh, let current = stableToken[appid], let issued = tokens[current], issued.expiresAt > now, issued.supersededAt == nil {
            return Answer(errcode: 0, errmsg: "ok", accessToken: current, expiresIn: (issued.expiresAt - now) / 1000)
        }
        if forceRefresh {
            var use = usage[appid] ?? Usage()
            use.forceRefreshes = use.forceRefreshes.filter { $0 > now - 86_400_000 }
            if let last = use.forceRefreshes.last, now - last < configuration.forceRefreshSpacingSeconds * 1000 {
                return Answer(errcode: 45011, errmsg: "api minute-quota reach limit")
            }
            guard use.forceRefreshes.count < configuration.forceRefreshPerDay else {
                return Answer(errcode: 45009, errmsg: "reach max api daily quota limit")
            }
            use.forceRefreshes.append(now)
            usage[appid] = use
            // A forced refresh invalidates the previous stable token at once (no overlap).
            if let current = stableToken[appid] { tokens[current]?.supersededAt = now - configuration.tokenOverlapSeconds * 1000 }
        }
        let answer = issue(appid: appid, now: now)
        stableToken[appid] = answer.accessToken
        return answer
    }

    private func issue(appid: String, now: Int64) -> Answer {
        var value = ""
        while value.count < 64 { value += String(random.next(), radix: 36) }
        let token = String(value.prefix(64))
        tokens[token] = IssuedToken(appid: appid, expiresAt: now + configuration.tokenLifetimeSeconds * 1000, supersededAt: nil)
        return Answer(errcode: 0, errmsg: "ok", accessToken: token, expiresIn: configuration.tokenLifetimeSeconds)
    }

    // MARK: Customer-service send

    /// The account an access token belongs to, or WeChat's refusal (41001, 40001, 42001, and
    /// the injected faults: forced 40001, -1 at the busy rate).
    func caller(_ accessToken: String?, now: Int64) -> Result<String, Answer> {
        guard let accessToken, !accessToken.isEmpty else { return .failure(Answer(errcode: 41001, errmsg: "access_token missing")) }
        if faults.force40001 > 0 {
            faults.force40001 -= 1
            return .failure(Answer(errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest"))
        }
        guard let issued = tokens[accessToken] else {
            return .failure(Answer(errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest"))
        }
        if let superseded = issued.supersededAt, now >= superseded + configuration.tokenOverlapSeconds * 1000 {
            return .failure(Answer(errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest"))
        }
        guard issued.expiresAt > now else { return .failure(Answer(errcode: 42001, errmsg: "access_token expired")) }
        if faults.busyRate > 0, Double(random.next() % 1_000_000) / 1_000_000 < faults.busyRate {
            return .failure(Answer(errcode: -1, errmsg: "system error"))
        }
        return .success(issued.appid)
    }

    /// `POST /cgi-bin/message/custom/send`: every rule of WECHAT.md §2, in WeChat's order.
    public func customSend(accessToken: String?, body: [UInt8]) -> Answer {
        let now = clock.nowMillis()
        let appid: String
        switch caller(accessToken, now: now) {
        case .failure(let refusal): return refusal
        case .success(let value): appid = value
        }
        let checked: CustomMessageRules.Checked
        switch CustomMessageRules.check(body) {
        case .failure(let refusal): return Answer(errcode: refusal.errcode, errmsg: refusal.errmsg)
        case .success(let value): checked = value
        }
        // The media it names must be the account's: a live upload or permanent material.
        for mediaId in checked.mediaIds where !mediaUsable(mediaId, appid: appid, now: now) {
            return Answer(errcode: 40007, errmsg: "invalid media_id")
        }
        if let agent = checked.kfAccount {
            let agents = accounts[appid]?.agents ?? []
            guard !agents.isEmpty else { return Answer(errcode: 65400, errmsg: "API unavailable: customer-service agents are not enabled") }
            guard agents.contains(agent) else { return Answer(errcode: 65401, errmsg: "invalid kf_account") }
        }
        var use = usage[appid] ?? Usage()
        let day = (now + 8 * 3_600_000) / 86_400_000  // WeChat's day is China time
        if use.day != day { use = Usage(day: day, sends: 0, forceRefreshes: use.forceRefreshes) }
        guard use.sends < (accounts[appid]?.dailyQuota ?? 500_000) else {
            usage[appid] = use
            return Answer(errcode: 45009, errmsg: "reach max api daily quota limit")
        }
        switch ledgers[appid, default: SimulatedLedger(policy: configuration.policy)].send(to: checked.touser, now: now) {
        case .refused(let code, let message):
            usage[appid] = use
            return Answer(errcode: code, errmsg: message)
        case .allowed:
            use.sends += 1
            usage[appid] = use
            messages.append(ReceivedMessage(appid: appid, openid: checked.touser, msgtype: checked.msgtype,
                                            body: String(decoding: body, as: UTF8.self), receivedAt: now))
            return Answer(errcode: 0, errmsg: "ok")
        }
    }
}

/// A small deterministic generator (SplitMix64), so simulated runs are reproducible by seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One follower action the simulator pushed.
public struct PushedAction: Sendable, Codable, Equatable {
    public var appid: String
    public var openid: String
    public var action: String
    public var createTime: Int64
    /// kefu's final HTTP status (after WeChat-style retries); nil while in flight, 0 for no answer.
    public var status: Int?
    /// The MsgId of message pushes.
    public var msgId: Int64?

    enum CodingKeys: String, CodingKey { case appid, openid, action, status, createTime = "create_time", msgId = "msg_id" }
}

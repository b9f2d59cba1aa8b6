/// How an account's callbacks are sent: WeChat's three modes.
public enum CallbackMode: String, Sendable, Codable {
    /// 明文: the message XML as is.
    case plain
    /// 兼容: the message fields and `<Encrypt>`.
    case compatible
    /// 安全: only `<ToUserName>` and `<Encrypt>`.
    case safe
}

/// An Official Account as the simulator holds it.
public struct SimulatedAccount: Sendable, Codable, Equatable {
    public var appid: String
    public var secret: String
    public var token: String
    public var encodingAESKey: String?
    public var mode: CallbackMode
    public var originalId: String
    /// Where this account's pushes go (a kefu `/wechat/{appid}` URL); several, comma-separated,
    /// stand for a load balancer: pushes are spread over them and a retry goes to the next.
    public var callbackURL: String?
    /// Customer-service sends per day (WeChat's default is 500,000).
    public var dailyQuota: Int
    /// The agent accounts (客服账号, `name@account`) a message may be sent as.
    public var agents: [String]
    /// Permanent material the account uploaded elsewhere: media ids that never expire.
    public var materials: [String]

    public init(appid: String, secret: String, token: String, encodingAESKey: String? = nil, mode: CallbackMode = .plain,
                originalId: String = "gh_0123456789ab", callbackURL: String? = nil, dailyQuota: Int = 500_000,
                agents: [String] = [], materials: [String] = []) {
        self.appid = appid
        self.secret = secret
        self.token = token
        self.encodingAESKey = encodingAESKey
        self.mode = mode
        self.originalId = originalId
        self.callbackURL = callbackURL
        self.dailyQuota = dailyQuota
        self.agents = agents
        self.materials = materials
    }

    enum CodingKeys: String, CodingKey {
        case appid, secret, token, mode
        case encodingAESKey = "encoding_aes_key", originalId = "original_id", callbackURL = "callback_url", dailyQuota = "daily_quota"
        case agents, materials
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        appid = try container.decode(String.self, forKey: .appid)
        secret = try container.decode(String.self, forKey: .secret)
        token = try container.decode(String.self, forKey: .token)
        encodingAESKey = try container.decodeIfPresent(String.self, forKey: .encodingAESKey)
        mode = try container.decodeIfPresent(CallbackMode.self, forKey: .mode) ?? .plain
        originalId = try container.decodeIfPresent(String.self, forKey: .originalId) ?? "gh_0123456789ab"
        callbackURL = try container.decodeIfPresent(String.self, forKey: .callbackURL)
        dailyQuota = try container.decodeIfPresent(Int.self, forKey: .dailyQuota) ?? 500_000
        agents = try container.decodeIfPresent([String].self, forKey: .agents) ?? []
        materials = try container.decodeIfPresent([String].self, forKey: .materials) ?? []
    }
}

/// A customer-service message the simulator accepted (errcode 0).
public struct ReceivedMessage: Sendable, Codable, Equatable {
    public var appid: String
    public var openid: String
    public var msgtype: String
    /// The request body exactly as kefu sent it.
    public var body: String
    /// Milliseconds since the Unix epoch.
    public var receivedAt: Int64

    enum CodingKeys: String, CodingKey { case appid, openid, msgtype, body, receivedAt = "received_at" }
}

/// Injected faults, to test kefu's error policy.
public struct Faults: Sendable, Codable, Equatable {
    /// Share of sends answered -1 (system busy), 0…1.
    public var busyRate: Double = 0
    /// The next N sends are answered 40001 (token invalid), whatever the token.
    public var force40001: Int = 0
    /// Added to every API answer, in milliseconds.
    public var latencyMillis: Int = 0

    public init(busyRate: Double = 0, force40001: Int = 0, latencyMillis: Int = 0) {
        self.busyRate = busyRate
        self.force40001 = force40001
        self.latencyMillis = latencyMillis
    }

    enum CodingKeys: String, CodingKey { case busyRate = "busy_rate", force40001 = "force_40001", latencyMillis = "latency_ms" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        busyRate = try container.decodeIfPresent(Double.self, forKey: .busyRate) ?? 0
        force40001 = try container.decodeIfPresent(Int.self, forKey: .force40001) ?? 0
        latencyMillis = try container.decodeIfPresent(Int.self, forKey: .latencyMillis) ?? 0
    }
}

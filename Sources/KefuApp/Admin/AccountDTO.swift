import KefuCore

/// `POST /api/v1/accounts` body.
struct CreateAccountRequest: Decodable {
    var appid: String
    var appSecret: String
    var token: String
    var encodingAESKey: String?
    var originalId: String?
    var name: String?
    var sendRate: Int?
    var dailyBudget: Int?
    var reserve: Int?

    enum CodingKeys: String, CodingKey {
        case appid, token, name, reserve
        case appSecret = "app_secret", encodingAESKey = "encoding_aes_key", originalId = "original_id"
        case sendRate = "send_rate", dailyBudget = "daily_budget"
    }
}

/// `PATCH /api/v1/accounts/{appid}` body: every field optional. A new `encoding_aes_key` keeps
/// the current one as the previous key, so pushes encrypted with either are accepted during
/// WeChat's key rotation.
struct UpdateAccountRequest: Decodable {
    /// Only to refuse it: an account's appid cannot be changed (422), never silently ignored.
    var appid: String?
    var appSecret: String?
    var token: String?
    var encodingAESKey: String?
    var originalId: String?
    var name: String?
    var sendRate: Int?
    var dailyBudget: Int?
    var reserve: Int?

    enum CodingKeys: String, CodingKey {
        case appid, token, name, reserve
        case appSecret = "app_secret", encodingAESKey = "encoding_aes_key", originalId = "original_id"
        case sendRate = "send_rate", dailyBudget = "daily_budget"
    }
}

/// An account as the API shows it: never a secret.
struct AccountResponse: Encodable {
    var appid: String
    var name: String?
    var originalId: String?
    /// "plain" or "aes": whether an EncodingAESKey is configured.
    var encryption: String
    var sendRate: Int
    var dailyBudget: Int
    var reserve: Int
    var createdAt: String
    var updatedAt: String
    /// Set while WeChat's answers keep the account from sending (45009, 45011, 48001, bad secret).
    var pausedUntil: String?
    var pauseReason: String?

    enum CodingKeys: String, CodingKey {
        case appid, name, encryption, reserve
        case originalId = "original_id", sendRate = "send_rate", dailyBudget = "daily_budget"
        case createdAt = "created_at", updatedAt = "updated_at", pausedUntil = "paused_until", pauseReason = "pause_reason"
    }

    init(_ account: Account, pause: AccountPause? = nil) {
        pausedUntil = pause.map { RFC3339.format(millis: $0.until) }
        pauseReason = pause?.reason
        appid = account.appid
        name = account.name
        originalId = account.originalId
        encryption = account.encodingAESKey == nil ? "plain" : "aes"
        sendRate = account.sendRate
        dailyBudget = account.dailyBudget
        reserve = account.reserve
        createdAt = RFC3339.format(millis: account.createdAt)
        updatedAt = RFC3339.format(millis: account.updatedAt)
    }
}

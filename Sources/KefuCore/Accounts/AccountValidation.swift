/// Field rules for accounts, checked before anything is stored. Each failure names the field.
public enum AccountValidation {
    /// `wx` followed by 16 lower-case hex digits, as WeChat issues them.
    public static func checkAppid(_ appid: String) throws {
        let hex = appid.utf8.dropFirst(2)
        guard appid.utf8.count == 18, appid.hasPrefix("wx"),
              hex.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { throw KefuError.invalid("appid", "must be \"wx\" followed by 16 lower-case hex digits") }
    }

    /// WeChat's AppSecret is 32 hex characters; accept 16–64 visible ASCII to allow other issuers.
    public static func checkAppSecret(_ secret: String) throws {
        guard (16...64).contains(secret.utf8.count), secret.utf8.allSatisfy({ $0 > 32 && $0 < 127 })
        else { throw KefuError.invalid("app_secret", "must be 16 to 64 visible ASCII characters") }
    }

    /// WeChat's callback Token: 3–32 letters and digits.
    public static func checkToken(_ token: String) throws {
        guard (3...32).contains(token.utf8.count), token.utf8.allSatisfy(isAlphanumeric)
        else { throw KefuError.invalid("token", "must be 3 to 32 letters and digits") }
    }

    /// EncodingAESKey: exactly 43 characters of letters and digits (base64 without the final `=`).
    public static func checkEncodingAESKey(_ key: String, field: String = "encoding_aes_key") throws {
        guard key.utf8.count == 43, key.utf8.allSatisfy(isAlphanumeric)
        else { throw KefuError.invalid(field, "must be exactly 43 letters and digits") }
    }

    public static func checkOriginalId(_ id: String) throws {
        guard id.hasPrefix("gh_"), (4...64).contains(id.utf8.count),
              id.utf8.allSatisfy({ isAlphanumeric($0) || $0 == 95 })
        else { throw KefuError.invalid("original_id", "must look like gh_ followed by letters and digits") }
    }

    public static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 100
        else { throw KefuError.invalid("name", "must be 1 to 100 characters") }
    }

    public static func checkSendRate(_ rate: Int) throws {
        guard (1...10_000).contains(rate)
        else { throw KefuError.invalid("send_rate", "must be between 1 and 10000 messages per second") }
    }

    public static func checkDailyBudget(_ budget: Int) throws {
        guard (1...100_000_000).contains(budget)
        else { throw KefuError.invalid("daily_budget", "must be between 1 and 100000000") }
    }

    public static func checkReserve(_ reserve: Int) throws {
        guard (0...100).contains(reserve)
        else { throw KefuError.invalid("reserve", "must be between 0 and 100") }
    }

    /// Checks every field of a complete account.
    public static func check(_ account: Account) throws {
        try checkAppid(account.appid)
        try checkAppSecret(account.appSecret)
        try checkToken(account.token)
        if let key = account.encodingAESKey { try checkEncodingAESKey(key) }
        if let key = account.previousEncodingAESKey { try checkEncodingAESKey(key, field: "previous_encoding_aes_key") }
        if let id = account.originalId { try checkOriginalId(id) }
        if let name = account.name { try checkName(name) }
        try checkSendRate(account.sendRate)
        try checkDailyBudget(account.dailyBudget)
        try checkReserve(account.reserve)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}

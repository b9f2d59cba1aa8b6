import KefuCore
import WeChatSimulator

/// Accounts used across the tests: the same credentials on the kefu side and the simulator side.
public enum TestAccounts {
    /// The account of WeChat's documented worked example (token AAAAA, key 43 × "A").
    public static let docExample = Account(
        appid: "wxba5fad812f8e6fb9", appSecret: "0123456789abcdef0123456789abcdef", token: "AAAAA",
        encodingAESKey: String(repeating: "A", count: 43), originalId: "gh_97417a04a28d", name: "doc example")

    public static func plain(_ n: Int = 1) -> Account {
        Account(appid: appid(n), appSecret: "secret0123456789secret0123456789", token: "kefutoken\(n)",
                originalId: "gh_00000000000\(n % 10)", name: "plain \(n)")
    }

    public static func aes(_ n: Int = 2) -> Account {
        Account(appid: appid(n), appSecret: "secret0123456789secret0123456789", token: "kefutoken\(n)",
                encodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", originalId: "gh_00000000000\(n % 10)", name: "aes \(n)")
    }

    public static func appid(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return "wx" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The simulator's view of the same account.
    public static func simulated(_ account: Account, mode: CallbackMode, callbackURL: String?) -> SimulatedAccount {
        SimulatedAccount(appid: account.appid, secret: account.appSecret, token: account.token,
                         encodingAESKey: account.encodingAESKey, mode: mode, originalId: account.originalId ?? "gh_000000000000",
                         callbackURL: callbackURL)
    }
}

import Foundation

/// The message of a task or rule as a request gives it: `message` (WeChat's JSON, media named
/// by WeChat id or by kefu's library) and, beside it, `kf_account` — the agent it is sent as.
/// The library files it names are checked by the store, in the transaction that stores it
/// (`checkMediaReferences`), so a file deleted at the same moment cannot slip through.
public enum MessageInput {
    /// The message `body` sets, starting from `current` (a rule being changed); nil when the
    /// body sets none.
    public static func read(_ body: JSONFields, current: CustomMessage? = nil) throws -> CustomMessage? {
        var message = try body.raw("message").map { try CustomMessage(object: $0) } ?? current
        if body.object["kf_account"] is NSNull {
            message?.kfAccount = nil
        } else if let agent = try body.string("kf_account") {
            guard message != nil else { throw KefuError.invalid("message", "is required") }
            let agent = try CustomMessage.checkKfAccount(agent, field: "kf_account")
            if let named = message?.kfAccount, named != agent, body.has("message") {
                throw KefuError.invalid("kf_account", "differs from message.customservice.kf_account; give one of them")
            }
            message?.kfAccount = agent
        }
        return message
    }
}

import KefuCore

/// WeChat's error codes (WECHAT.md §2) turned into what happens to a delivery, the ledger and
/// the account. Pure: unit-tested on its own.
public enum SendPolicy {
    public struct Decision: Equatable, Sendable {
        public var outcome: DeliveryResult.Outcome
        public var ledgerEffect: DeliveryResult.LedgerEffect?
        /// Stop the account's sending until then, with this reason.
        public var pauseAccount: AccountPause?
    }

    /// Attempts at most for -1 (system busy) before the delivery fails.
    public static let maxBusyAttempts = 5

    /// The access token was refused (invalid, superseded, expired): refresh it and retry once.
    public static func tokenRejected(_ errcode: Int) -> Bool {
        [40001, 40014, 42001].contains(errcode)
    }

    /// `stable_token` refused the account's credentials (bad AppSecret 40125/40001-like codes,
    /// bad appid 40013, IP not whitelisted 40164, secret missing 41004): sending cannot work
    /// until the operator fixes the account.
    public static func credentialsRefused(_ errcode: Int) -> Bool {
        [40125, 40013, 40164, 41004].contains(errcode)
    }

    /// How long an account stays stopped when only the operator can fix it (a year: until its
    /// `app_secret` is changed, which lifts the pause).
    static let untilFixed: Int64 = 365 * 86_400_000

    /// The pause when `stable_token` refused the credentials.
    public static func credentialsPause(errcode: Int, now: Int64) -> AccountPause {
        AccountPause(until: now + untilFixed, reason: "WeChat refused the account's credentials (\(errcode)): fix app_secret")
    }

    /// The pause when a freshly refreshed token is refused too.
    public static func tokenPause(errcode: Int, now: Int64) -> AccountPause {
        AccountPause(until: now + untilFixed, reason: "access token rejected after a refresh (\(errcode)): check app_secret")
    }

    public static func decide(errcode: Int, attempts: Int, now: Int64) -> Decision {
        switch errcode {
        case 0:
            return Decision(outcome: .sent)
        case -1:
            if attempts + 1 >= maxBusyAttempts {
                return Decision(outcome: .failed(reason: DeliveryReason.systemBusy, errcode: -1))
            }
            let backoff = Int64(500) << min(attempts, 6)  // 0.5 s, 1 s, 2 s, …
            return Decision(outcome: .retry(dueAt: now + backoff, errcode: -1, countsAsAttempt: true))
        case 45015:
            return Decision(outcome: .skipped(reason: DeliveryReason.windowClosed, errcode: 45015), ledgerEffect: .closeWindow)
        case 45047:
            return Decision(outcome: .skipped(reason: DeliveryReason.quotaUsed, errcode: 45047), ledgerEffect: .zeroRemaining)
        case 43004:
            return Decision(outcome: .skipped(reason: DeliveryReason.unsubscribed, errcode: 43004), ledgerEffect: .unsubscribe)
        case 40003:
            return Decision(outcome: .skipped(reason: DeliveryReason.invalidOpenid, errcode: 40003))
        case 43019, 48002:
            return Decision(outcome: .skipped(reason: DeliveryReason.blocked, errcode: errcode))
        case 45009:
            let tomorrow = QuotaDay.nextStart(after: now)
            return Decision(outcome: .retry(dueAt: tomorrow, errcode: 45009, countsAsAttempt: false),
                            pauseAccount: AccountPause(until: tomorrow, reason: "daily quota exhausted (45009)"))
        case 45011:
            let nextMinute = (now / 60_000 + 1) * 60_000
            return Decision(outcome: .retry(dueAt: nextMinute, errcode: 45011, countsAsAttempt: false),
                            pauseAccount: AccountPause(until: nextMinute, reason: "per-minute quota reached (45011)"))
        case 48001, 48004:
            let stop = now + untilFixed
            return Decision(outcome: .retry(dueAt: now, errcode: errcode, countsAsAttempt: false),
                            pauseAccount: AccountPause(until: stop, reason: "API not authorised or banned for this account (\(errcode))"))
        case 45008, 45002, 44004, 40007, 40008, 47001, 45162:
            return Decision(outcome: .failed(reason: DeliveryReason.badPayload, errcode: errcode))
        default:
            return Decision(outcome: .failed(reason: "WeChat errcode \(errcode)", errcode: errcode))
        }
    }
}

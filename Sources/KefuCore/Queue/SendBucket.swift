/// An account's send bucket, shared by every process claiming from one store: it fills at
/// `send_rate` tokens a second up to one second's worth, and a claim takes a token per delivery.
///
/// The rate holds over any window longer than a second. The bucket holds a whole second because
/// claims come at the pace of the claim cycle (a few statements, then the send), not of the rate:
/// a bucket of a tenth of a second lost every token past it whenever a cycle took longer than
/// 100 ms — a loaded machine, or a database 30 ms away — and an account set to 100 a second sent
/// 31. A cycle up to a second long now loses nothing; the cost is a burst of up to one second's
/// sends after a pause.
public enum SendBucket {
    /// The most a bucket holds: one second of sending, at least one token.
    public static func capacity(rate: Int) -> Double { Double(max(rate, 1)) }

    /// The tokens at `now` of a bucket that held `held` at `refilledAt`, up to its capacity. Time
    /// before `refilledAt` (processes' clocks arrive out of order) credits nothing.
    public static func tokens(held: Double, refilledAt: Int64, now: Int64, rate: Int) -> Double {
        min(capacity(rate: rate), held + Double(max(now - refilledAt, 0)) * Double(max(rate, 1)) / 1000)
    }

    /// Milliseconds until a bucket holding `tokens` has one whole token; 0 when it has one now.
    public static func millisUntilToken(_ tokens: Double, rate: Int) -> Int64 {
        tokens >= 1 ? 0 : Int64(((1 - tokens) * 1000 / Double(max(rate, 1))).rounded(.up))
    }
}

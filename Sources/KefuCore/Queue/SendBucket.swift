/// An account's send bucket, shared by every process claiming from one store: it fills at
/// `send_rate` tokens a second up to a tenth of a second's worth, and a claim takes a token per
/// delivery. The rate holds over any window longer than that.
///
/// A cap this small loses the tokens past it when a claim cycle takes longer than 100 ms (a
/// loaded machine; 31 a second for an account set to 100 was seen, 43.5 for 50 in CI). A
/// one-second bucket was tried and taken back after multi-worker broadcasts on PostgreSQL
/// stalled in CI; the stall came back without it, and its cause was the send loop claiming a
/// fixed 512 it could not start within half a lease. Claims are now sized by the loop's pace
/// (`SendPipeline.ahead`), so a bigger bucket can be tried again, with a test under load that
/// it neither stalls multi-worker broadcasts nor bursts past the rate.
public enum SendBucket {
    /// The most a bucket holds: a tenth of a second of sending, at least one token.
    public static func capacity(rate: Int) -> Double { max(1, Double(max(rate, 1)) / 10) }

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

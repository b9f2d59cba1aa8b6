import Testing

/// Every suite of real `kefu` processes nests in one of two chains. Within a chain they run one
/// at a time; the two chains run side by side, so that a suite that mostly waits on the clock
/// (delays, leases, a partition, a minute of soak) overlaps one that keeps the cores busy.
/// The suites whose assertions involve time under load (every push answered within 5 s while
/// overloaded or while the store cannot write) and the benchmark are in the first chain.
@Suite("End to end (real processes)", .serialized)
enum EndToEnd {}

/// The second chain: suites that spend most of their time waiting on time or on another program
/// (schemathesis, Chromium), whose assertions are about what happened, not how fast.
@Suite("End to end, waiting on time (real processes)", .serialized)
enum EndToEndWaiting {}

extension EndToEndWaiting {
    /// The broadcast suite's accounts, messages and helpers, which the second chain's suites share.
    typealias BroadcastProcessTests = EndToEnd.BroadcastProcessTests
}

extension EndToEnd {
    /// The delayed suite's rule and push helpers, which the media suite uses.
    typealias DelayedProcessTests = EndToEndWaiting.DelayedProcessTests
    /// The secrets suite's `kefu` runner, which the tokens command's suite uses. (The secrets
    /// suite runs in the second chain to even the two chains' lengths.)
    typealias SecretsProcessTests = EndToEndWaiting.SecretsProcessTests
}

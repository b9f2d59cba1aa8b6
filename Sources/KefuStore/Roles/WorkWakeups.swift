/// How idle workers learn that work arrived: polling on the embedded store, LISTEN/NOTIFY on
/// PostgreSQL.
public protocol WorkWakeups: Sendable {
    /// True when `waitForWork` is woken by changes made in other processes (PostgreSQL's
    /// LISTEN/NOTIFY); idle workers then only poll as a fallback. False: workers poll.
    var wakesAcrossProcesses: Bool { get }
    /// Returns when `topic` is signalled or after `timeout`.
    func waitForWork(_ topic: WorkTopic, timeout: Duration) async
}

extension WorkWakeups {
    public var wakesAcrossProcesses: Bool { false }
    public func waitForWork(_ topic: WorkTopic, timeout: Duration) async {
        try? await Task.sleep(for: timeout)
    }
}

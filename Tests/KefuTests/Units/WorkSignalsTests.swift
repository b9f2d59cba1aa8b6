import KefuStore
import KefuTestSupport
import Synchronization
import Testing

@Suite("Work signals")
struct WorkSignalsTests {
    final class Flag: Sendable {
        let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    @Test("a signal wakes a waiter on its topic, long before the timeout; other topics stay asleep")
    func wakes() async throws {
        let signals = WorkSignals()
        let woken = Flag(), other = Flag()
        let waiter = Task { await signals.wait(.deliveries, timeout: .seconds(600)); woken.set() }
        let bystander = Task { await signals.wait(.schedule, timeout: .seconds(600)); other.set() }
        try await eventually("the signal to reach the waiter", timeout: .seconds(30)) {
            signals.signal(.deliveries)
            return woken.isSet
        }
        #expect(!other.isSet)
        bystander.cancel()
        await bystander.value
        await waiter.value
    }

    @Test("a signal with nobody waiting is kept for the next wait")
    func remembered() async throws {
        let signals = WorkSignals()
        signals.signal(.interactions)
        let first = Flag()
        let waiter = Task { await signals.wait(.interactions, timeout: .seconds(600)); first.set() }
        try await eventually("the remembered signal to wake the next wait", timeout: .seconds(30)) { first.isSet }
        await waiter.value
    }

    @Test("a wait ends at its timeout, and at once when its task is cancelled")
    func timeoutAndCancel() async throws {
        let signals = WorkSignals()
        await signals.wait(.schedule, timeout: .milliseconds(10))
        let ended = Flag()
        let waiter = Task { await signals.wait(.schedule, timeout: .seconds(600)); ended.set() }
        waiter.cancel()
        try await eventually("the cancelled wait to end", timeout: .seconds(30)) { ended.isSet }
        await signals.wait(.schedule, timeout: .milliseconds(10))
    }
}

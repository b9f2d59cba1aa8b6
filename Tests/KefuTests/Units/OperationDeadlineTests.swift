import KefuCore
import KefuTestSupport
import Synchronization
import Testing
@testable import KefuPostgres

/// The two deadlines every PostgreSQL operation runs under, against a fake resource: no timing
/// assertions — each test's operation either finishes at once or never does on its own.
@Suite("Operation deadline")
struct OperationDeadlineTests {
    /// A stand-in for a pooled connection: counts aborts, and holds an operation "in flight"
    /// until aborted or released, ignoring cancellation (as a query on a dropped connection did).
    final class FakeConnection: Sendable {
        let aborts = Atomic<Int>(0)
        let released = Latch()
        func abort() { aborts.add(1, ordering: .relaxed); released.open() }
        func hangUntilAborted() async {
            await withTaskCancellationHandler { await released.wait() } onCancel: {}
        }
    }

    struct NoConnection: Error {}
    struct TimedOut: Error {}
    struct Refused: Error {}

    static let generous = OperationDeadline(acquireTimeout: .seconds(60), operationTimeout: .seconds(120))
    static let short = OperationDeadline(acquireTimeout: .milliseconds(50), operationTimeout: .milliseconds(200))

    @Test("an operation that finishes answers with its value, and nothing is aborted")
    func finishes() async throws {
        let connection = FakeConnection()
        let value = try await Self.generous.run(
            noResource: { NoConnection() }, timedOut: { TimedOut() }, abort: { (c: FakeConnection) in c.abort() },
            operation: { lease in
                #expect(lease.started(connection))
                defer { lease.finished() }
                return 42
            })
        #expect(value == 42)
        #expect(connection.aborts.load(ordering: .relaxed) == 0)
    }

    @Test("an operation's own error reaches the caller")
    func operationError() async throws {
        await #expect(throws: Refused.self) {
            try await Self.generous.run(
                noResource: { NoConnection() }, timedOut: { TimedOut() }, abort: { (c: FakeConnection) in c.abort() },
                operation: { lease -> Int in
                    #expect(lease.started(FakeConnection()))
                    defer { lease.finished() }
                    throw Refused()
                })
        }
    }

    @Test("no connection within the acquire timeout: the caller fails with why, and a lease that comes later is not used")
    func noConnection() async throws {
        let arrived = Latch(), lateLease = Mutex<Bool?>(nil)
        await #expect(throws: NoConnection.self) {
            try await Self.short.run(
                noResource: { NoConnection() }, timedOut: { TimedOut() }, abort: { (c: FakeConnection) in c.abort() },
                operation: { lease -> Int in
                    // The pool gives a connection only once the caller has given up.
                    await withTaskCancellationHandler { await arrived.wait() } onCancel: { arrived.open() }
                    lateLease.withLock { $0 = lease.started(FakeConnection()) }
                    throw CancellationError()
                })
        }
        try await eventually("the late lease to be offered") { lateLease.withLock { $0 } != nil }
        #expect(lateLease.withLock { $0 } == false, "a lease after the caller gave up was used")
    }

    @Test("an operation past its deadline has its connection aborted and its caller failed, even if it never returns")
    func overrun() async throws {
        let connection = FakeConnection(), returned = Latch()
        let neverAnswers = FakeConnection()
        await #expect(throws: TimedOut.self) {
            try await Self.short.run(
                noResource: { NoConnection() }, timedOut: { TimedOut() },
                abort: { (c: FakeConnection) in c.aborts.add(1, ordering: .relaxed) },
                operation: { lease -> Int in
                    #expect(lease.started(connection))
                    defer { lease.finished(); returned.open() }
                    // Aborting this connection does not end the operation: only the test does.
                    await neverAnswers.hangUntilAborted()
                    return 1
                })
        }
        #expect(connection.aborts.load(ordering: .relaxed) == 1)
        #expect(!returned.isOpen, "the caller waited for the operation")
        neverAnswers.abort()
        try await eventually("the operation to end once released") { returned.isOpen }
    }
}

@Suite("Latch")
struct LatchTests {
    @Test("waiters return when it opens; later waits return at once")
    func opens() async throws {
        let latch = Latch(), woken = OperationDeadlineTests.FakeConnection()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { await latch.wait(); woken.aborts.add(1, ordering: .relaxed) } }
            latch.open()
            try await group.waitForAll()
        }
        #expect(woken.aborts.load(ordering: .relaxed) == 3)
        await latch.wait()
        try await latch.waitOrThrow()
    }

    @Test("a cancelled waiter returns without it opening; waitOrThrow then throws CancellationError")
    func cancelled() async throws {
        let latch = Latch()
        let waiter = Task { try await latch.waitOrThrow() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(!latch.isOpen)
    }

    @Test("a failed latch gives its error to waitOrThrow")
    func failed() async throws {
        struct MigrationFailed: Error {}
        let latch = Latch()
        latch.fail(MigrationFailed())
        await #expect(throws: MigrationFailed.self) { try await latch.waitOrThrow() }
    }
}

import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import Testing

/// The group committer against an in-memory ledger writer.
@Suite("Group committer")
struct GroupCommitterTests {
    static func interaction(_ n: Int, key: String? = nil) -> Interaction {
        Interaction(appid: "wx0000000000000001", openid: "o\(n)", kind: .message, detail: "text", at: 1_000, dedupeKey: key ?? "m\(n)")
    }

    static func committer(_ writer: MemoryLedgerWriter, maxBatch: Int = 512) -> GroupCommitter {
        GroupCommitter(store: writer, policy: testPolicy, clock: ManualWallClock(1_000), waits: ManualWallClock(1_000), configuration: .init(maxBatch: maxBatch),
                       logger: .test())
    }

    @Test("what arrives while a transaction runs goes into the next one, up to maxBatch; each caller answered after its commit")
    func batching() async throws {
        let writer = MemoryLedgerWriter(), committer = Self.committer(writer, maxBatch: 20)
        writer.hold()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await committer.run(); return true }
            group.addTask { try await committer.record(Self.interaction(0)) }
            try await eventually("the first batch to be running") { writer.heldCount == 1 }
            for n in 1...50 { group.addTask { try await committer.record(Self.interaction(n)) } }
            try await eventually("50 to wait for the next transaction") { committer.pendingCount == 50 }
            #expect(writer.batches.isEmpty, "nobody answered before a commit")
            writer.release()
            try await eventually("every batch committed") { writer.batches.flatMap { $0 }.count == 51 }
            committer.close()
            var fresh = 0
            for try await answer in group where answer { fresh += 1 }
            #expect(fresh == 52, "51 new interactions and run() returning")
        }
        #expect(writer.batches.map(\.count) == [1, 20, 20, 10])
    }

    @Test("a store that falls behind: past maxPending waiting, or once a batch's worth waits and the oldest has waited maxWait (injected clock), new interactions are refused at once and recorded nowhere; the admitted all commit, and it takes new ones again once it caught up")
    func overload() async throws {
        let writer = MemoryLedgerWriter(), clock = ManualWallClock(1_000)
        let committer = GroupCommitter(store: writer, policy: testPolicy, clock: clock, waits: clock,
                                       configuration: .init(maxBatch: 10, maxPending: 20, maxWaitMillis: 2_000), logger: .test())
        writer.hold()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await committer.run(); return false }
            group.addTask { try await committer.record(Self.interaction(0)) }
            try await eventually("the first batch to be running") { writer.heldCount == 1 }
            for n in 1...20 { group.addTask { try await committer.record(Self.interaction(n)) } }
            try await eventually("20 waiting") { committer.pendingCount == 20 }
            await #expect(throws: GroupCommitter.Overloaded.self, "the queue is full") { try await committer.record(Self.interaction(900)) }
            #expect(committer.pendingCount == 20)

            // Under the count, but a transaction's worth waiting and the oldest waited past maxWait.
            writer.release()
            try await eventually("the queue drained") { writer.batches.flatMap { $0 }.count == 21 }
            writer.hold()
            group.addTask { try await committer.record(Self.interaction(21)) }
            try await eventually("a batch running again") { writer.heldCount == 1 }
            for n in 22...25 { group.addTask { try await committer.record(Self.interaction(n)) } }
            try await eventually("four waiting") { committer.pendingCount == 4 }
            clock.advance(seconds: 2.1)
            group.addTask { try await committer.record(Self.interaction(26)) }
            try await eventually("a slow commit with less than a batch waiting is not overload") { committer.pendingCount == 5 }
            for n in 27...31 { group.addTask { try await committer.record(Self.interaction(n)) } }
            try await eventually("a batch's worth waiting") { committer.pendingCount == 10 }
            await #expect(throws: GroupCommitter.Overloaded.self, "the oldest waited 2.1 s with 10 waiting") {
                try await committer.record(Self.interaction(901))
            }
            writer.release()
            try await eventually("caught up") { writer.batches.flatMap { $0 }.count == 32 }
            #expect(try await committer.record(Self.interaction(32)), "taken again once caught up")
            committer.close()
            var fresh = 0
            for try await answer in group where answer { fresh += 1 }
            #expect(fresh == 32)
        }
        let recorded = writer.batches.flatMap { $0 }.map(\.openid)
        #expect(recorded.count == 33 && !recorded.contains("o900") && !recorded.contains("o901"))
    }

    @Test("a failed transaction fails exactly its callers; the next one commits")
    func errors() async throws {
        let writer = MemoryLedgerWriter(), committer = Self.committer(writer)
        writer.fail(next: 1)
        async let running: Void = committer.run()
        await #expect(throws: KefuError.self) { try await committer.record(Self.interaction(1)) }
        #expect(try await committer.record(Self.interaction(2)))
        #expect(try await committer.record(Self.interaction(2)) == false, "a retry of the same push is not new")
        committer.close()
        await running
        #expect(writer.batches.map { $0.map(\.openid) } == [["o2"], ["o2"]])
    }

    @Test("shutdown drains: what was accepted is written before run() returns, and later records are refused")
    func drain() async throws {
        let writer = MemoryLedgerWriter(), committer = Self.committer(writer)
        writer.hold()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await committer.run(); return false }
            for n in 0..<10 { group.addTask { try await committer.record(Self.interaction(n)) } }
            try await eventually("all accepted") { writer.heldCount == 1 && writer.heldInteractions + committer.pendingCount == 10 }
            committer.close()
            await #expect(throws: GroupCommitter.Closed.self) { try await committer.record(Self.interaction(99)) }
            writer.release()
            var answered = 0
            for try await fresh in group where fresh { answered += 1 }
            #expect(answered == 10)
        }
        #expect(writer.batches.flatMap { $0 }.count == 10)
    }

    @Test("a caller cancelled while waiting: its interaction is still committed once (it was accepted)")
    func cancellation() async throws {
        let writer = MemoryLedgerWriter(), committer = Self.committer(writer)
        writer.hold()
        async let running: Void = committer.run()
        let caller = Task { try await committer.record(Self.interaction(7)) }
        try await eventually("the batch to be running") { writer.heldCount == 1 }
        caller.cancel()
        writer.release()
        #expect(try await caller.value)
        committer.close()
        await running
        #expect(writer.batches.flatMap { $0 }.map(\.openid) == ["o7"])
    }

    @Test("nobody waits past answerWithinMillis (injected clock): a transaction that does not come back answers its callers Unanswered, the queued are refused and written nowhere, and the late outcome is dropped")
    func answerWithin() async throws {
        let writer = MemoryLedgerWriter(), clock = ManualWallClock(1_000)
        let committer = GroupCommitter(store: writer, policy: testPolicy, clock: clock, waits: clock,
                                       configuration: .init(maxBatch: 4, answerWithinMillis: 4_000, sweepInterval: .seconds(3_600)),
                                       logger: .test())
        writer.hold()
        enum Answer: Equatable { case fresh, refused, unanswered, other }
        try await withThrowingTaskGroup(of: Answer?.self) { group in
            group.addTask { await committer.run(); return nil }
            func call(_ n: Int) {
                group.addTask {
                    do { return try await committer.record(Self.interaction(n)) ? .fresh : .other }
                    catch is GroupCommitter.Overloaded { return .refused }
                    catch is GroupCommitter.Unanswered { return .unanswered }
                }
            }
            for n in 0..<2 { call(n) }
            try await eventually("the first transaction to hang") { writer.heldCount == 1 }
            clock.set(2_000)
            for n in 2..<5 { call(n) }
            try await eventually("three queued behind it") { committer.pendingCount == 3 }
            clock.set(4_999)
            #expect(committer.sweep() == (0, 0), "nobody has waited 4 s yet")
            clock.set(5_000)
            #expect(committer.sweep() == (0, 2), "the hung transaction's callers")
            clock.set(6_000)
            #expect(committer.sweep() == (3, 0), "the queued, which waited 4 s too")
            #expect(committer.pendingCount == 0)
            writer.release()
            try await eventually("the late transaction to end") { writer.batches.count == 1 }
            #expect(try await committer.record(Self.interaction(9)), "it goes on taking pushes")
            committer.close()
            var answers: [Answer] = []
            for try await answer in group { if let answer { answers.append(answer) } }
            #expect(answers.sorted { "\($0)" < "\($1)" } == [.refused, .refused, .refused, .unanswered, .unanswered])
        }
        #expect(writer.batches.map { $0.map(\.openid) } == [["o0", "o1"], ["o9"]], "the refused written nowhere")
    }
}

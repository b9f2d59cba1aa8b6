import Foundation
import KefuCore
import KefuStore
import KefuTestSupport
import Synchronization
import Testing

/// The store's clock (#20 item 1): what every comparison of times reads.
@Suite("Store clock")
struct StoreClockTests {
    final class Source: StoreTimeSource {
        let time = Mutex<Int64>(0)
        let failing = Mutex(false)
        let delay = Mutex(Duration.zero)
        func storeTimeMillis() async throws -> Int64 {
            if failing.withLock({ $0 }) { throw KefuError(.unavailable, "the store is away (test)") }
            let time = time.withLock { $0 }
            try await Task.sleep(for: delay.withLock { $0 })  // a slow answer (simulated network), not a wait for a condition
            return time
        }
    }

    @Test("it follows the store's time, not the local clock: a local clock 120 s ahead, or one that jumps, changes nothing; a failed reading keeps the last one")
    func follows() async throws {
        let source = Source(), local = ManualWallClock(1_120_000)
        source.time.withLock { $0 = 1_000_000 }
        let clock = StoreClock(source: source, local: local)
        #expect(clock.nowMillis() == 1_120_000, "before its first reading: the local clock")
        try await clock.sync()
        // Within a second: what elapsed on the monotonic clock since the reading (microseconds here).
        #expect((1_000_000..<1_001_000).contains(clock.nowMillis()))
        #expect((119_000...120_000).contains(clock.localOffsetMillis), "the offset a host logs at start")
        local.set(9_999_999_000)
        #expect((1_000_000..<1_001_000).contains(clock.nowMillis()), "a jump of the local wall clock changes nothing")
        source.time.withLock { $0 = 2_000_000 }
        try await clock.sync()
        #expect((2_000_000..<2_001_000).contains(clock.nowMillis()))
        source.failing.withLock { $0 = true }
        await #expect(throws: KefuError.self) { try await clock.sync() }
        #expect((2_000_000..<2_001_000).contains(clock.nowMillis()), "the last reading, followed")
    }

    @Test("a reading with a slow round trip is not used once there is a better one: the clock does not jump by half of it")
    func slowReading() async throws {
        let source = Source()
        source.time.withLock { $0 = 1_000_000 }
        source.delay.withLock { $0 = .milliseconds(300) }
        let clock = StoreClock(source: source, local: ManualWallClock(5_000_000))
        #expect(try await clock.sync(), "the first reading is used whatever its round trip")
        #expect((1_000_000..<1_002_000).contains(clock.nowMillis()))
        source.time.withLock { $0 = 3_000_000 }
        #expect(try await clock.sync() == false, "a 300 ms round trip is past the 250 ms allowed")
        #expect(clock.nowMillis() < 1_010_000, "the earlier reading, followed")
        source.delay.withLock { $0 = .zero }
        #expect(try await clock.sync())
        #expect((3_000_000..<3_001_000).contains(clock.nowMillis()))
    }

    @Test("on both stores the store's time is this machine's within a second (one machine here), and readings move forward",
          arguments: StoreBackend.allCases)
    func stores(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let clock = StoreClock(source: store)
            try await clock.sync()
            #expect(abs(clock.localOffsetMillis) < 1_000)
            let first = clock.nowMillis()
            try await clock.sync()
            #expect(clock.nowMillis() >= first - 5, "readings do not go back beyond the round-trip correction")
        }
    }
}

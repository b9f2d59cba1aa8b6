import AsyncHTTPClient
import Foundation
import KefuCore
import KefuTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// A small tmpfs the test mounts (root only), for a store that fills up.
enum SmallDisk {
    /// Whether this machine lets the test mount a tmpfs (root, or a namespace allowing it).
    static let available: Bool = {
        guard let directory = try? TemporaryDirectory(prefix: "kefu-mount-probe") else { return false }
        defer { directory.remove() }
        guard (try? Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "kefu-probe", directory.path])) != nil else { return false }
        _ = try? Command.run("/bin/umount", [directory.path])
        return true
    }()

    /// Mounts a tmpfs of `megabytes` at `path`.
    static func mount(_ path: String, megabytes: Int) throws {
        try Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "kefu-small-disk", path])
    }

    static func unmount(_ path: String) {
        _ = try? Command.run("/bin/umount", ["-l", path])
    }

    /// Fills the file system holding `path` with a ballast file until the kernel refuses a
    /// byte more (ENOSPC); returns the bytes written.
    @discardableResult
    static func fill(_ path: String) throws -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TimedOut(description: "cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var total = 0
        for size in [1 << 20, 1 << 12, 1] {
            let chunk = [UInt8](repeating: 0x5a, count: size)
            while true {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
                if written <= 0 { break }
                total += written
            }
        }
        guard errno == ENOSPC else { throw TimedOut(description: "filling \(path) stopped with errno \(errno), not ENOSPC") }
        return total
    }
}

extension EndToEnd {
/// A store that cannot write (#20 item 4): the SQLite file on a small disk that fills up
/// mid-broadcast, and a PostgreSQL database that turns read-only (as a standby is after a
/// failover). Pushes are answered 503 (WeChat retries) and nothing answered `success` is lost;
/// workers back off; everything resumes by itself when the store can write again.
@Suite("A store that cannot write", .serialized)
struct StoreFullProcessTests {
    /// Pushes from `connections` connections, each a new follower's text message to `account`,
    /// until `stop` is set; what each was answered.
    final class Pushes: Sendable {
        struct Tally {
            var acknowledged: Set<String> = []
            var refused: Set<String> = []
            var other: [String] = []
            var slowest: Duration = .zero
            /// Answers that took over 3 s: when they were sent, how long, what.
            var slow: [String] = []
        }
        let tally = Mutex(Tally())
        let counter = Mutex(0)
        let stop = Mutex(false)

        var acknowledged: Int { tally.withLock { $0.acknowledged.count } }
        var refused: Int { tally.withLock { $0.refused.count } }

        func run(_ account: Account, server: String, connections: Int) async throws {
            // One connection per pusher: a request must not wait in the client's pool (whose
            // default is 8 per host), or that wait would count as kefu's.
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
                connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
            let url = "\(server)/wechat/\(account.appid)?\(SignedRequest.query(token: account.token))"
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        while !self.stop.withLock({ $0 }) && !Task.isCancelled {
                            let n = self.counter.withLock { $0 += 1; return $0 }
                            let openid = "oFull\(n)"
                            var request = HTTPClientRequest(url: url)
                            request.method = .POST
                            request.headers.add(name: "Content-Type", value: "text/xml")
                            request.body = .bytes(ByteBuffer(string: SignedRequest.textXML(
                                account: account, openid: openid, msgId: Int64(n), createTime: SystemWallClock().nowMillis() / 1000)))
                            let started = ContinuousClock.now
                            do {
                                let response = try await client.execute(request, timeout: .seconds(10))
                                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                                let elapsed = ContinuousClock.now - started
                                self.tally.withLock { tally in
                                    tally.slowest = max(tally.slowest, elapsed)
                                    if elapsed > .seconds(3) { tally.slow.append("\(SystemWallClock().nowMillis() % 100_000) \(elapsed) \(response.status.code)") }
                                    switch (response.status.code, body) {
                                    case (200, "success"): tally.acknowledged.insert(openid)
                                    case (503, _): tally.refused.insert(openid)
                                    default: tally.other.append("\(response.status.code) \(body)")
                                    }
                                }
                            } catch {
                                self.tally.withLock { $0.other.append("\(error)") }
                            }
                        }
                    }
                }
            }
            try await client.shutdown()
        }
    }

    @Test("the SQLite file on a small disk that fills mid-broadcast: pushes answered 503 within 5 s, every success in the ledger and no 503, workers back off, and the broadcast completes once space is freed, nobody twice",
          .enabled(if: SmallDisk.available || ProcessInfo.processInfo.environment["KEFU_DISK_TESTS"] == "required",
                   "needs to mount a tmpfs (run as root, as scripts/test and CI do)"))
    func fullDisk() async throws {
        let mount = try TemporaryDirectory(prefix: "kefu-small-disk")
        try SmallDisk.mount(mount.path, megabytes: 24)
        defer { SmallDisk.unmount(mount.path); mount.remove() }
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, database: "sqlite:\(mount.file("kefu.db"))")
        try await storeCannotWrite(harness, name: "disk full",
                                   cut: { try SmallDisk.fill(mount.file("ballast")) },
                                   restore: { try FileManager.default.removeItem(atPath: mount.file("ballast")) })
    }

    @Test("a PostgreSQL database that turns read-only mid-broadcast (its sessions reconnect to a read-only server): pushes answered 503, every success in the ledger and no 503, workers back off, and all resumes when it is writable again")
    func readOnlyPostgres() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let name = try #require(URL(string: database)?.lastPathComponent)
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, database: database)
        // What a failover to a standby does to kefu's sessions: they are dropped, and the ones it
        // opens again cannot write (SQLSTATE 25006).
        func setReadOnly(_ on: Bool) async throws {
            try await cluster.execute("ALTER DATABASE \(name) \(on ? "SET default_transaction_read_only = on" : "RESET default_transaction_read_only")",
                                      database: "postgres")
            try await cluster.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()",
                                      database: "postgres")
        }
        try await storeCannotWrite(harness, name: "read-only", cut: { try await setReadOnly(true) }, restore: { try await setReadOnly(false) })
    }

    /// The scenario both stores play: a broadcast under way (account A, 200 followers, 20 sends/s)
    /// and pushes from 16 connections (account B, a new follower each), the store made unable to
    /// write by `cut` for a while, then able again by `restore`.
    func storeCannotWrite(_ harness: ProcessHarness, name: String,
                          cut: @escaping () async throws -> Void, restore: @escaping () async throws -> Void) async throws {
        let pushes = Pushes()
        do {
            let server = try await harness.startServer(extra: ["--workers", "1"])
            let broadcast = BroadcastProcessTests.account(93, rate: 20)
            let openids = try await BroadcastProcessTests.addAccount(broadcast, to: harness, talkers: "oFan", count: 200)
            let pushed = TestAccounts.plain(94)
            let created = try await TestHTTP.post("\(server.baseURL)/api/v1/accounts",
                                                  #"{"appid": "\#(pushed.appid)", "app_secret": "\#(pushed.appSecret)", "token": "\#(pushed.token)"}"#,
                                                  headers: harness.auth)
            #expect(created.status == 201)
            let id = try await harness.createTask(appid: broadcast.appid, message: BroadcastProcessTests.messages[0])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pushes.run(pushed, server: server.baseURL, connections: 16) }
                try await eventually("the broadcast to be under way", timeout: .seconds(60)) {
                    try await harness.received(broadcast.appid).count >= 20
                }
                try await eventually("pushes to be recorded", timeout: .seconds(60)) { pushes.acknowledged > 0 }
                try await cut()
                let cutAt = ContinuousClock.now
                let acknowledgedAtCut = pushes.acknowledged
                try await eventually("pushes to be refused (\(name))", timeout: .seconds(60), poll: .milliseconds(50)) { pushes.refused >= 50 }
                // The store stays unable to write for 8 s at least, through several back-offs.
                try await eventually("8 s of the store unable to write (\(name))", timeout: .seconds(60)) {
                    ContinuousClock.now - cutAt >= .seconds(8)
                }
                let statsWhileCut = BroadcastProcessTests.stats(try await harness.task(id))
                let refusedBeforeRestore = pushes.refused
                try await restore()
                try await eventually("pushes to be recorded again after \(name)", timeout: .seconds(60)) {
                    pushes.acknowledged > acknowledgedAtCut + 100 && pushes.refused == refusedBeforeRestore
                        || pushes.acknowledged > acknowledgedAtCut + 2_000
                }
                try await harness.waitForTask(id, status: "completed", timeout: .seconds(120))
                pushes.stop.withLock { $0 = true }
                try await group.waitForAll()
                print("\(name): \(pushes.acknowledged) pushes recorded, \(pushes.refused) answered 503, slowest \(pushes.tally.withLock { $0.slowest }), over 3 s: \(pushes.tally.withLock { $0.slow.count }); the broadcast stood at \(statsWhileCut) while the store could not write")
            }
            let tally = pushes.tally.withLock { $0 }
            #expect(tally.other.isEmpty, "every push answered success or 503: \(tally.other.prefix(5)) (of \(tally.other.count))\n\(server.output.suffix(6000))")
            #expect(tally.slowest < .seconds(5), "every push answered within WeChat's 5 s: slowest \(tally.slowest); over 3 s: \(tally.slow.prefix(40))\n\(harness.server?.output.suffix(5000) ?? "")")
            #expect(tally.refused.count >= 50)
            // Every success is in the ledger and no refused push is: one new follower per push.
            let ledger = try await harness.kefuAudience(pushed.appid, pageSize: 1_000)
            let missing = tally.acknowledged.subtracting(ledger.keys), unacknowledged = Set(ledger.keys).subtracting(tally.acknowledged)
            #expect(missing.isEmpty, "acknowledged but not in the ledger: \(missing.count), e.g. \(Array(missing.prefix(5)))")
            #expect(unacknowledged.isDisjoint(with: tally.refused), "answered 503 but recorded: \(Array(unacknowledged.intersection(tally.refused).prefix(5)))")
            #expect(unacknowledged.count <= tally.other.count, "recorded though not acknowledged: \(unacknowledged.count)")
            // The broadcast: each follower once.
            let stats = BroadcastProcessTests.stats(try await harness.task(id))
            #expect(stats["sent"] as? Int == openids.count, "\(stats)")
            let received = try await harness.received(broadcast.appid).compactMap { $0["openid"] as? String }
            #expect(received.count == openids.count && Set(received) == Set(openids), "each follower exactly once")
            // Workers backed off and the log was thinned: the committer logged the first failure
            // and each doubling, and once that the store answered again.
            let log = server.output
            let failures = log.components(separatedBy: "store failure: recording interactions failed; backing off").count - 1
            #expect(failures >= 1 && failures <= 20, "\(failures) failure lines for \(tally.refused.count) refused pushes")
            #expect(log.contains("store answers again: recording interactions works after"), "\(log.suffix(3000))")
            let metrics = try await TestHTTP.get("\(server.baseURL)/metrics").body
            #expect(metrics.contains(#"kefu_callbacks{outcome="unavailable"}"#), "/metrics counts the refusals")
        } catch {
            pushes.stop.withLock { $0 = true }
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(4000) ?? "")")
        }
        await harness.shutdown()
    }
}
}

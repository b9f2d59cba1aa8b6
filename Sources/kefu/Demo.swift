import ArgumentParser
import AsyncHTTPClient
import Foundation
import KefuStoreFactory
import Hummingbird
import KefuApp
import KefuCore
import KefuStore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import UnixSignals
import WeChatProtocol
import WeChatSimulator

/// `kefu demo`: the whole pipeline on a fresh machine — simulator, server and workers on SQLite,
/// a demo account, simulated followers, a broadcast — narrated as it happens.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the whole pipeline: simulator + server + workers on SQLite, a demo account, followers and a broadcast.")

    @Option(help: "Port of kefu's server (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Port of the WeChat simulator (0 picks a free one).")
    var simulatorPort: Int = 8081

    @Option(help: "Store (default: a fresh SQLite file in a temporary directory).")
    var database: String?

    @Option(help: "Simulated followers.")
    var followers: Int = 300

    @Flag(help: "Exit once the broadcast has completed instead of serving until Ctrl-C.")
    var exitWhenDone = false

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let logger = Logger(label: "kefu-demo")
        guard (1...100_000).contains(followers) else { throw CommandFailure(KefuError(.badConfiguration, "--followers: 1 to 100000")) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kefu-demo-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let databaseURL = database ?? "sqlite:\(directory)/kefu-demo.db"
        defer { if database == nil { try? FileManager.default.removeItem(atPath: directory) } }
        // A shorter follow grant than WeChat's minute, so the demo shows windows closing.
        let policy = try WindowPolicy(grants: [
            .init(on: .message, sends: 5, seconds: 172_800), .init(on: .subscribe, sends: 3, seconds: 60),
            .init(on: .scan, sends: 3, seconds: 60), .init(on: .click, sends: 3, seconds: 60),
        ])
        do {
            // Both ports checked before anything starts, so a busy one is one line, not a half-started demo.
            try Self.ensureFree(port: port, option: "--port")
            try Self.ensureFree(port: simulatorPort, option: "--simulator-port")
            // The demo's own store gets a key file beside it (removed with it); a `--database`
            // of PostgreSQL takes KEFU_MASTER_KEY_FILE.
            let secrets = try MasterKeyFiles.keyring(
                database: databaseURL, keyFile: ProcessInfo.processInfo.environment["KEFU_MASTER_KEY_FILE"],
                previousKeyFile: nil, logger: logger, announce: { _ in })
            try await withOpenStore(databaseURL, secrets: secrets, logger: logger) { store in
                let ports = Ports()
                let storeService = StoreService(store: store, logger: logger)
                // kefu's workers need the simulator's address up front: resolve a free port now.
                let simulatorPort = self.simulatorPort == 0 ? try Self.freePort() : self.simulatorPort
                let wechat = SimulatedWeChat(configuration: .init(policy: policy))
                let simulator = buildSimulatorApplication(wechat: wechat, port: simulatorPort, logger: logger) { ports.set(.simulator, $0) }
                var configuration = KefuConfiguration()
                configuration.database = databaseURL
                configuration.port = port
                configuration.windowPolicy = policy
                configuration.wechatAPI = "http://127.0.0.1:\(simulatorPort)"
                // Signed in like a deployment: a random admin token for the demo's own API calls,
                // and a one-time link for the person watching.
                let adminToken = Hex.random(bytes: 24)
                configuration.adminToken = adminToken
                let app = try buildApplication(configuration: configuration, store: store, clock: storeService.clock, storeReady: storeService.ready,
                                               logger: logger) { ports.set(.kefu, $0) }
                let script = DemoScript(ports: ports, followers: followers, exitWhenDone: exitWhenDone, database: databaseURL,
                                        adminToken: adminToken) {
                    ConsoleLinks.path(try await ConsoleLinks.create(store: store, now: SystemWallClock().nowMillis(), lifetimeMillis: 30 * 60_000))
                }
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: storeService),
                               .init(service: Listener(inner: simulator, host: "127.0.0.1", port: simulatorPort, option: "--simulator-port")),
                               .init(service: Listener(inner: app, host: "127.0.0.1", port: port, option: "--port")),
                               .init(service: script, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Fails with one line when something already listens on 127.0.0.1:`port` (binds it the way
    /// the servers will, with SO_REUSEADDR, then lets it go).
    static func ensureFree(port: Int, option: String) throws {
        guard port != 0 else { return }
        guard (1...65_535).contains(port) else { throw KefuError(.badConfiguration, "\(option): must be between 0 and 65535") }
        if case .failure(let failure) = bindLoopback(port: port) {
            throw KefuError(.badConfiguration, ListenFailure.describe(errno: failure.code, host: "127.0.0.1", port: port, option: option))
        }
    }

    /// A port nothing listens on now (bind to 0, read it, let it go).
    static func freePort() throws -> Int {
        guard case .success(let port) = bindLoopback(port: 0) else { throw KefuError(.unavailable, "cannot find a free port") }
        return port
    }

    /// Binds a TCP socket to 127.0.0.1:`port` as the servers do (SO_REUSEADDR), reads the port it
    /// got, and closes it: the port, or the errno of the failure.
    static func bindLoopback(port: Int) -> Result<Int, Int32Error> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Int32Error(errno)) }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { return .failure(Int32Error(errno)) }
        return .success(Int(UInt16(bigEndian: address.sin_port)))
    }
}

/// An errno, as a `Result`'s failure.
struct Int32Error: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}

/// The ports the demo's servers listen on, once they do. Waiting is cancellable: when a server
/// cannot start, the group cancels the script, which must not wait forever for its port.
final class Ports: Sendable {
    enum Server: Hashable { case kefu, simulator }
    private let ports = Mutex<[Server: Int]>([:])

    func set(_ server: Server, _ port: Int) {
        ports.withLock { $0[server] = port }
    }

    func port(_ server: Server) async throws -> Int {
        while true {
            if let port = ports.withLock({ $0[server] }) { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

import Configuration
import Foundation
import KefuApp
import KefuStoreFactory
import KefuCore
import KefuStore
import Logging
import NIOCore
import ServiceLifecycle

/// Opens the store, runs `body`, and closes the store however `body` ends — a failed start (a
/// busy port, say) must not leave an open SQLite connection to crash on. `body` runs the store:
/// servers as the first service of their group (`StoreService`, which also migrates).
func withOpenStore<T>(_ url: String, secrets: SecretKeyring, logger: Logger, _ body: (any KefuStore) async throws -> T) async throws -> T {
    let store = try await StoreFactory.open(url, secrets: secrets, logger: logger)
    do {
        let result = try await body(store)
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

/// For one-off commands (`migrate`, `console-link`, `keys`): the `--database` store opened with
/// the command's master keys (`rekey` may change the ring: `keys rotate`), migrated — which opens
/// every stored secret, so a wrong key stops here — and running while `body` runs.
func withCommandStore<T>(_ reader: ConfigReader, rekey: (SecretKeyring) throws -> SecretKeyring = { $0 },
                         _ body: (any KefuStore, SecretKeyring) async throws -> T) async throws -> T {
    let logger = try ConfigurationLoader.logger(reader)
    let database = reader.string(forKey: "kefu.database", default: "sqlite:kefu.db")
    let secrets = try rekey(try keyring(reader, database: database, logger: logger))
    return try await withRunningStore(try await StoreFactory.open(database, secrets: secrets, logger: logger)) { store in
        try await body(store, secrets)
    }
}

/// A server of the command (kefu's HTTP server, a worker's metrics endpoint, the simulator):
/// when it cannot listen, the command stops with one line naming the address and the option
/// that sets it, instead of NIO's error.
struct Listener<Inner: Service>: Service {
    let inner: Inner
    let host: String
    let port: Int
    /// The option that picks the port (`--port`, `--metrics-port`, `--simulator-port`).
    let option: String

    func run() async throws {
        do {
            try await inner.run()
        } catch let error as IOError {
            throw KefuError(.badConfiguration, ListenFailure.describe(errno: error.errnoCode, host: host, port: port, option: option))
        } catch let error as SocketAddressError {
            throw KefuError(.badConfiguration, "cannot listen on \(host):\(port): \(host) is not an address of this machine (\(error))")
        }
    }
}

/// Why a server could not listen, in one line naming the address and the option that sets it.
enum ListenFailure {
    static func describe(errno code: Int32, host: String, port: Int, option: String) -> String {
        switch code {
        case EADDRINUSE: "\(host):\(port) is already in use; pick another with \(option)"
        case EACCES: "cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges); pick another with \(option)"
        case EADDRNOTAVAIL: "cannot listen on \(host):\(port): \(host) is not an address of this machine"
        default: "cannot listen on \(host):\(port): \(String(cString: strerror(code)))"
        }
    }
}

/// Says one line when a graceful shutdown starts; the command says another when it is done.
/// Last in its group, so it hears the shutdown first.
struct ShutdownAnnouncer: Service {
    let what: String

    func run() async throws {
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        say("\(what): shutting down — finishing in-flight work")
    }
}

/// Says one line once the store is ready (migrated): that the command is running.
struct SayWhenReady: Service {
    let ready: Latch
    let line: String

    func run() async throws {
        guard (try? await ready.waitOrThrow()) != nil else { return }
        say(line)
    }
}

import ArgumentParser
import Foundation
import Configuration
import Hummingbird
import KefuStore
import KefuStoreFactory
import KefuApp
import Logging
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (callbacks, admin API, metrics) and, unless --workers 0, in-process workers.",
        discussion: """
            The admin API's bearer token comes from the environment: KEFU_ADMIN_TOKEN (16 or more characters). \
            Without it, serve listens on a loopback address only, with the admin API open to local users; \
            on any other --host it refuses to start. Every option can also be set as KEFU_<NAME>, e.g. KEFU_PORT.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "In-process worker sets (default 1; 0 = HTTP only).")
    var workers: Int?

    @Option(help: "Largest callback body in bytes (default 65536).")
    var callbackBodyLimit: Int?

    @Option(help: "Pushes waiting to be written at most before new ones are answered 503 at once (default 4096).")
    var maxPendingPushes: Int?

    @Option(name: .customLong("public-url"), help: "Where WeChat reaches kefu, e.g. https://kefu.example.cn: the console shows callback URLs on it.")
    var publicURL: String?

    @Flag(help: "Mark the console's cookies Secure (kefu is reached over HTTPS).")
    var consoleSecureCookies = false

    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        var values = worker.values()
        if let host { values["kefu.host"] = .init(.string(host), isSecret: false) }
        if let port { values["kefu.port"] = .init(.string("\(port)"), isSecret: false) }
        if let workers { values["kefu.workers"] = .init(.string("\(workers)"), isSecret: false) }
        if let callbackBodyLimit { values["kefu.callback.body.limit"] = .init(.string("\(callbackBodyLimit)"), isSecret: false) }
        if let maxPendingPushes { values["kefu.max.pending.pushes"] = .init(.string("\(maxPendingPushes)"), isSecret: false) }
        if let publicURL { values["kefu.public.url"] = .init(.string(publicURL), isSecret: false) }
        if consoleSecureCookies { values["kefu.console.secure.cookies"] = .init(.string("true"), isSecret: false) }
        let reader = common.reader(extra: values)
        let configuration: KefuConfiguration
        let logger: Logger
        do {
            logger = try ConfigurationLoader.logger(reader)
            configuration = try ConfigurationLoader.load(reader)
        } catch {
            throw CommandFailure(error)
        }
        do {
            let secrets = try keyring(reader, database: configuration.database, logger: logger)
            try await withOpenStore(configuration.database, secrets: secrets, logger: logger) { store in
                let host = configuration.host
                let database = configuration.database.contains("@") ? "postgres (credentials hidden)" : configuration.database
                // First in the group, so stopped last; migrations run before the server listens.
                let storeService = StoreService(store: store, logger: logger)
                let app = try buildApplication(configuration: configuration, store: store, clock: storeService.clock, storeReady: storeService.ready, logger: logger) { port in
                    say(Self.banner(host: host, port: port, database: database))
                }
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: storeService),
                               .init(service: Listener(inner: app, host: host, port: configuration.port, option: "--port")),
                               .init(service: ShutdownAnnouncer(what: "kefu serve"), successTerminationBehavior: .ignore)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
            say("kefu serve: stopped")
        } catch {
            throw CommandFailure(error)
        }
    }

    /// What `serve` prints once it listens: where, and a `curl` that works as printed.
    static func banner(host: String, port: Int, database: String) -> String {
        let base = "http://\(host):\(port)"
        return """
            kefu is listening on \(base)  (store: \(database))
              add an account (example values; use your account's appid, AppSecret and Token):
                curl -X POST \(base)/api/v1/accounts -H 'Content-Type: application/json' \\
                  -d '{"appid": "wx0000000000000001", "app_secret": "0123456789abcdef0123456789abcdef", "token": "kefutoken"}'
              WeChat callback URL of an account: http://<this host>:\(port)/wechat/<appid>
              health: \(base)/healthz   metrics: \(base)/metrics   admin API: \(base)/api/v1
            """
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply schema migrations and exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let reader = common.reader()
        do {
            try await withCommandStore(reader) { _, _ in }
            say("migrations applied")
        } catch {
            throw CommandFailure(error)
        }
    }
}

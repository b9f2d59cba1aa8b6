import ArgumentParser
import Foundation
import Configuration
import Hummingbird
import KefuStore
import KefuApp
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (callbacks, admin API, metrics) and, unless --workers 0, in-process workers.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "In-process worker sets (default 1; 0 = HTTP only).")
    var workers: Int?

    @Option(help: "Largest callback body in bytes (default 65536).")
    var callbackBodyLimit: Int?

    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        var values = worker.values()
        if let host { values["kefu.host"] = .init(.string(host), isSecret: false) }
        if let port { values["kefu.port"] = .init(.string("\(port)"), isSecret: false) }
        if let workers { values["kefu.workers"] = .init(.string("\(workers)"), isSecret: false) }
        if let callbackBodyLimit { values["kefu.callback.body.limit"] = .init(.string("\(callbackBodyLimit)"), isSecret: false) }
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
            let store = try await StoreFactory.open(configuration.database, logger: logger)
            try await store.migrate()
            let host = configuration.host
            let database = configuration.database.contains("@") ? "postgres (credentials hidden)" : configuration.database
            let app = try buildApplication(configuration: configuration, store: store, logger: logger) { port in
                say("""
                    kefu is listening on http://\(host):\(port)  (store: \(database))
                      WeChat callback URL for an account: http://<this host>:\(port)/wechat/<appid>
                      add an account:
                        curl -X POST http://\(host):\(port)/api/v1/accounts -H 'Content-Type: application/json' \\
                          -d '{"appid": "wx…", "app_secret": "…", "token": "…", "encoding_aes_key": "…(43 chars, optional)"}'
                      health: http://\(host):\(port)/healthz   metrics: http://\(host):\(port)/metrics
                    """)
            }
            try await app.runService()
            try await store.close()
        } catch {
            throw CommandFailure(error)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply schema migrations and exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let reader = common.reader()
        do {
            let logger = try ConfigurationLoader.logger(reader)
            let database = reader.string(forKey: "kefu.database", default: "sqlite:kefu.db")
            let store = try await StoreFactory.open(database, logger: logger)
            try await store.migrate()
            try await store.close()
            print("migrations applied")
        } catch {
            throw CommandFailure(error)
        }
    }
}

import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import KefuCore
import Logging
import ServiceLifecycle
import UnixSignals
import WeChatSimulator

struct Simulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the WeChat simulator: WeChat's token and customer-service API with its window rules, and simulated followers that push signed callbacks.",
        discussion: "Control it over HTTP: POST /sim/accounts, /sim/push, /sim/run, /sim/faults; GET /sim/audience, /sim/messages.")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8081

    @Option(help: "JSON file with the window policy the simulated WeChat enforces (default: WeChat's current rules).")
    var windowPolicy: String?

    @Option(help: "Access token lifetime in seconds (WeChat: 7200).")
    var tokenLifetime: Int = 7200

    @Option(help: "Seconds an uploaded temporary media id stays valid (WeChat: 259200, three days).")
    var mediaLifetime: Int = 3 * 86_400

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let windowPolicy { values["kefu.window.policy"] = .init(.string(windowPolicy), isSecret: false) }
        let reader = logging.reader(extra: values)
        do {
            let logger = try ConfigurationLoader.logger(reader, label: "wechat-simulator")
            var policy = WindowPolicy.wechatDefault
            if let path = reader.string(forKey: "kefu.window.policy") { policy = try ConfigurationLoader.loadPolicy(path) }
            guard tokenLifetime >= 1 else { throw KefuError(.badConfiguration, "--token-lifetime: must be at least 1") }
            guard mediaLifetime >= 1 else { throw KefuError(.badConfiguration, "--media-lifetime: must be at least 1") }
            guard (0...65_535).contains(port) else { throw KefuError(.badConfiguration, "--port: must be between 0 and 65535") }
            let wechat = SimulatedWeChat(configuration: .init(
                policy: policy, tokenLifetimeSeconds: Int64(tokenLifetime), mediaLifetimeSeconds: Int64(mediaLifetime)))
            let app = buildSimulatorApplication(wechat: wechat, host: host, port: port, logger: logger) { [host] port in
                say("WeChat simulator listening on http://\(host):\(port)  (point kefu at it with --wechat-api http://\(host):\(port))")
            }
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: Listener(inner: app, host: host, port: port, option: "--port"))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            throw CommandFailure(error)
        }
    }
}

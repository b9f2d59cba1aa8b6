import ArgumentParser
import Foundation
import Configuration
import Hummingbird
import KefuStore
import KefuCore
import Logging
import WeChatSimulator

struct Simulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the WeChat simulator: WeChat's token and customer-service API with its window rules, and simulated followers that push signed callbacks.",
        discussion: "Control it over HTTP: POST /sim/accounts, /sim/push, /sim/run, /sim/faults; GET /sim/audience, /sim/messages.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (default 8081; 0 picks a free one).")
    var port: Int = 8081

    @Option(help: "Access token lifetime in seconds (WeChat: 7200).")
    var tokenLifetime: Int = 7200

    func run() async throws {
        let reader = common.reader()
        do {
            let logger = try ConfigurationLoader.logger(reader, label: "wechat-simulator")
            var policy = WindowPolicy.wechatDefault
            if let path = reader.string(forKey: "kefu.window.policy") { policy = try ConfigurationLoader.loadPolicy(path) }
            guard tokenLifetime >= 1 else { throw KefuError(.badConfiguration, "--token-lifetime: must be at least 1") }
            let wechat = SimulatedWeChat(configuration: .init(policy: policy, tokenLifetimeSeconds: Int64(tokenLifetime)))
            let app = buildSimulatorApplication(
                wechat: wechat, host: host, port: port, logger: logger
            ) { port in
                say("WeChat simulator listening on http://\(host):\(port)  (point kefu at it with --wechat-api http://\(host):\(port))")
            }
            try await app.runService()
        } catch {
            throw CommandFailure(error)
        }
    }
}

import ArgumentParser
import KefuCore

/// `kefu`: WeChat Official Account customer-service messages, from interaction to delivery.
@main
struct Kefu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kefu",
        abstract: "Records WeChat follower interactions into a window ledger and sends customer-service messages inside the windows.",
        discussion: "Every option can also be set in the environment as KEFU_<NAME>, e.g. KEFU_DATABASE, KEFU_PORT. KEFU_ADMIN_TOKEN sets the admin API's bearer token.",
        version: KefuVersion.current,
        subcommands: [Serve.self, Worker.self, Migrate.self, Simulator.self, Demo.self, ConsoleLink.self, Keys.self, Tokens.self],
        defaultSubcommand: nil)
}

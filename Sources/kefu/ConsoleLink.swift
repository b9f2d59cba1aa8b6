import ArgumentParser
import Configuration
import Foundation
import KefuApp
import KefuCore
import KefuStore
import KefuStoreFactory

/// `kefu console-link`: a one-time sign-in link to the console, for a deployment signed in with
/// a token — whoever can run kefu on a host with the store can let someone in without sharing
/// the admin token. The link works once, for `--minutes`.
struct ConsoleLink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-link", abstract: "Print a one-time sign-in link to the console (it works once, for --minutes).")

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("public-url"), help: "Where people reach kefu (default KEFU_PUBLIC_URL, else http://127.0.0.1:8080).")
    var publicURL: String?

    @Option(help: "Minutes the link works, 1 to 1440 (default 30).")
    var minutes: Int = 30

    func run() async throws {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let publicURL { values["kefu.public.url"] = .init(.string(publicURL), isSecret: false) }
        let reader = common.reader(extra: values)
        do {
            guard (1...1440).contains(minutes) else { throw KefuError(.badConfiguration, "--minutes: must be between 1 and 1440") }
            var base = reader.string(forKey: "kefu.public.url", default: "http://127.0.0.1:8080")
            guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil, url.query == nil else {
                throw KefuError(.badConfiguration, "--public-url: expected an http(s) URL such as https://kefu.example.cn")
            }
            while base.hasSuffix("/") { base.removeLast() }
            let lifetime = Int64(minutes) * 60_000
            let code = try await withCommandStore(reader) { store, _ in
                try await ConsoleLinks.create(store: store, now: SystemWallClock().nowMillis(), lifetimeMillis: lifetime)
            }
            print("\(base)\(ConsoleLinks.path(code))")
        } catch {
            throw CommandFailure(error)
        }
    }
}

import ArgumentParser
import Foundation
import KefuCore

/// `kefu-bench`: the benchmark program, its own executable so that `kefu` links no test support.
@main
struct KefuBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kefu-bench",
        abstract: "Measure kefu on each store against baselines measured in the same run (see `kefu-bench run --help`).",
        version: KefuVersion.current,
        subcommands: [Bench.self, BenchEcho.self],
        defaultSubcommand: Bench.self)
}

/// Errors reach the user as one line, with what lay beneath (never a URL or a secret).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ error: any Error, withCause: Bool = false) {
        guard let error = error as? KefuError else {
            description = "\(error)"
            return
        }
        description = error.message
        if withCause, let underlying = error.underlying { description += ": \(underlying)" }
    }
}

/// A line on standard output at once (unbuffered), for whoever waits for it.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

import ArgumentParser
import Configuration
import Foundation
import KefuApp
import KefuCore
import KefuStore
import KefuWorkers
import Logging
import ServiceLifecycle
import UnixSignals

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workers only: scheduler, senders and trimmer. --processes N starts N supervised worker processes.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var worker: WorkerOptions

    @Option(help: "Worker processes to start and supervise (default 1: work in this process).")
    var processes: Int?

    @Option(help: "Serve /metrics and /healthz on this port (worker process i of --processes N on port + i).")
    var metricsPort: Int?

    @Flag(help: .hidden)
    var child = false

    func run() async throws {
        let reader = common.reader(extra: worker.values())
        let logger: Logger
        let configuration: KefuConfiguration
        do {
            logger = try ConfigurationLoader.logger(reader, label: child ? "kefu-worker" : "kefu")
            configuration = try ConfigurationLoader.load(reader)
        } catch {
            throw CommandFailure(error)
        }
        let count = processes ?? 1
        guard (1...64).contains(count) else { throw CommandFailure(KefuError(.badConfiguration, "--processes: must be between 1 and 64")) }
        do {
            if count > 1 && !child {
                let supervisor = WorkerSupervisor(
                    executable: Self.executablePath, arguments: { Self.childArguments(slot: $0) }, count: count, logger: logger, announce: say)
                say("kefu worker supervising \(count) worker processes (store: \(configuration.database.contains("@") ? "postgres" : configuration.database))")
                let group = ServiceGroup(configuration: .init(services: [supervisor], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
                return
            }
            let secrets = try keyring(reader, database: configuration.database, logger: logger)
            try await withOpenStore(configuration.database, secrets: secrets, logger: logger) { store in
                let metrics = KefuMetrics()
                // First in the group, so stopped last; the workers start once it has migrated.
                let storeService = StoreService(store: store, logger: logger)
                var services: [any Service] = [storeService] + buildWorkerServices(
                    configuration: configuration, store: store, clock: storeService.clock, senders: 1, metrics: metrics, storeReady: storeService.ready, logger: logger)
                if let metricsPort {
                    services.append(Listener(
                        inner: buildWorkerOperationsApplication(host: configuration.host, port: metricsPort, store: store,
                                                                metrics: metrics, logger: logger),
                        host: configuration.host, port: metricsPort, option: "--metrics-port"))
                }
                if child { services.append(ParentWatch()) }
                let running = "kefu worker running (pid \(getpid()), store: \(configuration.database.contains("@") ? "postgres" : configuration.database))"
                // A supervised child whose parent died shuts down gracefully: in-flight sends finish
                // and their results are recorded before it exits.
                var configured = services.map { service in
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: service, failureTerminationBehavior: service is ParentWatch ? .gracefullyShutdownGroup : .cancelGroup)
                }
                configured.append(.init(service: SayWhenReady(ready: storeService.ready, line: running), successTerminationBehavior: .ignore))
                if !child {
                    configured.append(.init(service: ShutdownAnnouncer(what: "kefu worker"), successTerminationBehavior: .ignore))
                }
                let group = ServiceGroup(configuration: .init(services: configured, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
            if !child { say("kefu worker: stopped") }
        } catch let error as KefuError where child && error.code == .badConfiguration {
            // The supervisor must not restart a worker that would fail the same way.
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            throw ExitCode(WorkerSupervisor.configurationExitCode)
        } catch {
            throw CommandFailure(error)
        }
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The parent's own arguments, minus `--processes N`, with the slot's metrics port, plus `--child`.
    static func childArguments(slot: Int) -> [String] {
        var arguments: [String] = []
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            if argument == "--processes" { _ = iterator.next(); continue }
            if argument.hasPrefix("--processes=") { continue }
            if argument == "--metrics-port", let port = iterator.next().flatMap(Int.init) {
                arguments += ["--metrics-port", "\(port + slot)"]
                continue
            }
            arguments.append(argument)
        }
        return arguments + ["--child"]
    }
}

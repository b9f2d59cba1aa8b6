import Foundation
import Logging
import ServiceLifecycle

/// `kefu worker --processes N`: a parent that starts N worker processes (real OS processes, the
/// same executable), restarts any that exits or is killed, and on shutdown passes SIGTERM on and
/// waits for them to finish their round.
public struct WorkerSupervisor: Service {
    public let executable: String
    /// Arguments of the child in each slot (the parent's options plus `--child`).
    public let arguments: @Sendable (Int) -> [String]
    public let count: Int
    let logger: Logger
    let announce: @Sendable (String) -> Void
    /// How long a worker process has to finish after SIGTERM before it is killed.
    static let stopGraceSeconds = 30
    /// A worker process exits with this code (EX_CONFIG) when its configuration is refused (a
    /// busy metrics port, say): restarting it would fail the same way, so the supervisor stops.
    public static let configurationExitCode: Int32 = 78

    public struct ChildRefused: Error, CustomStringConvertible {
        public var slot: Int
        public var description: String { "worker process \(slot) could not start (its reason is on the line above); stopping" }
    }

    public init(executable: String, arguments: @escaping @Sendable (Int) -> [String], count: Int, logger: Logger,
                announce: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.arguments = arguments
        self.count = count
        self.logger = logger
        self.announce = announce
    }

    /// `Process` is a reference type used from this one task only.
    final class Child: @unchecked Sendable {
        let slot: Int
        var process: Process
        var restarts = 0
        init(slot: Int, process: Process) {
            self.slot = slot
            self.process = process
        }
    }

    public func run() async throws {
        var children: [Child] = []
        for slot in 0..<count { children.append(Child(slot: slot, process: try spawn(slot: slot))) }
        var refused: ChildRefused?
        supervising: while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for child in children where !child.process.isRunning {
                let status = child.process.terminationStatus
                if child.process.terminationReason == .exit, status == Self.configurationExitCode {
                    refused = ChildRefused(slot: child.slot)
                    break supervising
                }
                let reason = child.process.terminationReason == .uncaughtSignal ? "signal \(status)" : "exit \(status)"
                logger.warning("worker process ended; restarting", metadata: [
                    "kefu.worker.slot": "\(child.slot)", "kefu.worker.ended": "\(reason)", "kefu.worker.restarts": "\(child.restarts)",
                ])
                // Back off when a child keeps dying straight away (a bad config, the store gone).
                if child.restarts > 3 { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) } }
                if Task.isShuttingDownGracefully { break }
                child.restarts += 1
                child.process = try spawn(slot: child.slot)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
        }
        for child in children where child.process.isRunning { child.process.terminate() }
        let deadline = ContinuousClock.now + .seconds(Self.stopGraceSeconds)
        while children.contains(where: { $0.process.isRunning }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for child in children where child.process.isRunning {
            logger.warning("worker process did not finish within \(Self.stopGraceSeconds) s of SIGTERM; killed", metadata: [
                "kefu.worker.slot": "\(child.slot)", "kefu.worker.pid": "\(child.process.processIdentifier)",
            ])
            kill(child.process.processIdentifier, SIGKILL)
        }
        if let refused { throw refused }
    }

    private func spawn(slot: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(slot)
        try process.run()
        announce("worker process \(slot) started (pid \(process.processIdentifier))")
        return process
    }
}

import Foundation
import ServiceLifecycle

/// In a supervised worker process: shuts the process down gracefully when its parent is gone
/// (the supervisor was killed), so no orphan keeps sending unsupervised.
public struct ParentWatch: Service {
    let parent: pid_t

    public init(parent: pid_t = getppid()) { self.parent = parent }

    public struct ParentGone: Error, CustomStringConvertible {
        public var description: String { "the supervising kefu worker process is gone" }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if getppid() != parent { throw ParentGone() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
    }
}

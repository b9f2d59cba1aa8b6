import KefuStore
import ServiceLifecycle

/// Runs the group committer's writer loop as a service. On graceful shutdown (after the HTTP
/// server has finished its in-flight requests) it writes what is pending, then returns.
struct GroupCommitterService: Service {
    let committer: GroupCommitter

    func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await committer.run()
            } onGracefulShutdown: {
                committer.close()
            }
        } onCancel: {
            committer.close()
        }
    }
}

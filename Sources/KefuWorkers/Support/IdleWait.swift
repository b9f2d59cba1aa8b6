import KefuStore
import Logging
import ServiceLifecycle

/// How an idle worker waits. On a store that wakes across processes (PostgreSQL's NOTIFY) it
/// waits for `topic`, polling only as a fallback every `fallback` — or sooner when it knows when
/// work falls due (`dueIn`). Otherwise (the embedded store) it polls every `poll`. Returns early
/// on graceful shutdown.
func idleWait(_ store: any WorkWakeups, _ topic: WorkTopic, poll: Duration, dueIn: Duration? = nil,
              fallback: Duration = .seconds(1)) async {
    let timeout: Duration
    if store.wakesAcrossProcesses {
        timeout = max(min(dueIn ?? fallback, fallback), .milliseconds(5))
    } else {
        timeout = max(min(dueIn ?? poll, poll), .milliseconds(5))
    }
    await cancelWhenGracefulShutdown { await store.waitForWork(topic, timeout: timeout) }
}

/// Waits out a store failure: `failures` logs it (thinned) and says how long to wait (doubling up
/// to 5 s). A failure because the process is stopping (the task cancelled) is no failure: nothing
/// is logged and nothing waited. A graceful shutdown ends the wait.
func backOff(after error: any Error, _ failures: StoreFailures, logger: Logger, metadata: Logger.Metadata = [:]) async {
    guard !Task.isCancelled else { return }
    await waitAfterFailure(failures.failed(error, logger: logger, metadata: metadata))
}

/// Sleeps `duration` unless the process is stopping; a graceful shutdown ends the wait.
func waitAfterFailure(_ duration: Duration) async {
    guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

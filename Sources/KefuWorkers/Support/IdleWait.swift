import KefuStore
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

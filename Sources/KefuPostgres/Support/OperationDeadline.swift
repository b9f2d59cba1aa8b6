import Synchronization

/// The two deadlines of every PostgreSQL operation: a connection must be leased within
/// `acquireTimeout` (else the caller fails at once: callbacks must answer 5xx well within
/// WeChat's 5 s, so WeChat retries), and the operation must be done within `operationTimeout`
/// (else its connection is aborted and the caller fails). The caller is answered by whichever
/// comes first: the operation's result or a deadline.
///
/// Why the operation runs in an unstructured `Task`, not a child of a task group: a group waits
/// for all its children when it ends, so an operation that never comes back would hold the
/// caller however the timers fire. That happened: after PostgreSQL restarted mid-broadcast,
/// workers' queries on connections the server had dropped were never answered — closing the
/// connection did not fail them — and a claim waited for good. Here the caller waits on a
/// continuation that the first of (result, deadline) resumes; the operation is not cancelled with
/// its caller, the timers bound it, and a lease that comes after the caller gave up is not used
/// (the caller may already be retrying the operation elsewhere).
struct OperationDeadline: Sendable {
    var acquireTimeout: Duration
    var operationTimeout: Duration

    /// What the operation tells the deadline: the resource it leased (`started` returns false
    /// when the caller already gave up: the operation must not run), and that it is done with it.
    struct Lease<Resource: Sendable>: Sendable {
        let state: LeaseState<Resource>
        func started(_ resource: Resource) -> Bool { state.start(resource) }
        func finished() { state.finish() }
    }

    /// Runs `operation`, which leases a resource, reports it through the `Lease`, and works on
    /// it. No resource within `acquireTimeout`: the caller fails with `noResource()` and the
    /// lease is cancelled. Still running at `operationTimeout`: `abort` is called with the
    /// resource and the caller fails with `timedOut()`.
    func run<Resource: Sendable, T: Sendable>(
        noResource: @escaping @Sendable () -> any Error,
        timedOut: @escaping @Sendable () -> any Error,
        abort: @escaping @Sendable (Resource) -> Void,
        operation: @escaping @Sendable (Lease<Resource>) async throws -> T
    ) async throws -> T {
        let lease = LeaseState<Resource>()
        let acquireTimeout = acquireTimeout, operationTimeout = operationTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = OnceResumer(continuation)
            let work = Task {
                // The timer goes as soon as the operation ends, rather than sleeping out its span.
                defer { lease.end() }
                do {
                    outcome.resume(with: .success(try await operation(Lease(state: lease))))
                } catch {
                    outcome.resume(with: .failure(error))
                }
            }
            // The timer: an unstructured task for the same reason as the work (it must not hold
            // the caller), cancelled when the work ends.
            lease.attach(timer: Task {
                do { try await Task.sleep(for: acquireTimeout) } catch { return }
                let resource: Resource
                switch lease.atAcquireTimeout() {
                case .running(let leased): resource = leased
                case .finished: return
                case .gaveUp:
                    // The caller hears why first; the cancelled lease's own error comes second and is dropped.
                    outcome.resume(with: .failure(noResource()))
                    work.cancel()
                    return
                }
                do { try await Task.sleep(for: operationTimeout - acquireTimeout) } catch { return }
                guard lease.isRunning else { return }
                abort(resource)
                // Aborting fails the operation — unless it was lost with a connection the server
                // had already dropped (seen after a restart). The caller goes on.
                outcome.resume(with: .failure(timedOut()))
            })
        }
    }
}

/// A lease in `OperationDeadline`: waiting for a resource, running on one, finished (the resource
/// given back: never to be aborted from here), or given up by the caller.
final class LeaseState<Resource: Sendable>: Sendable {
    private enum Phase { case waiting, running(Resource), finished, abandoned }
    private let phase = Mutex(Phase.waiting)
    private let timer = Mutex<(task: Task<Void, Never>?, ended: Bool)>((nil, false))

    /// The operation's timer, cancelled at once if the operation has already ended.
    func attach(timer task: Task<Void, Never>) {
        if timer.withLock({ state in state.task = task; return state.ended }) { task.cancel() }
    }

    /// The operation ended (whatever its outcome): its timer is no longer needed.
    func end() {
        timer.withLock { state in state.ended = true; return state.task }?.cancel()
    }

    /// The lease came: true if the caller still waits for it.
    func start(_ resource: Resource) -> Bool {
        phase.withLock { phase in
            guard case .waiting = phase else { return false }
            phase = .running(resource)
            return true
        }
    }

    /// The operation is done with the resource.
    func finish() {
        phase.withLock { $0 = .finished }
    }

    var isRunning: Bool {
        phase.withLock { phase in
            if case .running = phase { return true }
            return false
        }
    }

    /// At the acquire timeout: the resource the operation runs on; or none, the operation
    /// already finished; or the caller gives up (no resource came).
    enum AtAcquireTimeout { case running(Resource), finished, gaveUp }
    func atAcquireTimeout() -> AtAcquireTimeout {
        phase.withLock { phase in
            switch phase {
            case .running(let resource): return .running(resource)
            case .finished: return .finished
            case .waiting, .abandoned:
                phase = .abandoned
                return .gaveUp
            }
        }
    }
}

/// Resumes a continuation once; later results are dropped.
final class OnceResumer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>
    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }
    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

import Synchronization

/// A one-way gate: closed until `open()`, then open for good (or failed, for `wait` callers to
/// hear why). `wait()` returns when it opens, or at once when the waiting task is cancelled.
public final class Latch: Sendable {
    private enum State {
        case closed([UInt64: CheckedContinuation<Void, Never>], next: UInt64)
        case open
        case failed(any Error)
    }
    private let state = Mutex(State.closed([:], next: 0))

    public init() {}

    public func open() { settle(.open) }

    /// Opens it with an error: `waitOrThrow()` callers throw it.
    public func fail(_ error: any Error) { settle(.failed(error)) }

    private func settle(_ outcome: State) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard case .closed(let waiting, _) = state else { return [] }
            state = outcome
            return Array(waiting.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public var isOpen: Bool {
        state.withLock { if case .closed = $0 { false } else { true } }
    }

    /// Returns when the latch opens (or fails), or when the task is cancelled.
    public func wait() async {
        let id: UInt64? = state.withLock { state in
            guard case .closed(let waiting, let next) = state else { return nil }
            state = .closed(waiting, next: next + 1)
            return next
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    guard case .closed(var waiting, let next) = state else { return true }
                    if Task.isCancelled { return true }
                    waiting[id] = continuation
                    state = .closed(waiting, next: next)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
                guard case .closed(var waiting, let next) = state else { return nil }
                let waiter = waiting.removeValue(forKey: id)
                state = .closed(waiting, next: next)
                return waiter
            }
            waiter?.resume()
        }
    }

    /// As `wait()`, then throws the failure if it failed, or `CancellationError` if the task was
    /// cancelled before it opened.
    public func waitOrThrow() async throws {
        await wait()
        switch state.withLock({ $0 }) {
        case .open: return
        case .failed(let error): throw error
        case .closed: throw CancellationError()
        }
    }
}

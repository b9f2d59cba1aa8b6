import Synchronization

/// Who a change was made by, as the access check found it. `AuditMiddleware` runs outermost and
/// puts an empty trail in the request context of every change it logs; the API's or the
/// console's access check, which runs inside it once the route is matched, writes the actor into
/// it, so the middleware logs what the check established instead of resolving the token or the
/// session again. A reference, because contexts are values passed inwards: what the inner
/// middleware writes must reach the outer one.
public final class AuditTrail: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// The actor, once an access check has written it; nil when none ran (an unmatched route).
    public var actor: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

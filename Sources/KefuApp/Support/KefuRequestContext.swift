import Hummingbird
import KefuStore
import NIOCore

/// The request context of `kefu serve`: Hummingbird's basic one, plus the peer's address (the
/// sign-in throttle counts failures per address) and the `Access` the request was given.
public struct KefuRequestContext: RequestContext, RemoteAddressRequestContext, AccessRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Who is asking, once the API's or the console's access check has run.
    public var access: Access?
    /// The console session `access` came from, once the console's access check has run.
    public var consoleSession: ConsoleSession?
    /// Set by `AuditMiddleware` on a change it logs; the access check writes who made it.
    public var auditTrail: AuditTrail?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

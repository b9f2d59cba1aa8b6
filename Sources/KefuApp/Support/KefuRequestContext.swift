import Hummingbird
import NIOCore

/// The request context of `kefu serve`: Hummingbird's basic one, plus the peer's address (the
/// sign-in throttle counts failures per address).
public struct KefuRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

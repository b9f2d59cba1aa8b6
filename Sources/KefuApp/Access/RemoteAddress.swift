import Hummingbird
import KefuCore
import Logging
import NIOCore
import WeChatProtocol

/// The address a request came from, as the throttle keys it (the IP, without the port).
enum RemoteAddress {
    static func of(_ context: some RequestContext) -> String {
        guard let address = (context as? any RemoteAddressRequestContext)?.remoteAddress else { return "unknown" }
        return address.ipAddress ?? address.pathname ?? "unknown"
    }
}

extension SignInThrottle {
    /// While `address` is held back: counts it (`throttled`) and gives the `Retry-After` seconds;
    /// nil when it may try. The API and the console answer a hold the same way.
    func held(_ address: String, now: Int64, surface: String, metrics: KefuMetrics) -> String? {
        guard case .blocked(let until) = check(address, now: now) else { return nil }
        metrics.signIn("throttled", surface: surface)
        return String(max(1, (until - now + 999) / 1000))
    }

    /// A wrong token from `address`: counted (`refused`), and logged when it starts a hold.
    func refused(_ address: String, now: Int64, surface: String, metrics: KefuMetrics, logger: Logger) {
        metrics.signIn("refused", surface: surface)
        if case .blocked = failed(address, now: now) {
            logger.warning("sign-ins from an address refused for a minute", metadata: ["kefu.address": "\(address)", "kefu.surface": "\(surface)"])
        }
    }
}

import Foundation

/// A loopback TCP port nothing listens on now (bind to 0, read it, close), and a listener that
/// holds a port busy for tests of what a command does when its port is taken.
public enum FreePort {
    public static func make() throws -> Int {
        let listener = try BusyPort()
        return listener.port
    }
}

/// Listens on 127.0.0.1:`port` (a free one for 0) until closed or deinitialised.
public final class BusyPort: @unchecked Sendable {
    // @unchecked: the descriptor and port are set in init and only read afterwards.
    public let port: Int
    private let fd: Int32

    public init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TimedOut(description: "cannot open a socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else {
            close(fd)
            throw TimedOut(description: "cannot listen on 127.0.0.1:\(port)")
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

import Foundation

/// Hosts for chaos tests, made of Linux network namespaces on two bridges the lab creates (root
/// only): the database network `klab-db` (10.77.1.0/24) and the application network `klab-app`
/// (10.77.2.0/24). The root namespace — the test, the simulator — is 10.77.x.1 on both; each
/// host has `db0` on the first and `app0` on the second, so one host's link to PostgreSQL can be
/// cut while it still reaches the (simulated) WeChat. A cut takes the host's end of its database
/// link down: its packets vanish without an error, as in a real partition, and its open
/// connections hang rather than fail.
public final class NetworkLab: Sendable {
    public struct Host: Sendable {
        public let name: String
        public let namespace: String
        /// 10.77.1.N and 10.77.2.N.
        public let dbAddress: String
        public let appAddress: String
        /// The host's database link, seen from the root namespace (what a cut takes down).
        let dbLink: String
    }

    public static let dbBridge = "klab-db", appBridge = "klab-app"
    public static let rootDB = "10.77.1.1", rootApp = "10.77.2.1"
    static let ip = "/usr/sbin/ip"

    /// Whether this machine lets the test create namespaces (root, iproute2).
    public static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: ip), (try? Command.run(ip, ["netns", "add", "klab-probe"])) != nil else { return false }
        _ = try? Command.run(ip, ["netns", "del", "klab-probe"])
        return true
    }()

    /// Creates the two bridges, first removing what a crashed run may have left.
    public init() throws {
        Self.removeAll()
        for (bridge, address) in [(Self.dbBridge, Self.rootDB), (Self.appBridge, Self.rootApp)] {
            try Command.run(Self.ip, ["link", "add", bridge, "type", "bridge"])
            try Command.run(Self.ip, ["addr", "add", "\(address)/24", "dev", bridge])
            try Command.run(Self.ip, ["link", "set", bridge, "up"])
        }
    }

    /// A host `name` (short: it names interfaces) with addresses .`index` on both networks,
    /// or on the database network only.
    public func addHost(_ name: String, index: Int, app: Bool = true) throws -> Host {
        let namespace = "klab-\(name)"
        try Command.run(Self.ip, ["netns", "add", namespace])
        try Command.run(Self.ip, ["-n", namespace, "link", "set", "lo", "up"])
        var links: [(bridge: String, inside: String, subnet: Int)] = [(Self.dbBridge, "db0", 1)]
        if app { links.append((Self.appBridge, "app0", 2)) }
        for link in links {
            let outside = "klab-\(name)-\(link.subnet == 1 ? "d" : "a")"
            try Command.run(Self.ip, ["link", "add", outside, "type", "veth", "peer", "name", link.inside, "netns", namespace])
            try Command.run(Self.ip, ["link", "set", outside, "master", link.bridge, "up"])
            try Command.run(Self.ip, ["-n", namespace, "addr", "add", "10.77.\(link.subnet).\(index)/24", "dev", link.inside])
            try Command.run(Self.ip, ["-n", namespace, "link", "set", link.inside, "up"])
        }
        return Host(name: name, namespace: namespace, dbAddress: "10.77.1.\(index)", appAddress: "10.77.2.\(index)",
                    dbLink: "klab-\(name)-d")
    }

    /// Cuts `host` off from the database network (it still reaches the application network).
    public func cut(_ host: Host) throws { try Command.run(Self.ip, ["link", "set", host.dbLink, "down"]) }

    public func restore(_ host: Host) throws { try Command.run(Self.ip, ["link", "set", host.dbLink, "up"]) }

    /// The command line that runs `executable` inside `host`.
    public func command(on host: Host, _ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (Self.ip, ["netns", "exec", host.namespace, executable] + arguments)
    }

    /// Removes every namespace and bridge of the lab (the hosts' processes must be gone).
    public func tearDown() { Self.removeAll() }

    static func removeAll() {
        let namespaces = (try? Command.run(ip, ["netns", "list"])) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if name.hasPrefix("klab-") { _ = try? Command.run(ip, ["netns", "del", name]) }
        }
        let links = (try? Command.run(ip, ["-o", "link", "show"])) ?? ""
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            let name = String(fields[1].dropLast().split(separator: "@").first ?? "")
            if name.hasPrefix("klab-") { _ = try? Command.run(ip, ["link", "del", name]) }
        }
    }
}

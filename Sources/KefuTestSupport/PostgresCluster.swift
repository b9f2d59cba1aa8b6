import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A throwaway PostgreSQL cluster from the machine's packages: `initdb` into a fresh directory,
/// `postgres` on a free loopback port, stopped and removed when the test process exits (or by
/// `stop()`). Run as root, the server runs as the `postgres` system user, as initdb requires.
public final class PostgresCluster: Sendable {
    public let port: Int
    public let directory: String
    /// The address it listens on; and the network namespace it runs in, if not the test's.
    public let host: String
    let namespace: String?
    let binDirectory: String
    public static let user = "kefu"

    /// How the server is configured.
    public enum Settings: Sendable {
        /// Durability off (`fsync`, `synchronous_commit`, `full_page_writes`): these clusters
        /// hold test data only; restart tests stop the server cleanly or rely on PostgreSQL's own
        /// crash recovery of the WAL.
        case throwaway
        /// PostgreSQL's durable defaults — a commit returns after its WAL is flushed to disk —
        /// with the memory and WAL sizes `docs/deployment.md` recommends. The bench measures on
        /// these, so that "committed before the reply" means what it says.
        case durable
    }

    /// The cluster the behaviour suite (or the bench) shares; each test gets its own database in it.
    public static func shared() async throws -> PostgresCluster {
        try await sharedCluster.value
    }
    /// The settings the shared cluster starts with: `throwaway` unless changed before its first use.
    public static func setSharedSettings(_ settings: Settings) {
        sharedSettings.withLock { $0 = settings }
    }
    private static let sharedSettings = Mutex(Settings.throwaway)
    /// Started once, on first use; callers await it rather than block a thread.
    private static let sharedCluster = Task { try PostgresCluster(settings: sharedSettings.withLock { $0 }) }
    private static let running = Mutex<[String: String]>([:])  // data directory → bin directory
    private let settings: Settings

    /// Starts a new cluster (its own, for tests that stop or restart PostgreSQL).
    /// `namespace`/`host`: a server inside a network namespace (`NetworkLab`), listening on
    /// that host's address.
    public init(settings: Settings = .throwaway, namespace: String? = nil, host: String = "127.0.0.1") throws {
        self.settings = settings
        self.namespace = namespace
        self.host = host
        binDirectory = try Self.findBinaries()
        directory = "/tmp/kefu-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if geteuid() == 0 {
            _ = try Self.run("/bin/chown", ["postgres:postgres", directory])
        }
        try Self.runAsOwner(binDirectory + "/initdb", ["-D", directory + "/data", "-U", Self.user, "-A", "trust", "--no-sync", "-E", "UTF8"])
        if host != "127.0.0.1" {
            // initdb trusts loopback only; a lab's hosts connect over its own network.
            let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/data/pg_hba.conf"))
            try hba.seekToEnd()
            try hba.write(contentsOf: Data("host all all 10.77.0.0/16 trust\n".utf8))
            try hba.close()
        }
        var lastError: (any Error)?
        for _ in 0..<5 {
            let candidate = Int.random(in: 20_000...45_000)
            do {
                try Self.runAsOwner(binDirectory + "/pg_ctl", Self.startArguments(directory: directory, port: candidate, settings: settings, host: host),
                                    namespace: namespace)
                port = candidate
                Self.running.withLock { $0[directory] = binDirectory }
                Self.registerCleanup()
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? PostgresClusterError(message: "could not start PostgreSQL")
    }

    /// A new empty database; its `postgres://` URL.
    public func createDatabase() async throws -> String {
        let name = "kefu_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        try await execute("CREATE DATABASE \(name)", database: "postgres")
        return url(database: name)
    }

    /// Runs one statement as the cluster's superuser in `database` (a name, or a URL this
    /// cluster made) — for set-up outside kefu, such as the bench's `VACUUM ANALYZE`.
    public func execute(_ sql: String, database: String) async throws {
        try await withConnection(database: database) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// The plan PostgreSQL chooses for `sql` (with `$n` placeholders) run with `parameters`
    /// (SQL literals), as `EXPLAIN` prints it, one line per element — a custom plan for those
    /// values, as kefu's unnamed statements get.
    public func plan(_ sql: String, parameters: [String], database: String) async throws -> [String] {
        try await withConnection(database: database) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "PREPARE kefu_plan AS " + sql), logger: logger)
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE kefu_plan(" + parameters.joined(separator: ", ") + ")"), logger: logger)
            var lines: [String] = []
            for try await line in rows.decode(String.self) { lines.append(line) }
            return lines
        }
    }

    /// The first column of each row `sql` returns, as text.
    public func column(_ sql: String, database: String) async throws -> [String?] {
        try await withConnection(database: database) { connection, logger in
            var values: [String?] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String?.self) {
                values.append(value)
            }
            return values
        }
    }

    /// The server's current value of each setting named (as `SHOW` prints it).
    public func settings(_ names: [String]) async throws -> [String: String] {
        try await withConnection(database: "postgres") { connection, logger in
            var values: [String: String] = [:]
            let rows = try await connection.query("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(\(names))", logger: logger)
            for try await (name, value) in rows.decode((String, String).self) { values[name] = value }
            return values
        }
    }

    /// A superuser connection to `database` (a name, or a URL this cluster made), closed after `body`.
    private func withConnection<T>(database: String, _ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let name = database.split(separator: "/").last.map(String.init) ?? database
        let logger = Logger.test("test-pg")
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: Self.user, password: nil, database: name, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection, logger)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public func url(database: String) -> String { "postgres://\(Self.user)@\(host):\(port)/\(database)" }

    /// Stops the server: `fast` (clients disconnected, clean shutdown) or `immediate` (like a crash).
    public func stopServer(mode: String = "fast") throws {
        try Self.runAsOwner(binDirectory + "/pg_ctl", ["-D", directory + "/data", "-m", mode, "-w", "stop"])
    }

    public func startServer() throws {
        try Self.runAsOwner(binDirectory + "/pg_ctl", Self.startArguments(directory: directory, port: port, settings: settings, host: host),
                            namespace: namespace)
    }

    /// Runs `body` while another session holds `EXCLUSIVE` on `table` (reads go on, writes wait):
    /// a stalled database, as a long migration or a full disk would stall it.
    public func whileLocked<T>(_ table: String, database url: String, _ body: () async throws -> T) async throws -> T {
        let name = String(url.split(separator: "/").last ?? "")
        return try await withConnection(database: name) { connection, logger in
            try await connection.query("BEGIN", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN EXCLUSIVE MODE"), logger: logger)
            do {
                let result = try await body()
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// `pg_dump` of a database (plain SQL text): what a backup of it holds.
    public func dump(database url: String) throws -> String {
        let name = String(url.split(separator: "/").last ?? "")
        return try Self.runAsOwner(binDirectory + "/pg_dump", ["-h", host, "-p", "\(port)", "-U", Self.user, "--no-password", name])
    }

    /// Stops the server and removes its files.
    public func stop() {
        try? Self.runAsOwner(binDirectory + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
        Self.running.withLock { _ = $0.removeValue(forKey: directory) }
    }

    private static func startArguments(directory: String, port: Int, settings: Settings, host: String) -> [String] {
        let common = "-p \(port) -k \(directory) -c listen_addresses=\(host) -c max_connections=400 "
        let options = switch settings {
        case .throwaway: common + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB"
        case .durable: common + "-c shared_buffers=1GB -c max_wal_size=4GB -c wal_buffers=64MB"
        }
        return ["-D", directory + "/data", "-l", directory + "/server.log", "-o", options, "-w", "-t", "30", "start"]
    }

    private static func registerCleanup() {
        struct Once { static let registered: Bool = { atexit { PostgresCluster.stopAll() }; return true }() }
        _ = Once.registered
    }

    static func stopAll() {
        for (directory, bin) in running.withLock({ $0 }) {
            try? runAsOwner(bin + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// initdb and postgres beside the target of `pg_ctl` on PATH, else the newest under /usr/lib/postgresql.
    static func findBinaries() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for entry in path.split(separator: ":") {
            let candidate = "\(entry)/pg_ctl"
            guard FileManager.default.fileExists(atPath: candidate) else { continue }
            let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent().path
            if FileManager.default.fileExists(atPath: resolved + "/initdb") { return resolved }
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.fileExists(atPath: bin + "/initdb") { return bin }
        }
        throw PostgresClusterError(message: "PostgreSQL is not installed (no initdb beside pg_ctl or under /usr/lib/postgresql); run scripts/test, which installs it")
    }

    @discardableResult
    static func runAsOwner(_ executable: String, _ arguments: [String], namespace: String? = nil) throws -> String {
        // Root hands the command to the cluster's owner; a namespace wraps whatever runs.
        var command = [executable] + arguments
        if geteuid() == 0 { command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command }
        if let namespace { command = ["/usr/sbin/ip", "netns", "exec", namespace] + command }
        return try run(command[0], Array(command.dropFirst()))
    }

    /// Runs a command to completion (posix_spawn + waitpid), its output to a file rather than a
    /// pipe: `pg_ctl start` leaves the server holding its descriptors, so a pipe never ends.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = "/tmp/kefu-pg-output-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // From /tmp: the server's user may not be able to read the caller's directory.
        let argv = (["/usr/bin/env", "-C", "/tmp", executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else { throw PostgresClusterError(message: "cannot start \(executable): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        guard exited && ((status >> 8) & 0xff) == 0 else {
            throw PostgresClusterError(message: "\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}

public struct PostgresClusterError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

import Foundation

/// A real `kefu` OS process (serve, simulator, …) with its output in a log file. Started with
/// `--port 0`; the port is read from the line the command prints once it listens.
public final class KefuProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched through Foundation's thread-safe Process API, and
    // the other stored properties are immutable after init.
    public let process: Process
    public let logPath: String
    public private(set) var port: Int = 0
    /// Where it listens, as it said (loopback unless it was given another address).
    public private(set) var host = "127.0.0.1"

    /// The built `kefu` executable: beside the test bundle, or `KEFU_BINARY`.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["KEFU_BINARY"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("kefu").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/kefu").path
    }

    /// `kefu-bench`, beside `kefu`.
    public static var benchBinary: String {
        URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("kefu-bench").path
    }

    public init(executable: String = KefuProcess.binary, arguments: [String], environment: [String: String] = [:], directory: String,
                logName: String) throws {
        logPath = "\(directory)/\(logName).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KEFU_") }
        // The tests' shared master key, unless the test names another (or "" for none: an SQLite
        // store then uses the key file beside it).
        env["KEFU_MASTER_KEY_FILE"] = TestMasterKey.file
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Waits for the "listening on http://host:PORT" line and remembers the port.
    @discardableResult
    public func waitUntilListening(timeout: Duration = .seconds(60)) async throws -> Int {
        try await eventually("\(process.arguments?.first ?? "kefu") to listen", timeout: timeout) {
            if !process.isRunning { throw TimedOut(description: "process exited (\(process.terminationStatus)):\n\(output)") }
            guard let range = output.range(of: "listening on http://") else { return false }
            let rest = output[range.upperBound...]
            guard let colon = rest.firstIndex(of: ":") else { return false }
            let digits = rest[rest.index(after: colon)...].prefix { $0.isNumber }
            guard let port = Int(digits), port > 0 else { return false }
            self.port = port
            // A process listening on one address of a lab host (`NetworkLab`) is reached there.
            let address = String(rest[..<colon])
            if address != "0.0.0.0", address != "::", !address.isEmpty { self.host = address }
            return true
        }
        return port
    }

    public var output: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    public var baseURL: String { "http://\(host):\(port)" }

    /// SIGTERM, then waits for the exit. The default outlasts `kefu worker --processes N`'s own 30 s
    /// grace for its children. A process still running at the timeout is SIGKILLed (a supervised
    /// worker's children see their parent go and stop) and the timeout is the error.
    ///
    /// A wrapper such as `faketime` exits on SIGTERM without passing it on, and what it started
    /// would run on, orphaned: the process's descendants are noted first and stopped after it.
    public func stop(timeout: Duration = .seconds(45)) async throws {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        let descendants = ProcessStatus.descendants(of: pid)
        process.terminate()
        do {
            try await eventually("process to exit", timeout: timeout) { !process.isRunning }
            let left = descendants.filter(ProcessStatus.isAlive)
            for child in left { Foundation.kill(child, SIGTERM) }
            try await eventually("what it started to exit", timeout: timeout) { !left.contains(where: ProcessStatus.isAlive) }
        } catch {
            for victim in [pid] + descendants + ProcessStatus.descendants(of: pid) { Foundation.kill(victim, SIGKILL) }
            throw error
        }
    }

    /// SIGKILL: no chance to clean up.
    public func kill() async throws {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        try await eventually("process to die") { !process.isRunning }
    }

    /// A process nobody stopped goes with its descendants.
    deinit {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        for victim in ProcessStatus.descendants(of: pid) + [pid] { Foundation.kill(victim, SIGKILL) }
    }
}

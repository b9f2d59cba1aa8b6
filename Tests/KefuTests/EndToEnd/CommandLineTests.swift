import Foundation
import KefuCore
import KefuTestSupport
import Testing

extension EndToEnd {
/// What a new user meets at the command line: a busy port, `--version`, the help texts.
@Suite("Command line")
struct CommandLineTests {
    /// Runs `kefu arguments` to its end (within `timeout`); its exit code and output.
    static func run(_ arguments: [String], in directory: TemporaryDirectory, timeout: Duration = .seconds(20)) async throws -> (Int32, String) {
        let process = try KefuProcess(arguments: arguments, directory: directory.path, logName: "cmd-\(UUID().uuidString.prefix(6))")
        try await eventually("kefu \(arguments.joined(separator: " ")) to exit", timeout: timeout) { !process.process.isRunning }
        return (process.process.terminationStatus, process.output)
    }

    /// The output's lines, less the migrations a fresh store logs.
    static func lines(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { !$0.contains("applied migration") }
    }

    @Test("a busy port: serve, a worker's metrics port, the simulator and demo say so in one line and exit 1, store closed, nothing left behind")
    func busyPort() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-cli")
        defer { directory.remove() }
        let busy = try BusyPort()
        // Demo folders already orphaned on this machine (a demo killed by hand, say) are not ours.
        let orphanedBefore = Self.orphanedDemoFolders()
        let cases: [([String], String)] = [
            (["serve", "--port", "\(busy.port)", "--database", "sqlite:\(directory.file("serve.db"))"], "--port"),
            (["worker", "--metrics-port", "\(busy.port)", "--database", "sqlite:\(directory.file("worker.db"))",
              "--wechat-api", "http://127.0.0.1:9"], "--metrics-port"),
            (["worker", "--processes", "2", "--metrics-port", "\(busy.port - 1)", "--database", "sqlite:\(directory.file("workers.db"))",
              "--wechat-api", "http://127.0.0.1:9"], "--metrics-port"),
            (["simulator", "--port", "\(busy.port)"], "--port"),
            (["demo", "--port", "\(busy.port)", "--simulator-port", "0", "--exit-when-done"], "--port"),
            (["demo", "--port", "0", "--simulator-port", "\(busy.port)", "--exit-when-done"], "--simulator-port"),
        ]
        for (arguments, option) in cases {
            // The `--processes 2` case needs port - 1 free for the first worker; skip it if not.
            if arguments.contains("--processes"), (try? BusyPort(port: busy.port - 1)) == nil { continue }
            let (status, output) = try await Self.run(arguments, in: directory, timeout: .seconds(15))
            let expected = "127.0.0.1:\(busy.port) is already in use; pick another with \(option)"
            #expect(status == 1, "kefu \(arguments[0]): exit \(status)\n\(output)")
            #expect(Self.lines(output).contains { $0.hasSuffix(expected) }, "\(output)")
            #expect(!output.contains("Assertion failed"), "\(output)")
            #expect(!output.contains("Fatal error"), "\(output)")
            #expect(!output.contains("failed"), "no cancellation noise: \(output)")
            if arguments[0] == "serve" || arguments[0] == "simulator" || arguments[0] == "demo" {
                #expect(Self.lines(output).count == 1, "one line: \(output)")
            }
        }
        // No demo of these left its temporary folder behind.
        let orphaned = Self.orphanedDemoFolders().subtracting(orphanedBefore)
        #expect(orphaned.isEmpty, "\(orphaned)")
        _ = busy
    }

    /// `kefu-demo-<pid>` folders in the temporary directory whose process is gone.
    static func orphanedDemoFolders() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
        return Set(names.filter { name in
            guard name.hasPrefix("kefu-demo-"), let pid = Int32(name.dropFirst("kefu-demo-".count)) else { return false }
            return kill(pid, 0) != 0
        })
    }

    @Test("migrations are part of the start: a database that cannot be migrated stops serve and worker with the reason, before anything listens")
    func migrationFailureStops() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-cli")
        defer { directory.remove() }
        let url = try await PostgresCluster.shared().url(database: "kefu_cli_no_such_database")
        for arguments in [["serve", "--port", "0"], ["worker", "--wechat-api", "http://127.0.0.1:9"]] {
            let (status, output) = try await Self.run(arguments + ["--database", url], in: directory, timeout: .seconds(30))
            #expect(status == 1, "kefu \(arguments[0]): exit \(status)\n\(output)")
            #expect(output.contains("\"kefu_cli_no_such_database\" does not exist"), "\(output)")
            #expect(!output.contains("is listening"), "\(output)")
            #expect(!output.contains("worker running"), "\(output)")
            #expect(!output.contains("Fatal error"), "\(output)")
        }
    }

    @Test("--version, and help that says each default once and lists only the options a command uses")
    func helpTexts() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-cli")
        defer { directory.remove() }
        let (status, version) = try await Self.run(["--version"], in: directory)
        #expect(status == 0)
        #expect(version.trimmingCharacters(in: .whitespacesAndNewlines) == KefuVersion.current)
        let serve = try await Self.run(["serve", "--help"], in: directory).1
        #expect(serve.contains("KEFU_ADMIN_TOKEN"))
        for command in ["demo", "simulator", "serve", "worker"] {
            let help = try await Self.run([command, "--help"], in: directory).1
            for line in help.split(separator: "\n") {
                let defaults = line.components(separatedBy: "default").count - 1
                #expect(defaults <= 1, "kefu \(command) --help: \(line)")
            }
        }
        let simulator = try await Self.run(["simulator", "--help"], in: directory).1
        #expect(!simulator.contains("--database"))
        #expect(!simulator.contains("--wechat-api"))
        #expect(simulator.contains("--window-policy"))
    }

    @Test("serve: the banner's curl works as printed, and shutdown is one line when it starts and one when done")
    func banner() async throws {
        let directory = try TemporaryDirectory(prefix: "kefu-cli")
        defer { directory.remove() }
        let serve = try KefuProcess(arguments: ["serve", "--port", "0", "--database", "sqlite:\(directory.file("kefu.db"))"],
                                    directory: directory.path, logName: "serve")
        try await serve.waitUntilListening()
        // The printed example: the URL and the JSON between -d '…'.
        let output = serve.output
        let json = try #require(output.range(of: "-d '").map { String(output[$0.upperBound...].prefix { $0 != "'" }) })
        let created = try await TestHTTP.post("\(serve.baseURL)/api/v1/accounts", json, headers: [("Content-Type", "application/json")])
        #expect(created.status == 201, "\(created.body)")
        let before = serve.output.count
        try await serve.stop()
        let shutdown = Self.lines(String(serve.output.dropFirst(before)))
        #expect(shutdown == ["kefu serve: shutting down — finishing in-flight work", "kefu serve: stopped"], "\(shutdown)")
        #expect(serve.process.terminationStatus == 0)
    }
}
}

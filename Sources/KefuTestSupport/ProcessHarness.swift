import AsyncHTTPClient
import Foundation
import KefuCore
import NIOCore
import NIOHTTP1

/// Real OS processes for end-to-end tests: a `kefu simulator` and one or more `kefu serve`
/// sharing one store (a SQLite file in a temporary directory, or a PostgreSQL database), driven over HTTP.
public final class ProcessHarness: @unchecked Sendable {
    // @unchecked: the mutable `servers` array is only touched from the test's own task.
    public let directory: TemporaryDirectory
    public let policyPath: String
    public let adminToken = "e2e-admin-token-0123456789"
    public let simulator: KefuProcess
    public private(set) var server: KefuProcess?
    /// The `--database` every process of the harness shares.
    public let database: String

    /// A harness on a fresh store of `backend`, or on `database` when given (e.g. a test's own
    /// PostgreSQL cluster that it stops and starts).
    public init(policy: String, backend: StoreBackend = .sqlite, database: String? = nil, simulatorExtra: [String] = []) async throws {
        directory = try TemporaryDirectory(prefix: "kefu-e2e")
        if let database {
            self.database = database
        } else {
            self.database = try await backend.freshURL(in: directory)
        }
        policyPath = directory.file("policy.json")
        try policy.write(toFile: policyPath, atomically: true, encoding: .utf8)
        simulator = try KefuProcess(arguments: ["simulator", "--port", "0", "--window-policy", policyPath] + simulatorExtra,
                                    directory: directory.path, logName: "simulator")
        try await simulator.waitUntilListening()
    }

    /// Starts (or restarts) `kefu serve` on the shared database.
    @discardableResult
    public func startServer(extra: [String] = []) async throws -> KefuProcess {
        let process = try KefuProcess(
            arguments: ["serve", "--port", "0", "--database", database, "--window-policy", policyPath,
                        "--wechat-api", simulator.baseURL] + extra,
            environment: ["KEFU_ADMIN_TOKEN": adminToken], directory: directory.path,
            logName: "serve-\(UUID().uuidString.prefix(6))")
        try await process.waitUntilListening()
        server = process
        return process
    }

    /// Starts `kefu worker --processes N` on the shared database.
    public func startWorkers(processes: Int, extra: [String] = []) async throws -> KefuProcess {
        let process = try KefuProcess(
            arguments: ["worker", "--processes", "\(processes)", "--database", database, "--window-policy", policyPath,
                        "--wechat-api", simulator.baseURL] + extra,
            environment: [:], directory: directory.path, logName: "workers-\(UUID().uuidString.prefix(6))")
        try await eventually("\(processes) worker processes to start") {
            process.output.components(separatedBy: "kefu worker running").count - 1 >= processes
        }
        return process
    }

    /// PIDs of the worker processes a supervisor announced (latest first per slot).
    public static func workerPIDs(_ supervisor: KefuProcess) -> [Int32] {
        supervisor.output.split(separator: "\n").compactMap { line in
            guard line.contains("worker process"), let open = line.range(of: "(pid ") else { return nil }
            return Int32(line[open.upperBound...].prefix { $0.isNumber })
        }
    }

    public var auth: [(String, String)] { [("Authorization", "Bearer \(adminToken)")] }

    /// Adds the account to kefu and to the simulator (pointing its callbacks at kefu).
    /// `callbackVia`: the servers WeChat's pushes reach (through a load balancer); default the latest.
    /// `materials`: the account's permanent material on WeChat (media ids that never expire);
    /// `agents`: its customer-service agent accounts.
    public func addAccount(_ account: Account, mode: String, dailyQuota: Int = 500_000, callbackVia: [KefuProcess]? = nil,
                           materials: [String] = ProcessHarness.materials, agents: [String] = []) async throws {
        guard let server else { throw TimedOut(description: "no server running") }
        var body: [String: Any] = ["appid": account.appid, "app_secret": account.appSecret, "token": account.token,
                                   "send_rate": account.sendRate, "reserve": account.reserve]
        if let key = account.encodingAESKey { body["encoding_aes_key"] = key }
        if let original = account.originalId { body["original_id"] = original }
        let created = try await TestHTTP.post("\(server.baseURL)/api/v1/accounts", TestHTTP.json(body), headers: auth)
        guard created.status == 201 else { throw TimedOut(description: "account not created: \(created.status) \(created.body)") }
        var sim: [String: Any] = ["appid": account.appid, "secret": account.appSecret, "token": account.token, "mode": mode,
                                  "daily_quota": dailyQuota, "materials": materials, "agents": agents,
                                  "callback_url": (callbackVia ?? [server]).map { "\($0.baseURL)/wechat/\(account.appid)" }.joined(separator: ",")]
        if let key = account.encodingAESKey { sim["encoding_aes_key"] = key }
        if let original = account.originalId { sim["original_id"] = original }
        let added = try await TestHTTP.post("\(simulator.baseURL)/sim/accounts", TestHTTP.json(sim))
        guard added.status == 201 else { throw TimedOut(description: "simulator account not created: \(added.body)") }
    }

    /// The permanent material every test account has on the simulated WeChat.
    public static let materials = ["MEDIA_1", "MPNEWS_1", "THUMB_1"]

    /// Uploads a file to kefu's media library (`curl -F type=… -F file=@…`); its kefu media id.
    public func uploadMedia(_ appid: String, type: String, _ bytes: [UInt8], filename: String) async throws -> String {
        let body = MediaFiles.multipart([.field("type", type), .file(bytes, filename: filename)])
        var request = HTTPClientRequest(url: "\(server!.baseURL)/api/v1/accounts/\(appid)/media")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: MediaFiles.contentType)
        for (name, value) in auth { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status.code < 300,
              let id = (try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])?["id"] as? String else {
            throw TimedOut(description: "media not uploaded: \(response.status.code) \(answer)")
        }
        return id
    }

    /// Uploads the simulator accepted for an account.
    public func wechatUploads(_ appid: String) async throws -> [[String: Any]] {
        try await TestHTTP.get("\(simulator.baseURL)/sim/uploads?appid=\(appid)").json?["uploads"] as? [[String: Any]] ?? []
    }

    /// kefu's whole audience, every page: openid → (closes_at ms, remaining).
    public func kefuAudience(_ appid: String, pageSize: Int = 100) async throws -> [String: AudienceRow] {
        guard let server else { return [:] }
        var rows: [String: AudienceRow] = [:]
        var cursor: String?
        repeat {
            var url = "\(server.baseURL)/api/v1/accounts/\(appid)/audience?limit=\(pageSize)"
            if let cursor { url += "&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)" }
            let page = try await TestHTTP.get(url, headers: auth).json ?? [:]
            for user in page["users"] as? [[String: Any]] ?? [] {
                let closes = RFC3339.parse(user["window_closes_at"] as? String ?? "") ?? 0
                rows[user["openid"] as! String] = AudienceRow(closesAt: closes, remaining: user["remaining"] as? Int)
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return rows
    }

    /// What the simulator's own rules say is open.
    public func simulatorAudience(_ appid: String) async throws -> [String: AudienceRow] {
        let page = try await TestHTTP.get("\(simulator.baseURL)/sim/audience?appid=\(appid)").json ?? [:]
        var rows: [String: AudienceRow] = [:]
        for user in page["users"] as? [[String: Any]] ?? [] {
            rows[user["openid"] as! String] = AudienceRow(closesAt: (user["window_closes_at"] as! NSNumber).int64Value,
                                                          remaining: user["remaining"] as? Int)
        }
        return rows
    }

    /// Creates a task on kefu; returns its id.
    public func createTask(appid: String, message: String, sendAt: Int64 = 0, name: String = "test") async throws -> Int {
        let at = RFC3339.format(millis: sendAt == 0 ? SystemWallClock().nowMillis() : sendAt)
        let reply = try await TestHTTP.post("\(server!.baseURL)/api/v1/tasks",
            #"{"name": "\#(name)", "appid": "\#(appid)", "send_at": "\#(at)", "message": \#(message)}"#, headers: auth)
        guard reply.status == 201, let id = reply.json?["id"] as? Int else { throw TimedOut(description: "task not created: \(reply.body)") }
        return id
    }

    public func task(_ id: Int) async throws -> [String: Any] {
        try await TestHTTP.get("\(server!.baseURL)/api/v1/tasks/\(id)", headers: auth).json ?? [:]
    }

    public func waitForTask(_ id: Int, status: String, timeout: Duration = .seconds(120)) async throws {
        try await eventually("task \(id) to be \(status)", timeout: timeout, poll: .milliseconds(100)) {
            try await task(id)["status"] as? String == status
        }
    }

    /// Messages the simulator accepted for an account.
    public func received(_ appid: String) async throws -> [[String: Any]] {
        try await TestHTTP.get("\(simulator.baseURL)/sim/messages?appid=\(appid)").json?["messages"] as? [[String: Any]] ?? []
    }

    public func play(_ appid: String, _ actions: [[String: Any]], concurrency: Int = 32) async throws {
        let reply = try await TestHTTP.post("\(simulator.baseURL)/sim/play",
                                            TestHTTP.json(["appid": appid, "actions": actions, "concurrency": concurrency]))
        guard reply.json?["acknowledged"] as? Int == actions.count else { throw TimedOut(description: "play failed: \(reply.body)") }
    }

    public func simulator(_ path: String, _ body: [String: Any]) async throws {
        _ = try await TestHTTP.post("\(simulator.baseURL)\(path)", TestHTTP.json(body))
    }

    public func shutdown() async {
        try? await server?.stop()
        try? await simulator.stop()
        directory.remove()
    }
}

public struct AudienceRow: Equatable, Sendable {
    public var closesAt: Int64
    public var remaining: Int?
}

import Foundation
import KefuCore

/// Real OS processes for end-to-end tests: a `kefu simulator` and one or more `kefu serve`
/// sharing a SQLite file in a temporary directory, driven over HTTP.
public final class ProcessHarness: @unchecked Sendable {
    // @unchecked: the mutable `servers` array is only touched from the test's own task.
    public let directory: TemporaryDirectory
    public let policyPath: String
    public let adminToken = "e2e-admin-token-0123456789"
    public let simulator: KefuProcess
    public private(set) var server: KefuProcess?
    public var database: String { "sqlite:\(directory.file("kefu.db"))" }

    public init(policy: String) async throws {
        directory = try TemporaryDirectory(prefix: "kefu-e2e")
        policyPath = directory.file("policy.json")
        try policy.write(toFile: policyPath, atomically: true, encoding: .utf8)
        simulator = try KefuProcess(arguments: ["simulator", "--port", "0", "--window-policy", policyPath],
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

    public var auth: [(String, String)] { [("Authorization", "Bearer \(adminToken)")] }

    /// Adds the account to kefu and to the simulator (pointing its callbacks at kefu).
    public func addAccount(_ account: Account, mode: String) async throws {
        guard let server else { throw TimedOut(description: "no server running") }
        var body: [String: Any] = ["appid": account.appid, "app_secret": account.appSecret, "token": account.token]
        if let key = account.encodingAESKey { body["encoding_aes_key"] = key }
        if let original = account.originalId { body["original_id"] = original }
        let created = try await TestHTTP.post("\(server.baseURL)/api/v1/accounts", TestHTTP.json(body), headers: auth)
        guard created.status == 201 else { throw TimedOut(description: "account not created: \(created.status) \(created.body)") }
        var sim: [String: Any] = ["appid": account.appid, "secret": account.appSecret, "token": account.token, "mode": mode,
                                  "callback_url": "\(server.baseURL)/wechat/\(account.appid)"]
        if let key = account.encodingAESKey { sim["encoding_aes_key"] = key }
        if let original = account.originalId { sim["original_id"] = original }
        let added = try await TestHTTP.post("\(simulator.baseURL)/sim/accounts", TestHTTP.json(sim))
        guard added.status == 201 else { throw TimedOut(description: "simulator account not created: \(added.body)") }
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

import Foundation
import KefuCore
import KefuStore
import KefuStoreFactory
import KefuTestSupport
import NIOHTTP1
import Testing
import WeChatProtocol

extension EndToEndWaiting {
/// Secrets at rest with real `kefu` processes: three accounts added through the API, the SQLite
/// file or a `pg_dump` searched for their secrets, and a master-key rotation done as the README
/// says, sending before, during and after it.
@Suite("Secrets at rest with real processes", .serialized)
struct SecretsProcessTests {
    static func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:],
                    timeout: Duration = .seconds(60)) async throws -> (Int32, String) {
        let process = try KefuProcess(arguments: arguments, environment: environment, directory: directory.path,
                                      logName: "cmd-\(UUID().uuidString.prefix(6))")
        try await eventually("kefu \(arguments.prefix(2).joined(separator: " ")) to exit", timeout: timeout) { !process.process.isRunning }
        return (process.process.terminationStatus, process.output)
    }

    /// One broadcast per account, completed, and the simulator received it for every talker.
    static func broadcast(_ harness: ProcessHarness, _ accounts: [Account], round: Int) async throws {
        for account in accounts {
            let before = try await harness.received(account.appid).count
            let id = try await harness.createTask(appid: account.appid, message: #"{"msgtype": "text", "text": {"content": "第\#(round)轮"}}"#)
            try await harness.waitForTask(id, status: "completed")
            #expect((try await harness.task(id)["stats"] as? [String: Any])?["sent"] as? Int == 5, "round \(round), \(account.appid)")
            #expect(try await harness.received(account.appid).count == before + 5)
        }
    }

    @Test("3 accounts: no secret in clear in the store; sending works before, during and after `kefu keys rotate`, then with the new key only; a wrong key stops serve in one line",
          arguments: StoreBackend.allCases)
    func rotation(backend: StoreBackend) async throws {
        let harness = try await ProcessHarness(policy: BroadcastProcessTests.messagePolicy, backend: backend)
        do {
            try await harness.startServer(extra: ["--workers", "1"])
            var accounts = (1...3).map { SecretsAtRestTests.account(40 + $0) }
            for (n, account) in accounts.enumerated() {
                try await harness.addAccount(account, mode: "safe")
                try await harness.play(account.appid, BroadcastProcessTests.actions("text", (0..<4).map { "oSecret\(n)_\($0)" }))
            }
            // A new EncodingAESKey for the third: the old one is kept as the previous key, and
            // the simulator's pushes, still sealed with it, keep opening.
            let newAES = SecretsAtRestTests.aesKey()
            let patched = try await TestHTTP.request(.PATCH, "\(harness.server!.baseURL)/api/v1/accounts/\(accounts[2].appid)",
                                                     body: TestHTTP.json(["encoding_aes_key": newAES]), headers: harness.auth)
            #expect(patched.status == 200)
            accounts[2].previousEncodingAESKey = accounts[2].encodingAESKey
            accounts[2].encodingAESKey = newAES
            for (n, account) in accounts.enumerated() {
                try await harness.play(account.appid, BroadcastProcessTests.actions("text", ["oSecret\(n)_4"]))
            }
            try await Self.broadcast(harness, accounts, round: 1)

            // Every secret, the access tokens the sender fetched included.
            let store = try await KefuAppStore.open(harness.database)
            var accessTokens: [String] = []
            for account in accounts { if let token = try await store.accessToken(appid: account.appid)?.token { accessTokens.append(token) } }
            try await store.close()
            #expect(accessTokens.count == 3)
            let secrets = accounts.flatMap { [$0.appSecret, $0.token, $0.encodingAESKey, $0.previousEncodingAESKey].compactMap { $0 } } + accessTokens
            #expect(secrets.count == 13)
            func expectNoSecretStored(_ when: String) async throws {
                let stored = try await SecretsAtRestTests.storedBytes(backend, harness.database)
                #expect(stored.contains(accounts[0].appid), "the search reads the store (\(when))")
                for secret in secrets { #expect(!stored.contains(secret), "\(when): a secret in clear") }
            }
            try await expectNoSecretStored("after adding")

            // The rotation: a new key; every process restarted reading both; `kefu keys rotate`.
            let newKey = harness.directory.file("new.master-key")
            let (generated, generateOutput) = try await Self.run(["keys", "generate", "--out", newKey], in: harness.directory)
            #expect(generated == 0, "\(generateOutput)")
            let newId = try MasterKey.load(path: newKey, option: "test").id
            try await harness.server?.stop()
            try await harness.startServer(extra: ["--workers", "1", "--master-key-file", newKey, "--previous-master-key-file", TestMasterKey.file])
            try await Self.broadcast(harness, accounts, round: 2)
            let (rotated, rotateOutput) = try await Self.run(
                ["keys", "rotate", "--database", harness.database, "--new-key-file", newKey, "--batch-size", "2"], in: harness.directory)
            #expect(rotated == 0, "\(rotateOutput)")
            #expect(rotateOutput.contains("under master key \(newId); none is left under \(TestMasterKey.key.id)"), "\(rotateOutput)")
            try await Self.broadcast(harness, [accounts[0]], round: 3)

            // The new key alone: pushes open (the AES keys) and sending works (AppSecrets, tokens).
            try await harness.server?.stop()
            try await harness.startServer(extra: ["--workers", "1", "--master-key-file", newKey])
            for (n, account) in accounts.enumerated() {
                // The simulator pushes to the new server; the third account's pushes still under its old key.
                let key = n == 2 ? account.previousEncodingAESKey! : account.encodingAESKey!
                try await harness.simulator("/sim/accounts", [
                    "appid": account.appid, "secret": account.appSecret, "token": account.token, "mode": "safe", "encoding_aes_key": key,
                    "daily_quota": 500_000, "materials": ProcessHarness.materials,
                    "callback_url": "\(harness.server!.baseURL)/wechat/\(account.appid)"])
            }
            for (n, account) in accounts.enumerated() {
                try await harness.play(account.appid, BroadcastProcessTests.actions("text", (0..<5).map { "oSecret\(n)_\($0)" }))
            }
            try await Self.broadcast(harness, accounts, round: 4)
            let (_, status) = try await Self.run(["keys", "status", "--database", harness.database, "--master-key-file", newKey], in: harness.directory)
            #expect(status.contains("\(newId): 13 secrets") && !status.contains(TestMasterKey.key.id), "\(status)")
            try await expectNoSecretStored("after the rotation")

            // A wrong key — the old one alone, or another — stops serve with one line naming the key ids.
            let otherKey = harness.directory.file("other.master-key")
            try MasterKey.generate().write(to: otherKey)
            for keyFile in [TestMasterKey.file, otherKey] {
                let (code, output) = try await Self.run(
                    ["serve", "--port", "0", "--workers", "0", "--database", harness.database, "--master-key-file", keyFile], in: harness.directory)
                #expect(code != 0)
                #expect(output.contains("sealed with master key \(newId)"), "\(output)")
                #expect(!output.contains("listening on"))
                for secret in secrets { #expect(!output.contains(secret)) }
            }
        } catch {
            Issue.record("\(error)\n--- serve log ---\n\(harness.server?.output.suffix(3000) ?? "")")
        }
        await harness.shutdown()
    }

    @Test("`swift run kefu serve` on SQLite with no key given: a key file is made beside the database (0600) and announced, and used again at the next start")
    func keyBesideSQLite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = "sqlite:\(directory.file("kefu.db"))"
        var ids: [String] = []
        for round in 0..<2 {
            let process = try KefuProcess(arguments: ["serve", "--port", "0", "--workers", "0", "--database", database],
                                          environment: ["KEFU_MASTER_KEY_FILE": ""], directory: directory.path, logName: "serve-\(round)")
            try await process.waitUntilListening()
            let said = process.output.contains("created the master key file \(directory.file("kefu.db.master-key"))")
            #expect(said == (round == 0), "announced once: \(process.output)")
            try await process.stop()
            ids.append(try MasterKey.load(path: directory.file("kefu.db.master-key"), option: "test").id)
        }
        #expect(ids[0] == ids[1])
        var info = stat()
        #expect(stat(directory.file("kefu.db.master-key"), &info) == 0 && info.st_mode & 0o777 == 0o600)

        // PostgreSQL without a key: one line saying how to make one.
        let (code, output) = try await Self.run(["serve", "--port", "0", "--database", "postgres://kefu@127.0.0.1:1/kefu"], in: directory,
                                            environment: ["KEFU_MASTER_KEY_FILE": ""])
        #expect(code != 0)
        #expect(output.contains("kefu keys generate"), "\(output)")
    }
}
}

import Foundation
import KefuCore
import KefuPostgres
import KefuSQL
import KefuSQLite
import KefuStore
import KefuStoreFactory
import KefuTestSupport
import Logging
import Testing
import WeChatProtocol

/// Secrets at rest: AppSecrets, callback Tokens, EncodingAESKeys (current and previous) and
/// access tokens sealed with AES-GCM under the master key (README, Security).
@Suite("Secrets at rest")
struct SecretsAtRestTests {
    static let place = "accounts.app_secret/wx0000000000000001"

    @Test("a sealed value names its key, hides the secret, opens only in its own place and under its own key, and never twice the same")
    func sealing() throws {
        let old = MasterKey.generate(), new = MasterKey.generate()
        let ring = SecretKeyring(current: old)
        let secret = "s3cret-" + Hex.random(bytes: 12)
        let sealed = ring.seal(secret, place: Self.place)
        #expect(sealed.hasPrefix("kefu1:\(old.id):"))
        #expect(!sealed.contains(secret))
        #expect(try ring.open(sealed, place: Self.place) == secret)
        #expect(ring.seal(secret, place: Self.place) != sealed, "a fresh nonce each time")
        #expect(SecretKeyring.keyId(of: sealed) == old.id)

        // Moved to another column or another account: does not open.
        for place in ["accounts.token/wx0000000000000001", "accounts.app_secret/wx0000000000000002"] {
            #expect(throws: KefuError.self) { try ring.open(sealed, place: place) }
        }
        // Altered anywhere in its body: does not open.
        var bytes = Array(sealed.utf8)
        let index = bytes.count - 5
        bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: KefuError.self) { try ring.open(String(decoding: bytes, as: UTF8.self), place: Self.place) }
        // Another key: a clear error naming both ids, without the secret.
        let error = #expect(throws: KefuError.self) { try SecretKeyring(current: new).open(sealed, place: Self.place) }
        #expect(error?.message.contains(old.id) == true && error?.message.contains(new.id) == true)
        #expect(error?.message.contains(secret) == false)
        // During a rotation: the new key seals, the old one still opens.
        let rotating = SecretKeyring(current: new, previous: [old])
        #expect(try rotating.open(sealed, place: Self.place) == secret)
        #expect(!rotating.isCurrent(sealed))
        #expect(rotating.isCurrent(rotating.seal(secret, place: Self.place)))
        // A value from before encryption passes through, to be sealed when the store starts.
        #expect(try ring.open("plain-value", place: Self.place) == "plain-value")
        #expect(SecretKeyring.keyId(of: "plain-value") == nil)
    }

    @Test("key files: written 0600 and never overwritten; missing, empty, short, binary or directory files are refused without showing their content")
    func keyFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = MasterKey.generate()
        let path = directory.file("master-key")
        try key.write(to: path)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(!MasterKey.isReadableByOthers(path: path))
        #expect(try MasterKey.load(path: path, option: "--master-key-file").id == key.id)
        let again = #expect(throws: KefuError.self) { try MasterKey.generate().write(to: path) }
        #expect(again?.message.contains("already exists") == true)
        #expect(try MasterKey.load(path: path, option: "--master-key-file").id == key.id, "the first key is intact")

        let hostile: [(String, [UInt8])] = [
            ("empty", []),
            ("words", Array("not a key <script>alert(1)</script>\n".utf8)),
            ("short", Array((Data(repeating: 7, count: 31).base64EncodedString() + "\n").utf8)),
            ("long", Array(Data(repeating: 7, count: 33).base64EncodedString().utf8)),
            ("binary", (0..<4096).map { _ in UInt8.random(in: 0...255) }),
            ("raw32", (0..<32).map { _ in UInt8.random(in: 0...255) }),
        ]
        for (name, bytes) in hostile {
            let file = directory.file(name)
            #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
            let error = #expect(throws: KefuError.self, "\(name)") { try MasterKey.load(path: file, option: "--master-key-file") }
            #expect(error?.code == .badConfiguration)
            #expect(error?.message.contains(file) == true)
            #expect(error?.message.contains("alert") == false)
        }
        for path in [directory.file("missing"), directory.path] {
            let error = #expect(throws: KefuError.self) { try MasterKey.load(path: path, option: "--master-key-file") }
            #expect(error?.message.contains("kefu keys generate") == true)
        }
        // A key file others may read still works (it is only warned about).
        chmod(path, 0o644)
        #expect(MasterKey.isReadableByOthers(path: path))
    }

    @Test("where the key comes from: a file beside the SQLite database, made once (0600, announced); PostgreSQL needs one given")
    func keyResolution() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = "sqlite:\(directory.file("kefu.db"))"
        var said: [String] = []
        let first = try MasterKeyFiles.keyring(database: database, keyFile: nil, previousKeyFile: nil, logger: .test()) { said.append($0) }
        let beside = directory.file("kefu.db.master-key")
        var info = stat()
        #expect(stat(beside, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(said.count == 1 && said[0].contains(beside) && said[0].contains(first.current.id))
        let second = try MasterKeyFiles.keyring(database: database, keyFile: "", previousKeyFile: nil, logger: .test()) { said.append($0) }
        #expect(second.current.id == first.current.id && said.count == 1, "the same key, nothing said")

        let other = directory.file("other-key")
        try MasterKey.generate().write(to: other)
        let given = try MasterKeyFiles.keyring(database: database, keyFile: other, previousKeyFile: beside, logger: .test()) { said.append($0) }
        #expect(given.current.id != first.current.id && given.previous.map(\.id) == [first.current.id])

        let error = #expect(throws: KefuError.self) {
            try MasterKeyFiles.keyring(database: "postgres://kefu:pw@127.0.0.1:5432/kefu", keyFile: nil, previousKeyFile: nil, logger: .test()) { _ in }
        }
        #expect(error?.message.contains("kefu keys generate") == true)
        #expect(error?.message.contains("pw") == false)
    }

    @Test("a wrong master key stops the start with the key ids; with the old key as previous the store opens, rotates, and then needs only the new key",
          arguments: StoreBackend.allCases)
    func wrongKeyAndRotation(backend: StoreBackend) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = try await backend.freshURL(in: directory)
        let old = SecretKeyring(current: .generate()), new = MasterKey.generate()
        let account = Self.account(1)
        try await Self.withStore(url, old) { (store: any KefuStore) async throws in
            try await store.createAccount(account)
            try await store.storeAccessToken(appid: account.appid, token: StoredAccessToken(token: "ACCESS_" + Hex.random(bytes: 16), expiresAt: .max))
        }
        let error = await #expect(throws: KefuError.self) { try await Self.withStore(url, SecretKeyring(current: new)) { _ in } }
        #expect(error?.message.contains(old.current.id) == true && error?.message.contains(new.id) == true)
        #expect(error?.message.contains(account.appSecret) == false)

        let rotating = SecretKeyring(current: new, previous: [old.current])
        try await Self.withStore(url, rotating) { (store: any KefuStore) async throws in
            #expect(try await store.account(appid: account.appid) == account)
            #expect(try await store.secretKeyCounts() == [old.current.id: 4])
            let report = try await store.resealSecrets(batchSize: 1) { _ in }
            #expect(report.resealed == 4 && report.stale == 0)
            #expect(try await store.secretKeyCounts() == [new.id: 4])
        }
        try await Self.withStore(url, SecretKeyring(current: new)) { (store: any KefuStore) async throws in
            #expect(try await store.account(appid: account.appid) == account)
            #expect(try await store.accessToken(appid: account.appid)?.token.hasPrefix("ACCESS_") == true)
        }
    }

    @Test("plain secrets from before encryption are sealed when the store starts, and leave no trace in the SQLite file or a pg_dump",
          arguments: StoreBackend.allCases)
    func plainSecretsSealed(backend: StoreBackend) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = try await backend.freshURL(in: directory)
        let ring = SecretKeyring(current: .generate())
        var accounts = (1...3).map(Self.account)
        accounts[2].previousEncodingAESKey = Self.aesKey()
        let accessToken = "ACCESS_" + Hex.random(bytes: 20)
        try await Self.withStore(url, ring) { (store: any KefuStore) async throws in
            for account in accounts { try await store.createAccount(account) }
            try await store.storeAccessToken(appid: accounts[0].appid, token: StoredAccessToken(token: accessToken, expiresAt: .max))
            // As a kefu from before encryption left them: every secret in plain text.
            for account in accounts {
                try await Self.run(store, """
                    UPDATE accounts SET app_secret = \(account.appSecret), token = \(account.token),
                        encoding_aes_key = \(account.encodingAESKey), previous_encoding_aes_key = \(account.previousEncodingAESKey)
                    WHERE appid = \(account.appid)
                    """)
            }
            try await Self.run(store, "UPDATE access_tokens SET token = \(accessToken)")
        }
        let secrets = accounts.flatMap { [$0.appSecret, $0.token, $0.encodingAESKey, $0.previousEncodingAESKey].compactMap { $0 } } + [accessToken]
        #expect(secrets.count == 11)
        let before = try await Self.storedBytes(backend, url)
        #expect(secrets.allSatisfy { before.contains($0) }, "the check can see a plain secret")

        try await Self.withStore(url, ring) { (store: any KefuStore) async throws in
            for account in accounts { #expect(try await store.account(appid: account.appid) == account) }
            #expect(try await store.accessToken(appid: accounts[0].appid)?.token == accessToken)
            #expect(try await store.secretKeyCounts() == [ring.current.id: 11])
        }
        let after = try await Self.storedBytes(backend, url)
        for secret in secrets { #expect(!after.contains(secret), "\(secret.prefix(6))… still in clear") }
    }

    // MARK: helpers

    static func aesKey() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<43).map { _ in alphabet.randomElement()! })
    }

    /// An account whose every secret is random, so that finding it in a file means it leaked.
    static func account(_ n: Int) -> Account {
        Account(appid: TestAccounts.appid(n), appSecret: Hex.random(bytes: 16), token: "tok" + Hex.random(bytes: 8), encodingAESKey: aesKey(),
                name: "secret test \(n)")
    }

    static func withStore(_ url: String, _ ring: SecretKeyring, _ body: (any KefuStore) async throws -> Void) async throws {
        let store = try await StoreFactory.open(url, secrets: ring, logger: .test(), acquireTimeout: StoreBackend.testAcquireTimeout)
        try await withRunningStore(store, body)
    }

    static func run(_ store: any KefuStore, _ sql: SQL) async throws {
        if let store = store as? SQLiteStore {
            _ = try await store.inTransaction { db in try await db.run(sql) }
        } else if let store = store as? PostgresStore {
            _ = try await store.inTransaction { db in try await db.run(sql) }
        }
    }

    /// What the store keeps on disk, as text: the SQLite file with its WAL and shared memory, or
    /// a `pg_dump` of the PostgreSQL database (a backup).
    static func storedBytes(_ backend: StoreBackend, _ url: String) async throws -> String {
        switch backend {
        case .sqlite:
            let path = StoreFactory.sqlitePath(url)!
            return ["", "-wal", "-shm"].compactMap { FileManager.default.contents(atPath: path + $0) }
                .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
        case .postgres:
            return try await PostgresCluster.shared().dump(database: url)
        }
    }
}

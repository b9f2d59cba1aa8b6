import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import Logging
import NIOCore

/// Runs the real application (`buildApplication`) over live HTTP on loopback with a fresh store.
enum KefuAppHarness {
    struct Context {
        let client: any TestClientProtocol
        let store: any KefuStore
        let metrics: KefuMetrics
        let adminToken: String?

        var auth: HTTPFields {
            var fields: HTTPFields = [.contentType: "application/json"]
            if let adminToken { fields[.authorization] = "Bearer \(adminToken)" }
            return fields
        }

        func api(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil) async throws -> TestResponse {
            try await client.execute(uri: "/api/v1\(path)", method: method, headers: auth, body: body.map { ByteBuffer(string: $0) })
        }

        /// A request with a raw body and its own content type (multipart uploads).
        func send(_ method: HTTPRequest.Method, _ path: String, bytes: [UInt8], contentType: String) async throws -> TestResponse {
            var fields = auth
            fields[.contentType] = contentType
            return try await client.execute(uri: "/api/v1\(path)", method: method, headers: fields, body: ByteBuffer(bytes: bytes))
        }

        func callback(_ method: HTTPRequest.Method, appid: String, query: String, body: String? = nil) async throws -> TestResponse {
            try await client.execute(uri: "/wechat/\(appid)?\(query)", method: method, headers: [.contentType: "text/xml"],
                                     body: body.map { ByteBuffer(string: $0) })
        }

        func interactions(_ appid: String, _ openid: String) async throws -> Int {
            try await store.follower(appid: appid, openid: openid, now: SystemWallClock().nowMillis(), recent: 1000)?.recentInteractions.count ?? 0
        }
    }

    static func run(
        backend: StoreBackend, adminToken: String? = "test-admin-token-0123456789",
        configure: (inout KefuConfiguration) -> Void = { _ in },
        accounts: [Account] = [],
        acquireTimeout: Duration = StoreBackend.testAcquireTimeout,
        _ body: @escaping @Sendable (Context) async throws -> Void
    ) async throws {
        try await backend.withStore(acquireTimeout: acquireTimeout) { store, _ in
            for account in accounts { try await store.createAccount(account) }
            var configuration = KefuConfiguration()
            configuration.port = 0
            configuration.adminToken = adminToken
            configuration.windowPolicy = testPolicy
            // These suites run beside every other on two cores, where a commit can take longer
            // than WeChat's 5 s; what they test is not the 4 s answer deadline, which has its own
            // tests (GroupCommitterTests, StoreFullProcessTests).
            configuration.answerPushWithinMillis = 120_000
            configure(&configuration)
            let metrics = KefuMetrics()
            var logger = Logger(label: "kefu-test")
            logger.logLevel = .warning
            let app = try buildApplication(configuration: configuration, store: store, metrics: metrics, logger: logger)
            try await app.test(.live) { client in
                try await body(Context(client: client, store: store, metrics: metrics, adminToken: adminToken))
            }
        }
    }
}

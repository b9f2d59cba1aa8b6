// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kefu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kefu", targets: ["kefu"]),
        .executable(name: "kefu-bench", targets: ["kefu-bench"]),
        .executable(name: "kefu-fuzz", targets: ["kefu-fuzz"]),
        .library(name: "WeChatSimulator", targets: ["WeChatSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Tests only: reads docs/openapi.yaml to hold the served document and the routes to it.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // The domain: interactions, the window policy, accounts. No I/O.
        .target(
            name: "KefuCore",
            swiftSettings: swiftSettings
        ),
        // WeChat's wire protocol: callback signatures, AES (WXBizMsgCrypt), push XML.
        .target(
            name: "WeChatProtocol",
            dependencies: [
                "KefuCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The store roles every backend implements, the logic the backends share (no SQL), and the
        // sealing of secrets at rest (AES-GCM under the master key).
        .target(
            name: "KefuStore",
            dependencies: [
                "KefuCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SQL layer: statements written once for both backends (binds, placeholders, lists,
        // row locking spelled per dialect), and the mapping from rows to domain values.
        .target(
            name: "KefuSQL",
            dependencies: ["KefuCore", "KefuStore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KefuSQLite",
            dependencies: [
                "KefuCore", "KefuStore", "KefuSQL",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL backend: a pooled client, row-locking claims, LISTEN/NOTIFY wake-ups.
        .target(
            name: "KefuPostgres",
            dependencies: [
                "KefuCore", "KefuStore", "KefuSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root's one choice: which backend a `--database` URL names.
        .target(
            name: "KefuStoreFactory",
            dependencies: [
                "KefuCore", "KefuStore", "KefuSQLite", "KefuPostgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Background services: scheduler, sender, trimmer, and the worker-process supervisor.
        .target(
            name: "KefuWorkers",
            dependencies: [
                "KefuCore", "KefuStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP application: callback endpoint, admin API, operations endpoints.
        .target(
            name: "KefuApp",
            dependencies: [
                "KefuCore", "WeChatProtocol", "KefuStore", "KefuWorkers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A local stand-in for WeChat: the API kefu calls, and followers that push callbacks.
        .target(
            name: "WeChatSimulator",
            dependencies: [
                "KefuCore", "WeChatProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin executable: command-line parsing and configuration only.
        .executableTarget(
            name: "kefu",
            dependencies: [
                "KefuCore", "KefuStore", "KefuStoreFactory", "KefuWorkers", "KefuApp", "WeChatProtocol", "WeChatSimulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The benchmark program (load generator, seeding, report), driving real `kefu` processes
        // through the test-support harness.
        .target(
            name: "KefuBench",
            dependencies: [
                "KefuCore", "KefuStore", "KefuStoreFactory", "KefuWorkers", "WeChatSimulator", "KefuTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `kefu-bench`: its own executable, so that `kefu` does not link the test support.
        .executableTarget(
            name: "kefu-bench",
            dependencies: [
                "KefuCore", "KefuBench",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz targets: the parsers that read what strangers send (push XML, the callback
        // opener, message and rule JSON, multipart), each with what must hold of what it accepts.
        .target(
            name: "KefuFuzz",
            dependencies: [
                "KefuCore", "WeChatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer's entry when built by `scripts/fuzz` (-sanitize=fuzzer,address -DKEFU_FUZZ);
        // otherwise a replayer of saved inputs.
        .executableTarget(
            name: "kefu-fuzz",
            dependencies: ["KefuFuzz"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KefuTestSupport",
            dependencies: [
                "KefuCore", "KefuStore", "KefuStoreFactory", "KefuWorkers", "WeChatProtocol", "WeChatSimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KefuTests",
            dependencies: [
                "KefuCore", "WeChatProtocol", "KefuStore", "KefuStoreFactory", "KefuSQL", "KefuSQLite", "KefuPostgres", "KefuWorkers", "KefuApp",
                "WeChatSimulator", "KefuTestSupport", "KefuFuzz",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)

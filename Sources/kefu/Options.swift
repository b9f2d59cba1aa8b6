import ArgumentParser
import Configuration
import Foundation
import KefuApp
import KefuCore
import KefuStore
import KefuStoreFactory
import KefuWorkers
import Logging

/// Options shared by every command. All are optional here so that the environment
/// (`KEFU_<NAME>`) and then the defaults apply when they are absent (swift-configuration's
/// provider order: command line, environment, default).
struct CommonOptions: ParsableArguments {
    @Option(help: "sqlite:PATH (default sqlite:kefu.db) or postgres://user:pass@host:port/db")
    var database: String?

    @Option(help: "JSON file with the window policy (default: WeChat's current rules).")
    var windowPolicy: String?

    @Option(name: .customLong("wechat-api"), help: "WeChat API base URL (default https://api.weixin.qq.com).")
    var wechatAPI: String?

    @Option(help: "JSON file with the media limits per type (default: WeChat's; README, Media).")
    var mediaLimits: String?

    @Option(help: "File with the master key that seals the secrets at rest (default on SQLite: PATH.master-key beside the database, created if absent; required on PostgreSQL). Make one with `kefu keys generate`.")
    var masterKeyFile: String?

    @Option(help: "File with the previous master key, still read during a rotation (README, Security).")
    var previousMasterKeyFile: String?

    @OptionGroup var logging: LoggingOptions

    /// The configuration reader: these options first, then the environment.
    func reader(extra: [AbsoluteConfigKey: ConfigValue] = [:]) -> ConfigReader {
        var values = extra
        if let masterKeyFile { values["kefu.master.key.file"] = .init(.string(masterKeyFile), isSecret: false) }
        if let previousMasterKeyFile { values["kefu.previous.master.key.file"] = .init(.string(previousMasterKeyFile), isSecret: false) }
        if let database { values["kefu.database"] = .init(.string(database), isSecret: database.contains("@")) }
        if let windowPolicy { values["kefu.window.policy"] = .init(.string(windowPolicy), isSecret: false) }
        if let wechatAPI { values["kefu.wechat.api"] = .init(.string(wechatAPI), isSecret: false) }
        if let mediaLimits { values["kefu.media.limits"] = .init(.string(mediaLimits), isSecret: false) }
        return logging.reader(extra: values)
    }
}

/// The master keys for `database`, from `--master-key-file` / `KEFU_MASTER_KEY_FILE` and
/// `--previous-master-key-file` / `KEFU_PREVIOUS_MASTER_KEY_FILE` (`MasterKeyFiles`).
func keyring(_ reader: ConfigReader, database: String, logger: Logger) throws -> SecretKeyring {
    try MasterKeyFiles.keyring(database: database, keyFile: reader.string(forKey: "kefu.master.key.file"),
                               previousKeyFile: reader.string(forKey: "kefu.previous.master.key.file"), logger: logger, announce: say)
}

/// How a command logs; every command that runs a server takes these.
struct LoggingOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(help: "text (default) or json: one JSON object per line on standard error.")
    var logFormat: String?

    /// The configuration reader: `extra` and these options first, then the environment.
    func reader(extra: [AbsoluteConfigKey: ConfigValue] = [:]) -> ConfigReader {
        var values = extra
        if let logLevel { values["kefu.log.level"] = .init(.string(logLevel), isSecret: false) }
        if let logFormat { values["kefu.log.format"] = .init(.string(logFormat), isSecret: false) }
        return ConfigReader(providers: [
            InMemoryProvider(name: "arguments", values: values),
            EnvironmentVariablesProvider(secretsSpecifier: .specific(["KEFU_ADMIN_TOKEN", "KEFU_DATABASE"])),
        ])
    }
}

/// Options of the commands that run workers (`serve` and `worker`).
struct WorkerOptions: ParsableArguments {
    @Option(help: "Deliveries started and not yet recorded per sender: calls to WeChat in flight and results being written; the most a crash leaves \"outcome unknown\" (default 128).")
    var sendConcurrency: Int?

    @Option(help: "skip (default: at-most-once) or retry (at-least-once): a send that may have reached WeChat before its worker died.")
    var unknownOutcome: String?

    @Option(help: "Seconds a worker's claim on a delivery lasts (default 60); a dead worker's claims expire after it.")
    var leaseSeconds: Int?

    @Option(help: "Seconds between trimmer passes (default 30).")
    var trimInterval: Int?

    @Option(help: "Seconds after which a library file's WeChat media id is uploaded again before use (default 216000, 2.5 days; WeChat keeps it 3).")
    var mediaMaxAge: Int?

    @Option(help: "Days the interaction log is kept (default 30).")
    var logRetentionDays: Int?

    @Option(help: "Days the audit log is kept (default 365).")
    var auditRetentionDays: Int?

    @Option(name: .customLong("wechat-unreachable-after"),
            help: "Seconds WeChat may be unreachable before accounts are paused with 'WeChat unreachable' and probed (default 60).")
    var wechatUnreachableAfter: Int?

    func values() -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let sendConcurrency { values["kefu.send.concurrency"] = .init(.string("\(sendConcurrency)"), isSecret: false) }
        if let leaseSeconds { values["kefu.lease.seconds"] = .init(.string("\(leaseSeconds)"), isSecret: false) }
        if let unknownOutcome { values["kefu.unknown.outcome"] = .init(.string(unknownOutcome), isSecret: false) }
        if let trimInterval { values["kefu.trim.interval"] = .init(.string("\(trimInterval)"), isSecret: false) }
        if let mediaMaxAge { values["kefu.media.max.age"] = .init(.string("\(mediaMaxAge)"), isSecret: false) }
        if let logRetentionDays { values["kefu.log.retention.days"] = .init(.string("\(logRetentionDays)"), isSecret: false) }
        if let auditRetentionDays { values["kefu.audit.retention.days"] = .init(.string("\(auditRetentionDays)"), isSecret: false) }
        if let wechatUnreachableAfter {
            values["kefu.wechat.unreachable.after"] = .init(.string("\(wechatUnreachableAfter)"), isSecret: false)
        }
        return values
    }
}

/// Turns configuration values into a checked `KefuConfiguration`; each bad value is named.
enum ConfigurationLoader {
    static func load(_ config: ConfigReader) throws -> KefuConfiguration {
        var configuration = KefuConfiguration()
        configuration.database = config.string(forKey: "kefu.database", default: configuration.database)
        configuration.host = config.string(forKey: "kefu.host", default: configuration.host)
        configuration.port = try integer(config, "kefu.port", option: "--port", default: configuration.port)
        configuration.workers = try integer(config, "kefu.workers", option: "--workers", default: configuration.workers)
        configuration.callbackBodyLimit = try integer(config, "kefu.callback.body.limit", option: "--callback-body-limit",
                                                      default: configuration.callbackBodyLimit)
        configuration.maxPendingPushes = try integer(config, "kefu.max.pending.pushes", option: "--max-pending-pushes",
                                                     default: configuration.maxPendingPushes)
        guard (1...1_000_000).contains(configuration.maxPendingPushes) else {
            throw KefuError(.badConfiguration, "--max-pending-pushes: must be between 1 and 1000000")
        }
        configuration.wechatAPI = config.string(forKey: "kefu.wechat.api", default: configuration.wechatAPI)
        guard let url = URL(string: configuration.wechatAPI), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw KefuError(.badConfiguration, "--wechat-api: expected an http(s) URL")
        }
        configuration.adminToken = config.string(forKey: "kefu.admin.token", isSecret: true)
        if let publicURL = config.string(forKey: "kefu.public.url") {
            guard let url = URL(string: publicURL), url.scheme == "http" || url.scheme == "https", url.host != nil,
                  url.query == nil, url.fragment == nil else {
                throw KefuError(.badConfiguration, "--public-url: expected an http(s) URL such as https://kefu.example.cn")
            }
            configuration.publicURL = publicURL
        }
        let secure = config.string(forKey: "kefu.console.secure.cookies", default: "false").lowercased()
        guard ["true", "false", "1", "0"].contains(secure) else {
            throw KefuError(.badConfiguration, "--console-secure-cookies: \"\(secure)\" is not true or false")
        }
        configuration.consoleSecureCookies = secure == "true" || secure == "1"
        configuration.sendConcurrency = try integer(config, "kefu.send.concurrency", option: "--send-concurrency",
                                                    default: configuration.sendConcurrency)
        let outcome = config.string(forKey: "kefu.unknown.outcome", default: "skip")
        guard let policy = UnknownOutcomePolicy(rawValue: outcome) else {
            throw KefuError(.badConfiguration, "--unknown-outcome: \"\(outcome)\" is not skip or retry")
        }
        configuration.unknownOutcome = policy
        let lease = try integer(config, "kefu.lease.seconds", option: "--lease-seconds", default: 60)
        guard (1...3600).contains(lease) else { throw KefuError(.badConfiguration, "--lease-seconds: must be between 1 and 3600") }
        configuration.leaseMillis = Int64(lease) * 1000
        let interval = try integer(config, "kefu.trim.interval", option: "--trim-interval", default: 30)
        guard interval >= 1 else { throw KefuError(.badConfiguration, "--trim-interval: must be at least 1 second") }
        configuration.trimmer.interval = .seconds(interval)
        let retention = try integer(config, "kefu.log.retention.days", option: "--log-retention-days", default: 30)
        guard retention >= 1 else { throw KefuError(.badConfiguration, "--log-retention-days: must be at least 1") }
        configuration.trimmer.logRetentionSeconds = Int64(retention) * 86_400
        let auditRetention = try integer(config, "kefu.audit.retention.days", option: "--audit-retention-days", default: 365)
        guard (1...36_500).contains(auditRetention) else { throw KefuError(.badConfiguration, "--audit-retention-days: must be between 1 and 36500") }
        configuration.trimmer.auditRetentionSeconds = Int64(auditRetention) * 86_400
        let mediaAge = try integer(config, "kefu.media.max.age", option: "--media-max-age", default: 216_000)
        guard (1...259_200).contains(mediaAge) else {
            throw KefuError(.badConfiguration, "--media-max-age: must be between 1 and 259200 seconds (WeChat keeps media 3 days)")
        }
        configuration.mediaMaxAgeMillis = Int64(mediaAge) * 1000
        let unreachable = try integer(config, "kefu.wechat.unreachable.after", option: "--wechat-unreachable-after", default: 60)
        guard (1...86_400).contains(unreachable) else {
            throw KefuError(.badConfiguration, "--wechat-unreachable-after: must be between 1 and 86400 seconds")
        }
        configuration.wechatUnreachableAfterMillis = Int64(unreachable) * 1000
        if let path = config.string(forKey: "kefu.window.policy") {
            configuration.windowPolicy = try loadPolicy(path)
        }
        if let path = config.string(forKey: "kefu.media.limits") {
            configuration.mediaLimits = try loadMediaLimits(path)
        }
        try configuration.validate()
        return configuration
    }

    static func loadPolicy(_ path: String) throws -> WindowPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KefuError(.badConfiguration, "--window-policy: cannot read \(path)")
        }
        do {
            return try WindowPolicy.parse(json: data)
        } catch let error as KefuError {
            throw KefuError(.badConfiguration, "--window-policy \(path): \(error.message)")
        }
    }

    static func loadMediaLimits(_ path: String) throws -> MediaLimits {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KefuError(.badConfiguration, "--media-limits: cannot read \(path)")
        }
        do {
            guard let object = try? JSONSerialization.jsonObject(with: data) else { throw KefuError.invalid("media limits", "is not JSON") }
            return try MediaLimits.parse(object)
        } catch let error as KefuError {
            throw KefuError(.badConfiguration, "--media-limits \(path): \(error.message)")
        }
    }

    static func integer(_ config: ConfigReader, _ key: ConfigKey, option: String, default value: Int) throws -> Int {
        guard let text = config.string(forKey: key) else { return value }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw KefuError(.badConfiguration, "\(option): \"\(text)\" is not a whole number")
        }
        return number
    }

    static func logger(_ config: ConfigReader, label: String = "kefu") throws -> Logger {
        let text = config.string(forKey: "kefu.log.level", default: "info")
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw KefuError(.badConfiguration, "--log-level: \"\(text)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let format = config.string(forKey: "kefu.log.format", default: "text")
        switch format {
        case "text": LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case "json": LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        default: throw KefuError(.badConfiguration, "--log-format: \"\(format)\" is not text or json")
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

/// Errors reach the user as one line, without a stack or a secret.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    /// `withCause`: also say what lay beneath (a store's or the network's own error, which never
    /// carries a URL or a secret), for commands whose user is the operator at the terminal.
    init(_ error: any Error, withCause: Bool = false) {
        if let error = error as? KefuError {
            description = error.message
            if withCause, let underlying = error.underlying { description += ": \(underlying)" }
        } else {
            description = "\(error)"
        }
    }
}

/// Writes a line to standard output at once (unbuffered), so scripts and tests waiting for
/// "listening on" see it even when output goes to a file or pipe.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

import KefuCore
import KefuStore

/// A result row read by column name: what every backend's rows offer, so that the mapping from
/// rows to domain values below is written once for all of them.
public protocol StoreRow {
    func optionalInt64(_ name: String) -> Int64?
    func optionalString(_ name: String) -> String?
    /// A BLOB (SQLite) or BYTEA (PostgreSQL) column.
    func optionalBytes(_ name: String) -> [UInt8]?
}

extension StoreRow {
    public func int64(_ name: String) -> Int64 { optionalInt64(name) ?? 0 }
    public func int(_ name: String) -> Int { Int(int64(name)) }
    public func optionalInt(_ name: String) -> Int? { optionalInt64(name).map(Int.init) }
    public func string(_ name: String) -> String { optionalString(name) ?? "" }
}

/// The tables' columns and their mapping to domain values, shared by the backends (their schemas
/// name and mean the same columns).
public enum StoreRows {
    public static let accountColumns = "appid, app_secret, token, encoding_aes_key, previous_encoding_aes_key, original_id, name, send_rate, daily_budget, reserve, created_at, updated_at"
    public static let taskColumns = "id, appid, name, description, send_at, message, status, created_at, updated_at, snapshot_at"
    public static let ruleColumns = "id, appid, name, trigger_kind, trigger_key, delay_seconds, message, enabled, once_per_follower, cooldown_seconds, created_at, updated_at"
    /// A follower's sends left across the grants `g` aggregated over (a billion when one is
    /// unlimited, its `remaining` NULL): who is in a task's audience, in the snapshot and the
    /// preview alike. (`count(*) > count(g.remaining)`: some grant is unlimited, in both dialects.)
    public static let sendsLeft = "CASE WHEN count(*) > count(g.remaining) THEN 1000000000 ELSE coalesce(sum(g.remaining), 0) END"
    public static let deliveryRecordColumns = "id, openid, state, reason, errcode, attempts, due_at, sent_at, test, wechat_media"

    /// An account row, its secrets opened with `secrets` (`SQLStore+Secrets`).
    public static func account(_ row: some StoreRow, secrets: SecretKeyring) throws -> Account {
        let appid = row.string("appid")
        func secret(_ column: String) throws -> String? {
            try secrets.openIfPresent(row.optionalString(column), place: SecretColumns.place("accounts", column, appid: appid))
        }
        return Account(
            appid: appid, appSecret: try secret("app_secret") ?? "", token: try secret("token") ?? "",
            encodingAESKey: try secret("encoding_aes_key"),
            previousEncodingAESKey: try secret("previous_encoding_aes_key"),
            originalId: row.optionalString("original_id"), name: row.optionalString("name"),
            sendRate: row.int("send_rate"), dailyBudget: row.int("daily_budget"), reserve: row.int("reserve"),
            createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"))
    }

    public static func task(_ row: some StoreRow) throws -> BroadcastTask {
        BroadcastTask(
            id: row.int64("id"), appid: row.string("appid"), name: row.string("name"),
            description: row.optionalString("description"), sendAt: row.int64("send_at"),
            message: try CustomMessage(json: row.string("message")),
            status: BroadcastTask.Status(rawValue: row.string("status")) ?? .scheduled,
            createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"),
            snapshotAt: row.optionalInt64("snapshot_at"))
    }

    public static func rule(_ row: some StoreRow) throws -> DelayedRule {
        DelayedRule(
            id: row.int64("id"), appid: row.string("appid"), name: row.string("name"),
            trigger: .init(kind: row.optionalString("trigger_kind").flatMap(DelayedRule.TriggerKind.init(rawValue:)), key: row.optionalString("trigger_key")),
            delaySeconds: row.int("delay_seconds"), message: try CustomMessage(json: row.string("message")),
            enabled: row.int("enabled") == 1, oncePerFollower: row.int("once_per_follower") == 1,
            cooldownSeconds: row.int("cooldown_seconds"), createdAt: row.int64("created_at"), updatedAt: row.int64("updated_at"))
    }

    public static func deliveryRecord(_ row: some StoreRow) -> DeliveryRecord {
        DeliveryRecord(id: row.int64("id"), openid: row.string("openid"),
                       state: DeliveryState(rawValue: row.string("state")) ?? .pending,
                       reason: row.optionalString("reason"), errcode: row.optionalInt("errcode"),
                       attempts: row.int("attempts"), dueAt: row.int64("due_at"),
                       sentAt: row.optionalInt64("sent_at"), test: row.int("test") == 1, wechatMedia: row.optionalString("wechat_media"))
    }

    /// Counts by state from `(state, n)` rows.
    public static func stateCounts(_ rows: [some StoreRow]) -> [DeliveryState: Int] {
        var counts: [DeliveryState: Int] = [:]
        for row in rows { if let state = DeliveryState(rawValue: row.string("state")) { counts[state] = row.int("n") } }
        return counts
    }

    /// A task's stats from `(state, n)` rows and `(errcode, n)` rows.
    public static func taskStats(states: [some StoreRow], errors: [some StoreRow]) -> TaskStats {
        var stats = TaskStats()
        for row in states {
            let count = row.int("n")
            stats.audience += count
            switch DeliveryState(rawValue: row.string("state")) {
            case .sent: stats.sent += count
            case .failed: stats.failed += count
            case .skipped: stats.skipped += count
            case .cancelled: stats.cancelled += count
            case .waiting, .pending, .sending, nil: stats.pending += count
            }
        }
        for row in errors { stats.errors[row.int("errcode")] = row.int("n") }
        return stats
    }
}

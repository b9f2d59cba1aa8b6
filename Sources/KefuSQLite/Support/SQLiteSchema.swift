/// The embedded store's schema, as numbered migrations. Applied in order, each in one
/// transaction, recorded in `kefu_migrations`.
enum SQLiteSchema {
    static let migrations: [[String]] = [
        // 1: accounts, the window ledger, the interaction log.
        [
            """
            CREATE TABLE accounts (
                appid TEXT PRIMARY KEY,
                app_secret TEXT NOT NULL,
                token TEXT NOT NULL,
                encoding_aes_key TEXT,
                previous_encoding_aes_key TEXT,
                original_id TEXT,
                name TEXT,
                send_rate INTEGER NOT NULL,
                daily_budget INTEGER NOT NULL,
                reserve INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            )
            """,
            // One row per (account, follower). window_closes_at is the closing time of the
            // follower's last usable grant (NULL: no window), so an audience is a range scan
            // of followers_window.
            """
            CREATE TABLE followers (
                appid TEXT NOT NULL,
                openid TEXT NOT NULL,
                subscribed INTEGER NOT NULL,
                last_interaction_at INTEGER NOT NULL,
                last_interaction TEXT NOT NULL,
                last_interaction_id INTEGER NOT NULL,
                unsubscribed_at INTEGER,
                unsubscribed_id INTEGER,
                window_closes_at INTEGER,
                PRIMARY KEY (appid, openid)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX followers_window ON followers (appid, window_closes_at, openid) WHERE window_closes_at IS NOT NULL",
            "CREATE INDEX followers_closing ON followers (window_closes_at) WHERE window_closes_at IS NOT NULL",
            // The grants a follower's actions opened: one per policy entry; remaining NULL = unlimited.
            // opened_id is the log id of the opening interaction: at equal times, arrival order decides.
            """
            CREATE TABLE grants (
                appid TEXT NOT NULL,
                openid TEXT NOT NULL,
                kind TEXT NOT NULL,
                opened_at INTEGER NOT NULL,
                opened_id INTEGER NOT NULL,
                closes_at INTEGER NOT NULL,
                remaining INTEGER,
                PRIMARY KEY (appid, openid, kind)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX grants_closes ON grants (closes_at)",
            // Append-only log; (appid, dedupe_key) makes WeChat's retries land once.
            """
            CREATE TABLE interactions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                appid TEXT NOT NULL,
                openid TEXT NOT NULL,
                kind TEXT NOT NULL,
                detail TEXT NOT NULL,
                key TEXT,
                content TEXT,
                at INTEGER NOT NULL,
                received_at INTEGER NOT NULL,
                dedupe_key TEXT NOT NULL,
                UNIQUE (appid, dedupe_key)
            )
            """,
            "CREATE INDEX interactions_follower ON interactions (appid, openid, id)",
            "CREATE INDEX interactions_received ON interactions (received_at)",
            // Accounts deleted whose rows the trimmer is still purging, batch by batch.
            "CREATE TABLE deleted_accounts (appid TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL)",
        ],
    ]
}

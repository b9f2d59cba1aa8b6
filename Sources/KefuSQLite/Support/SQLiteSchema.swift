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
        // 2: broadcast tasks, the send queue, and each account's sending state.
        [
            """
            CREATE TABLE tasks (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                appid TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT,
                send_at INTEGER NOT NULL,
                message TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                snapshot_at INTEGER
            )
            """,
            "CREATE INDEX tasks_due ON tasks (status, send_at)",
            "CREATE INDEX tasks_account ON tasks (appid, id)",
            // The send queue. Task deliveries take their message from the task (message NULL).
            """
            CREATE TABLE deliveries (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                task_id INTEGER,
                test INTEGER NOT NULL DEFAULT 0,
                appid TEXT NOT NULL,
                openid TEXT NOT NULL,
                message TEXT,
                due_at INTEGER NOT NULL,
                window_closes_at INTEGER NOT NULL,
                state TEXT NOT NULL,
                reason TEXT,
                errcode INTEGER,
                attempts INTEGER NOT NULL DEFAULT 0,
                grant_kind TEXT,
                lease_owner TEXT,
                lease_expires_at INTEGER,
                sent_at INTEGER,
                created_at INTEGER NOT NULL
            )
            """,
            // One delivery per (task, follower): a repeated snapshot cannot duplicate.
            "CREATE UNIQUE INDEX deliveries_task_follower ON deliveries (task_id, openid) WHERE task_id IS NOT NULL AND test = 0",
            // Claims: an account's waiting deliveries, earliest window close first.
            "CREATE INDEX deliveries_queue ON deliveries (appid, window_closes_at) WHERE state = 'pending'",
            "CREATE INDEX deliveries_leases ON deliveries (lease_expires_at) WHERE state = 'sending'",
            "CREATE INDEX deliveries_task ON deliveries (task_id, state)",
            "CREATE INDEX deliveries_follower ON deliveries (appid, openid, id)",
            // Token bucket per account (send_rate), shared by every process.
            "CREATE TABLE send_buckets (appid TEXT PRIMARY KEY, tokens REAL NOT NULL, refilled_at INTEGER NOT NULL)",
            // Sends reserved per account per China-time day (daily_budget).
            "CREATE TABLE send_days (appid TEXT NOT NULL, day INTEGER NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (appid, day))",
            "CREATE TABLE account_pauses (appid TEXT PRIMARY KEY, until INTEGER NOT NULL, reason TEXT NOT NULL)",
            """
            CREATE TABLE access_tokens (
                appid TEXT PRIMARY KEY,
                token TEXT,
                expires_at INTEGER,
                refresh_owner TEXT,
                refresh_until INTEGER
            )
            """,
        ],
        // 3: delayed rules, the delayed queue and the durable trigger position.
        [
            """
            CREATE TABLE rules (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                appid TEXT NOT NULL,
                name TEXT NOT NULL,
                trigger_kind TEXT,
                trigger_key TEXT,
                delay_seconds INTEGER NOT NULL,
                message TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                once_per_follower INTEGER NOT NULL,
                cooldown_seconds INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX rules_account ON rules (appid, id)",
            "CREATE TABLE kefu_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
            // Rules apply from now on: the trigger position starts after the log as it is.
            "INSERT INTO kefu_state (key, value) SELECT 'trigger_position', coalesce(max(id), 0) FROM interactions",
            "INSERT INTO kefu_state (key, value) VALUES ('rules_generation', 0)",
            "ALTER TABLE deliveries ADD COLUMN rule_id INTEGER",
            "ALTER TABLE deliveries ADD COLUMN interaction_id INTEGER",
            "ALTER TABLE deliveries ADD COLUMN trigger_at INTEGER",
            // One delivery per (rule, interaction), whatever happens to the evaluator.
            "CREATE UNIQUE INDEX deliveries_rule_interaction ON deliveries (rule_id, interaction_id) WHERE rule_id IS NOT NULL",
            "CREATE INDEX deliveries_rule_follower ON deliveries (rule_id, openid, trigger_at) WHERE rule_id IS NOT NULL",
            "CREATE INDEX deliveries_rule_state ON deliveries (rule_id, state) WHERE rule_id IS NOT NULL",
            // The delayed queue: waiting deliveries by due time.
            "CREATE INDEX deliveries_waiting ON deliveries (due_at) WHERE state = 'waiting'",
        ],
        // 4: retention of finished deliveries.
        [
            "CREATE INDEX deliveries_created ON deliveries (created_at)",
        ],
        // 5: the (time, log id) of the interaction that decided each follower's subscription.
        [
            "ALTER TABLE followers ADD COLUMN decided_at INTEGER",
            "ALTER TABLE followers ADD COLUMN decided_id INTEGER",
        ],
        // 6: when a claimed delivery's call was about to go out (NULL: claimed, never started).
        // After a crash only started deliveries may have reached WeChat.
        [
            "ALTER TABLE deliveries ADD COLUMN started_at INTEGER",
        ],
        // 7: the media library. The bytes live in the store; wechat_media_id is the temporary
        // id WeChat gave the last upload, and upload_owner/upload_until the right to upload it
        // again (one process at a time, as with tokens).
        [
            """
            CREATE TABLE media (
                id TEXT PRIMARY KEY,
                appid TEXT NOT NULL,
                kind TEXT NOT NULL,
                filename TEXT NOT NULL,
                content_type TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                content BLOB NOT NULL,
                wechat_media_id TEXT,
                wechat_uploaded_at INTEGER,
                upload_owner TEXT,
                upload_until INTEGER
            )
            """,
            "CREATE UNIQUE INDEX media_same_bytes ON media (appid, kind, sha256)",
            "CREATE INDEX media_account ON media (appid, created_at, id)",
            // The WeChat media ids a delivery was sent with, for the per-recipient log.
            "ALTER TABLE deliveries ADD COLUMN wechat_media TEXT",
        ],
        // 8: the operators' console's sessions (the SHA-256 of the cookie, never the cookie).
        [
            """
            CREATE TABLE console_sessions (
                id_hash TEXT PRIMARY KEY,
                csrf TEXT NOT NULL,
                principal TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX console_sessions_expiry ON console_sessions (expires_at)",
        ],
        // 9: the console's pushes-per-hour chart of one account: a range of this index, not a
        // scan of every account's last 48 h.
        ["CREATE INDEX interactions_account_received ON interactions (appid, received_at)"],
        // 10: one-time sign-in links to the console (`kefu demo`, `kefu console-link`): the SHA-256
        // of the code, never the code.
        [
            """
            CREATE TABLE console_links (
                code_hash TEXT PRIMARY KEY,
                principal TEXT NOT NULL,
                expires_at INTEGER NOT NULL
            )
            """,
        ],
        // 11: the audit log — every change through the API or the console, never a body.
        [
            """
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                address TEXT NOT NULL,
                status INTEGER NOT NULL
            )
            """,
            "CREATE INDEX audit_log_at ON audit_log (at)",
        ],
        // 12: named API tokens with a role and an account scope — the SHA-256 of each secret, never the secret.
        [
            """
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                accounts TEXT,
                secret_hash TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                revoked_at INTEGER
            )
            """,
        ],
    ]
}

import KefuSQL
import KefuStore

/// `kefu_record`: one batch of interactions into the window ledger, as a server-side function,
/// so that recording a batch is one statement and one round trip whose plans PostgreSQL keeps
/// per connection, instead of eight statements parsed and planned per batch.
///
/// The steps are those of `SQLiteStore.record`, in its two orders:
/// - a batch without an unsubscribe (nearly every batch, migration 4): the log and the trigger
///   inbox; the grants, none opened before the follower's latest unsubscribe; then per follower
///   the latest interaction and subscription, with the window recomputed from the grants;
/// - a batch with one (migration 3's order, kept): the log and the inbox, the followers, the
///   grants, the unsubscribe mark, the grants an unsubscribe closes, and the windows.
/// An upsert may touch a row once per statement, so each step first reduces the recorded rows to
/// one per follower or per grant: the latest by (time, log id). The upserts write rows in key
/// order (bytewise, as Swift sorts), so two servers recording overlapping batches lock followers
/// and grants in the same order; a deadlock in the later updates is retried whole by `write`.
///
/// Arguments:
/// - the batch, as parallel arrays with one element per interaction. Arrays cannot carry NULL
///   through the client, so `has_key` and `has_content` say whether `key` and `content` are set;
/// - what the window policy makes of each kind, as parallel arrays with one element per kind, so
///   the rules stay in Swift: `subscribes` is 1 or 0 for a kind that decides subscription
///   (0: an unsubscribe) and -1 for one that leaves it as it is; `grant_seconds` is how long the
///   window the kind opens stays open (0: none); `grant_sends` the sends it allows (-1: unlimited);
/// - `now`.
/// Returns the appid and dedupe key of each interaction recorded for the first time.
///
/// The plans are cached for the life of a connection, including their join methods, and the
/// statistics of a young table can say it is tiny. Hash and merge joins and sequential scans are
/// therefore switched off inside the function: every statement touches a batch's worth of rows
/// by key, which is what index lookups in nested loops are for, at any table size.
///
/// A migration's text never changes (`MigrationHistoryTests` pins it): a new version of the
/// function is a new migration with `CREATE OR REPLACE FUNCTION`, built from the pieces below
/// that have not changed.
enum RecordFunction {
    /// Migration 3: the function, and the columns and type it needs.
    static let migration: [String] = [
        "ALTER TABLE followers ADD COLUMN decided_at BIGINT, ADD COLUMN decided_id BIGINT",
        """
        CREATE TYPE kefu_recorded AS (
            id BIGINT, appid TEXT COLLATE "C", openid TEXT COLLATE "C", kind TEXT COLLATE "C",
            at BIGINT, subscribes INTEGER, grant_closes BIGINT, grant_sends BIGINT, dedupe_key TEXT COLLATE "C"
        )
        """,
        """
        CREATE FUNCTION \(signature)
        BEGIN
        \(logStep)

        \(followersThenWindowsSteps)

        \(endStep)
        """,
    ]

    /// Migration 4: a batch without an unsubscribe writes the grants first and the followers
    /// with their windows, two statements fewer than migration 3's order, which an unsubscribe
    /// still needs (the mark must exist before the grants it closes are weighed).
    static let migration4: [String] = [
        """
        CREATE OR REPLACE FUNCTION \(signature)
        BEGIN
        \(logStep)

            IF NOT EXISTS (SELECT 1 FROM unnest(recorded) WHERE subscribes = 0) THEN
        \(indented(grantsFirstSteps))
            ELSE
        \(indented(followersThenWindowsSteps))
            END IF;

        \(endStep)
        """,
    ]

    static let signature = """
        kefu_record(
            p_appid TEXT[], p_openid TEXT[], p_kind TEXT[], p_detail TEXT[],
            p_key TEXT[], p_has_key BOOLEAN[], p_content TEXT[], p_has_content BOOLEAN[],
            p_at BIGINT[], p_dedupe_key TEXT[],
            p_policy_kind TEXT[], p_policy_subscribes INTEGER[], p_policy_grant_seconds BIGINT[], p_policy_grant_sends BIGINT[],
            p_now BIGINT
        ) RETURNS TABLE (recorded_appid TEXT, recorded_dedupe_key TEXT) LANGUAGE plpgsql
        SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
        AS $record$
        DECLARE
            recorded kefu_recorded[];
        """

    static let logStep = """
            -- The log and the trigger inbox; imports trigger nothing. A dedupe key repeated in
            -- the batch is recorded once.
            WITH logged AS (
                INSERT INTO interactions (appid, openid, kind, detail, key, content, at, received_at, dedupe_key)
                SELECT i.appid, i.openid, i.kind, i.detail, CASE WHEN i.has_key THEN i.key END,
                       CASE WHEN i.has_content THEN i.content END, i.at, p_now, i.dedupe_key
                FROM unnest(p_appid, p_openid, p_kind, p_detail, p_key, p_has_key, p_content, p_has_content, p_at, p_dedupe_key)
                    WITH ORDINALITY AS i(appid, openid, kind, detail, key, has_key, content, has_content, at, dedupe_key, ord)
                ORDER BY i.ord
                ON CONFLICT (appid, dedupe_key) DO NOTHING
                RETURNING interactions.id, interactions.appid, interactions.openid, interactions.kind, interactions.at,
                          interactions.detail, interactions.dedupe_key
            ), inbox AS (
                INSERT INTO trigger_inbox (interaction_id) SELECT l.id FROM logged l WHERE l.detail <> 'import'
            )
            SELECT array_agg(ROW(l.id, l.appid, l.openid, l.kind, l.at, coalesce(p.subscribes, -1),
                                 CASE WHEN p.grant_seconds > 0 THEN l.at + p.grant_seconds * 1000 ELSE 0 END,
                                 coalesce(p.grant_sends, -1), l.dedupe_key)::kefu_recorded)
            INTO recorded
            FROM logged l
            LEFT JOIN unnest(p_policy_kind, p_policy_subscribes, p_policy_grant_seconds, p_policy_grant_sends)
                AS p(kind, subscribes, grant_seconds, grant_sends) ON p.kind = l.kind;
            IF recorded IS NULL THEN
                RETURN;
            END IF;
        """

    /// Per follower, from the recorded rows: the latest interaction (`ats[1]`, `kinds[1]`,
    /// `ids[1]`), the latest deciding subscription (`subscribes[1]`, `decided_ats[1]`,
    /// `decided_ids[1]`), and `closes`, the latest close among this batch's grants.
    static let followersInBatch = """
            FROM (SELECT appid, openid,
                         array_agg(at ORDER BY at DESC, id DESC) AS ats,
                         array_agg(kind ORDER BY at DESC, id DESC) AS kinds,
                         array_agg(id ORDER BY at DESC, id DESC) AS ids,
                         array_agg(subscribes ORDER BY at DESC, id DESC) FILTER (WHERE subscribes >= 0) AS subscribes,
                         array_agg(at ORDER BY at DESC, id DESC) FILTER (WHERE subscribes >= 0) AS decided_ats,
                         array_agg(id ORDER BY at DESC, id DESC) FILTER (WHERE subscribes >= 0) AS decided_ids,
                         CASE WHEN bool_or(subscribes = 0) THEN NULL
                              ELSE max(grant_closes) FILTER (WHERE grant_closes > p_now AND grant_sends <> 0) END AS closes
                  FROM unnest(recorded) GROUP BY appid, openid) c
        """

    static let followerColumns = """
            INSERT INTO followers (appid, openid, subscribed, last_interaction_at, last_interaction, last_interaction_id,
                                   decided_at, decided_id, window_closes_at)
            SELECT appid, openid, coalesce(subscribes[1], 1), ats[1], kinds[1], ids[1],
                   coalesce(decided_ats[1], 0), coalesce(decided_ids[1], 0),
        """

    /// Grants still open, the latest per kind, with `condition` (a line) among their filters.
    static func grantsUpsert(_ condition: String? = nil) -> String {
        """
            INSERT INTO grants (appid, openid, kind, opened_at, opened_id, closes_at, remaining)
            SELECT appid, openid, kind, at, id, grant_closes, nullif(grant_sends, -1)
            FROM (SELECT DISTINCT ON (appid, openid, kind) * FROM unnest(recorded) WHERE grant_closes > 0
                  ORDER BY appid, openid, kind, at DESC, id DESC) g
            WHERE grant_closes > p_now\(condition.map { "\n" + $0 } ?? "")
            ORDER BY appid, openid, kind
            ON CONFLICT (appid, openid, kind) DO UPDATE SET
                opened_at = excluded.opened_at, opened_id = excluded.opened_id,
                closes_at = excluded.closes_at, remaining = excluded.remaining
            WHERE (excluded.opened_at, excluded.opened_id) > (grants.opened_at, grants.opened_id);
        """
    }

    /// Migration 4's order, for a batch without an unsubscribe.
    static let grantsFirstSteps = """
            -- No unsubscribe in the batch: the grants first, none opened before the follower's
            -- latest unsubscribe (one recorded earlier, which may have arrived first).
        \(grantsUpsert("""
                  AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.appid = g.appid AND f.openid = g.openid
                                    AND (f.unsubscribed_at, f.unsubscribed_id) > (g.at, g.id))
            """))

            -- Then per follower, as below, each row carrying its window recomputed from the
            -- grants just written; a follower's row is written only if something changed.
        \(followerColumns)
                   (\(PostgresStore.windowSQL(appid: "c.appid", openid: "c.openid", now: "p_now")))
        \(followersInBatch)
            ORDER BY appid, openid
            \(FollowerUpsert.onConflictWithWindow);
        """

    /// Migration 3's order, which a batch with an unsubscribe keeps.
    static let followersThenWindowsSteps = """
            -- Per follower, in one pass (joining the batch with itself would be quadratic, with
            -- hash joins off): the latest interaction; the latest deciding subscription, which
            -- need not be the latest interaction and is kept with its (time, log id) so that one
            -- arriving late is weighed against it; and, for a new follower, its window from this
            -- batch's grants, which the recomputation below then finds unchanged.
        \(followerColumns) closes
        \(followersInBatch)
            ORDER BY appid, openid
            \(FollowerUpsert.onConflict);

            -- Grants still open, the latest per kind.
        \(grantsUpsert())

            -- An unsubscribe closes every grant opened before it, whichever arrived first.
            UPDATE followers f SET unsubscribed_at = u.at, unsubscribed_id = u.id
            FROM (SELECT DISTINCT ON (appid, openid) appid, openid, at, id FROM unnest(recorded)
                  WHERE subscribes = 0 ORDER BY appid, openid, at DESC, id DESC) u
            WHERE f.appid = u.appid AND f.openid = u.openid
              AND (f.unsubscribed_at IS NULL OR (f.unsubscribed_at, f.unsubscribed_id) < (u.at, u.id));
            DELETE FROM grants g USING followers f
            WHERE (f.appid, f.openid) IN (SELECT appid, openid FROM unnest(recorded))
              AND f.unsubscribed_at IS NOT NULL
              AND g.appid = f.appid AND g.openid = f.openid
              AND (g.opened_at, g.opened_id) < (f.unsubscribed_at, f.unsubscribed_id);

            -- The window: the latest close among grants open with sends left.
            UPDATE followers f SET window_closes_at = w.closes
            FROM (SELECT t.appid, t.openid,
                         (\(PostgresStore.windowSQL(appid: "t.appid", openid: "t.openid", now: "p_now"))) AS closes
                  FROM (SELECT DISTINCT appid, openid FROM unnest(recorded)) t) w
            WHERE f.appid = w.appid AND f.openid = w.openid AND f.window_closes_at IS DISTINCT FROM w.closes;
        """

    static let endStep = """
            PERFORM pg_notify('\(PostgresStore.notifyChannel)', '\(WorkTopic.interactions.rawValue)');
            RETURN QUERY SELECT r.appid::text, r.dedupe_key::text FROM unnest(recorded) r;
        END
        $record$
        """

    /// `text` with every line but empty ones indented four spaces more.
    static func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
    }
}

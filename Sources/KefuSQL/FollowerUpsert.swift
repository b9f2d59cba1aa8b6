/// The follower upsert's `ON CONFLICT` clause, the same in both stores' SQL: which parts of the
/// incoming row (an `INSERT INTO followers` with the decided columns) replace the follower's.
///
/// PostgreSQL's migrations 3 and 4 (`kefu_record`) embed this text: a change needs a new
/// PostgreSQL migration replacing the function, or existing databases keep the old rule
/// (`MigrationHistoryTests` fails on such a change).
public enum FollowerUpsert {
    public static let onConflict = """
        ON CONFLICT (appid, openid) DO UPDATE SET
        \(assignments)
        WHERE \(later) OR \(decides)
        """

    /// The same, for an incoming row that also carries the follower's recomputed window
    /// (`window_closes_at`): the window is replaced too, and the row written if only it changed.
    public static let onConflictWithWindow = """
        ON CONFLICT (appid, openid) DO UPDATE SET
        \(assignments),
            window_closes_at = excluded.window_closes_at
        WHERE \(later) OR \(decides) OR followers.window_closes_at IS DISTINCT FROM excluded.window_closes_at
        """

    static let assignments = """
            last_interaction_at = CASE WHEN \(later) THEN excluded.last_interaction_at ELSE followers.last_interaction_at END,
            last_interaction = CASE WHEN \(later) THEN excluded.last_interaction ELSE followers.last_interaction END,
            last_interaction_id = CASE WHEN \(later) THEN excluded.last_interaction_id ELSE followers.last_interaction_id END,
            subscribed = CASE WHEN \(decides) THEN excluded.subscribed ELSE followers.subscribed END,
            decided_at = CASE WHEN \(decides) THEN excluded.decided_at ELSE followers.decided_at END,
            decided_id = CASE WHEN \(decides) THEN excluded.decided_id ELSE followers.decided_id END
        """

    /// The incoming latest interaction is later, by (time, log id), than the follower's.
    static let later = """
        (excluded.last_interaction_at, excluded.last_interaction_id) > (followers.last_interaction_at, followers.last_interaction_id)
        """
    /// The incoming row carries an interaction deciding subscription (a follow, a message, an
    /// unsubscribe) later than the one that decided the follower's. A row without one carries
    /// (0, 0), which decides nothing. Followers recorded before `decided_at` existed (NULL) are
    /// compared with their latest interaction, as they were then.
    static let decides = """
        ((excluded.decided_at, excluded.decided_id) \
        > (coalesce(followers.decided_at, followers.last_interaction_at), coalesce(followers.decided_id, followers.last_interaction_id)))
        """
}

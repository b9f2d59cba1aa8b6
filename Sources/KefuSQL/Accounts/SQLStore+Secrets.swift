import KefuCore
import KefuStore

/// The secrets at rest: every column that holds one, where it is sealed and opened, and the
/// passes that seal plain values (when the store starts) and re-seal under a new master key
/// (`kefu keys rotate`).
public enum SecretColumns {
    public static let accounts = ["app_secret", "token", "encoding_aes_key", "previous_encoding_aes_key"]

    /// The authenticated place of a value: a sealed value opens only in its own row and column.
    public static func place(_ table: String, _ column: String, appid: String) -> String { "\(table).\(column)/\(appid)" }
}

extension SQLStore {
    /// Run once the schema is migrated, before the store serves: opens every stored secret (a
    /// wrong master key stops the start with an error naming the key ids, never garbage sent to
    /// WeChat), and seals the plain values a store from before encryption holds — the data
    /// migration to sealed secrets, repeated harmlessly by every process that starts.
    public func prepareSecrets() async throws -> SecretsReport {
        let report = try await resealPass(batchSize: 200) { SecretKeyring.keyId(of: $0) == nil }
        if report.resealed > 0 { try await scrubFreedSpace() }
        return report
    }

    /// Re-seals every secret not under the current key, in batches of `batchSize` rows (each its
    /// own short transaction, so the store keeps serving), until none is left. The previous key
    /// must be in the ring to open the values sealed with it.
    public func resealSecrets(batchSize: Int = 100, progress: @Sendable (SecretsReport) -> Void = { _ in }) async throws -> SecretsReport {
        var total = SecretsReport()
        for _ in 0..<10 {
            let secrets = secrets
            let pass = try await resealPass(batchSize: batchSize, progress: progress) { !secrets.isCurrent($0) }
            total.checked = pass.checked
            total.resealed += pass.resealed
            total.stale = pass.stale
            if pass.stale == 0 { break }
        }
        return total
    }

    /// One pass over `accounts` and `access_tokens` in key order. Every value is opened; those
    /// `needsSealing` says are re-sealed with the current key and written back only if unchanged
    /// since read (compare and set), so an edit made meanwhile is never overwritten.
    func resealPass(batchSize: Int, progress: @Sendable (SecretsReport) -> Void = { _ in },
                    needsSealing: @escaping @Sendable (String) -> Bool) async throws -> SecretsReport {
        let secrets = secrets
        var report = SecretsReport()
        var after = ""
        while true {
            let rows = try await forReading { [after] db in
                try await db.fetchAll(
                    """
                    SELECT appid, app_secret, token, encoding_aes_key, previous_encoding_aes_key FROM accounts
                    WHERE appid > \(after) ORDER BY appid LIMIT \(batchSize)
                    """).map { row in
                        // A NULL column is absent from `values`.
                        var values: [String: String] = [:]
                        for column in SecretColumns.accounts { values[column] = row.optionalString(column) }
                        return (appid: row.string("appid"), values: values)
                    }
            }
            guard let last = rows.last else { break }
            after = last.appid
            var changes: [(appid: String, old: [String: String], new: [String: String])] = []
            for row in rows {
                var new = row.values
                var changed = false
                for column in SecretColumns.accounts {
                    guard let stored = row.values[column] else { continue }
                    let place = SecretColumns.place("accounts", column, appid: row.appid)
                    let plain = try secrets.open(stored, place: place)
                    report.checked += 1
                    if needsSealing(stored) {
                        new[column] = secrets.seal(plain, place: place)
                        changed = true
                    }
                }
                if changed { changes.append((row.appid, row.values, new)) }
            }
            if !changes.isEmpty {
                let written = try await inTransaction { [changes] db in
                    var written: [Bool] = []
                    for (appid, old, new) in changes {
                        written.append(try await db.run(
                            """
                            UPDATE accounts SET app_secret = \(new["app_secret"]), token = \(new["token"]),
                                encoding_aes_key = \(new["encoding_aes_key"]), previous_encoding_aes_key = \(new["previous_encoding_aes_key"])
                            WHERE appid = \(appid) AND app_secret = \(old["app_secret"]) AND token = \(old["token"])
                                AND encoding_aes_key IS NOT DISTINCT FROM \(old["encoding_aes_key"])
                                AND previous_encoding_aes_key IS NOT DISTINCT FROM \(old["previous_encoding_aes_key"])
                            """) == 1)
                    }
                    return written
                }
                for (change, written) in zip(changes, written) {
                    let values = SecretColumns.accounts.filter { change.old[$0] != change.new[$0] }.count
                    if written { report.resealed += values } else { report.stale += values }
                }
            }
            progress(report)
        }
        // Access tokens: one column; a token that does not open is only a cache entry, but it
        // fails the pass like any other (the key is wrong for the accounts as well).
        after = ""
        while true {
            let rows = try await forReading { [after] db in
                try await db.fetchAll(
                    "SELECT appid, token FROM access_tokens WHERE appid > \(after) AND token IS NOT NULL ORDER BY appid LIMIT \(batchSize)")
                    .map { (appid: $0.string("appid"), token: $0.string("token")) }
            }
            guard let last = rows.last else { break }
            after = last.appid
            var changes: [(appid: String, old: String, new: String)] = []
            for row in rows {
                let place = SecretColumns.place("access_tokens", "token", appid: row.appid)
                let plain = try secrets.open(row.token, place: place)
                report.checked += 1
                if needsSealing(row.token) { changes.append((row.appid, row.token, secrets.seal(plain, place: place))) }
            }
            if !changes.isEmpty {
                let written = try await inTransaction { [changes] db in
                    var written = 0
                    for change in changes {
                        written += try await db.run(
                            "UPDATE access_tokens SET token = \(change.new) WHERE appid = \(change.appid) AND token = \(change.old)")
                    }
                    return written
                }
                report.resealed += written
                report.stale += changes.count - written
            }
            progress(report)
        }
        return report
    }

    /// How many stored secrets are sealed under each key id ("plain" for values never sealed).
    public func secretKeyCounts() async throws -> [String: Int] {
        try await forReading { db in
            var counts: [String: Int] = [:]
            let columns = SecretColumns.accounts.map { (table: "accounts", column: $0) } + [(table: "access_tokens", column: "token")]
            for (table, column) in columns {
                let rows = try await db.fetchAll(
                    """
                    SELECT CASE WHEN substr(\(raw: column), 1, 6) = 'kefu1:' THEN substr(\(raw: column), 7, 8) ELSE 'plain' END AS key_id,
                        count(*) AS n
                    FROM \(raw: table) WHERE \(raw: column) IS NOT NULL GROUP BY 1
                    """)
                for row in rows { counts[row.string("key_id"), default: 0] += row.int("n") }
            }
            return counts
        }
    }
}

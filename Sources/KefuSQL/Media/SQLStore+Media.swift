import KefuCore
import KefuStore

extension StoreRows {
    /// Every column but the bytes: lists and lookups never read a file.
    public static let mediaColumns = "id, appid, kind, filename, content_type, bytes, sha256, created_at, wechat_media_id, wechat_uploaded_at"

    public static func media(_ row: some StoreRow) -> MediaItem {
        MediaItem(id: row.string("id"), appid: row.string("appid"), kind: MediaKind(rawValue: row.string("kind")) ?? .image,
                  filename: row.string("filename"), contentType: row.string("content_type"), bytes: row.int("bytes"),
                  sha256: row.string("sha256"), createdAt: row.int64("created_at"),
                  wechatMediaId: row.optionalString("wechat_media_id"), wechatUploadedAt: row.optionalInt64("wechat_uploaded_at"))
    }
}

extension SQLStore {
    public func addMedia(_ item: MediaItem, content: [UInt8]) async throws -> (item: MediaItem, created: Bool) {
        try await inTransaction { db in
            let inserted = try await db.run(
                """
                INSERT INTO media (id, appid, kind, filename, content_type, bytes, sha256, created_at, content)
                VALUES (\(item.id), \(item.appid), \(item.kind.rawValue), \(item.filename), \(item.contentType), \(item.bytes),
                        \(item.sha256), \(item.createdAt), \(content))
                ON CONFLICT (appid, kind, sha256) DO NOTHING
                """)
            if inserted == 1 { return (item, true) }
            // The same bytes of the same kind are already in the library (perhaps stored a moment
            // ago by another request): that item is the answer.
            guard let existing = try await db.fetchOne(
                """
                SELECT \(raw: StoreRows.mediaColumns) FROM media
                WHERE appid = \(item.appid) AND kind = \(item.kind.rawValue) AND sha256 = \(item.sha256)
                """) else {
                throw KefuError(.conflict, "media \(item.id) already exists")
            }
            return (StoreRows.media(existing), false)
        }
    }

    public func media(appid: String, id: String) async throws -> MediaItem? {
        try await forReading { db in
            try await db.fetchOne("SELECT \(raw: StoreRows.mediaColumns) FROM media WHERE appid = \(appid) AND id = \(id)")
                .map(StoreRows.media)
        }
    }

    public func mediaContent(appid: String, id: String) async throws -> (item: MediaItem, content: [UInt8])? {
        try await forReading { db in
            guard let row = try await db.fetchOne(
                "SELECT \(raw: StoreRows.mediaColumns), content FROM media WHERE appid = \(appid) AND id = \(id)")
            else { return nil }
            return (StoreRows.media(row), row.optionalBytes("content") ?? [])
        }
    }

    public func mediaList(appid: String, kind: MediaKind?, limit: Int, after: MediaCursor?) async throws -> [MediaItem] {
        try await forReading { db in
            var sql: SQL = "SELECT \(raw: StoreRows.mediaColumns) FROM media WHERE appid = \(appid)"
            if let kind { sql += " AND kind = \(kind.rawValue)" }
            if let after {
                sql += " AND (created_at < \(after.createdAt) OR (created_at = \(after.createdAt) AND id < \(after.id)))"
            }
            sql += " ORDER BY created_at DESC, id DESC LIMIT \(limit)"
            return try await db.fetchAll(sql).map(StoreRows.media)
        }
    }

    public func deleteMedia(appid: String, id: String) async throws -> MediaDeletion {
        try await inTransaction { db in
            // Locked first: a task or rule being created with this file (which holds it
            // `FOR SHARE`, `checkMediaReferences`) commits before this looks for users, or
            // finds it gone.
            guard try await db.fetchOne("SELECT id FROM media WHERE appid = \(appid) AND id = \(id)\(SQL.forUpdate)") != nil else {
                return .notFound
            }
            // Stored messages are canonical JSON (sorted keys, no spaces): a message names the
            // item as `"kefu_media":"<id>"` or `"thumb_kefu_media":"<id>"`, and ids are hex.
            let pattern = "%kefu_media\":\"\(id)\"%"
            let tasks = try await db.fetchAll(
                """
                SELECT id FROM tasks WHERE appid = \(appid) AND status IN ('scheduled', 'running', 'paused')
                    AND message LIKE \(pattern) ORDER BY id
                """).map { $0.int64("id") }
            let rules = try await db.fetchAll(
                "SELECT id FROM rules WHERE appid = \(appid) AND message LIKE \(pattern) ORDER BY id").map { $0.int64("id") }
            guard tasks.isEmpty, rules.isEmpty else { return .inUse(tasks: tasks, rules: rules) }
            try await db.run("DELETE FROM media WHERE appid = \(appid) AND id = \(id)")
            return .deleted
        }
    }
}

extension SQLStore {
    public func mediaUsers(appid: String, ids: [String]) async throws -> [String: (tasks: [Int64], rules: [Int64])] {
        guard !ids.isEmpty else { return [:] }
        return try await forReading { db in
            var users: [String: (tasks: [Int64], rules: [Int64])] = [:]
            let wanted = Set(ids)
            // Only messages naming some library file are read, and each is parsed once.
            let tasks = try await db.fetchAll(
                """
                SELECT id, message FROM tasks WHERE appid = \(appid) AND status IN ('scheduled', 'running', 'paused')
                    AND message LIKE '%kefu_media%' ORDER BY id
                """)
            for row in tasks {
                for id in Set(((try? CustomMessage(json: row.string("message")))?.kefuMedia ?? []).map(\.id)) where wanted.contains(id) {
                    users[id, default: ([], [])].tasks.append(row.int64("id"))
                }
            }
            let rules = try await db.fetchAll("SELECT id, message FROM rules WHERE appid = \(appid) AND message LIKE '%kefu_media%' ORDER BY id")
            for row in rules {
                for id in Set(((try? CustomMessage(json: row.string("message")))?.kefuMedia ?? []).map(\.id)) where wanted.contains(id) {
                    users[id, default: ([], [])].rules.append(row.int64("id"))
                }
            }
            return users
        }
    }

    /// Inside the transaction that stores a task's or rule's message: every library file it
    /// names exists in the account's library as the kind its field takes, held `FOR SHARE` until
    /// the transaction ends, so a concurrent delete either sees the new user (409) or happens
    /// first (and this fails). Otherwise a 422 naming the field.
    public static func checkMediaReferences(_ db: Session, appid: String, message: CustomMessage) async throws {
        let names = message.kefuMedia
        guard !names.isEmpty else { return }
        let rows = try await db.fetchAll(
            "SELECT id, kind FROM media WHERE appid = \(appid) AND id \(anyOf: names.map(\.id)) ORDER BY id\(SQL.forShare)")
        let kinds = Dictionary(rows.map { ($0.string("id"), $0.string("kind")) }, uniquingKeysWith: { first, _ in first })
        for (id, kind, field) in names {
            guard let stored = kinds[id] else { throw KefuError.invalid(field, "no media \(id) in the library of account \(appid)") }
            guard stored == kind.rawValue else {
                throw KefuError.invalid(field, "\(id) is uploaded as \(stored); this field takes \(kind.rawValue)")
            }
        }
    }

    public func lockMediaUpload(appid: String, id: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        try await inOneStatement { db in
            try await db.run(
                """
                UPDATE media SET upload_owner = \(owner), upload_until = \(now + ttlMillis)
                WHERE appid = \(appid) AND id = \(id) AND (upload_until IS NULL OR upload_until <= \(now) OR upload_owner = \(owner))
                """) == 1
        }
    }

    public func releaseMediaUpload(appid: String, id: String, owner: String) async throws {
        _ = try await inOneStatement { db in
            try await db.run(
                "UPDATE media SET upload_owner = NULL, upload_until = NULL WHERE appid = \(appid) AND id = \(id) AND upload_owner = \(owner)")
        }
    }

    public func storeMediaUpload(appid: String, id: String, wechatMediaId: String, uploadedAt: Int64) async throws {
        _ = try await inOneStatement { db in
            try await db.run(
                """
                UPDATE media SET wechat_media_id = \(wechatMediaId), wechat_uploaded_at = \(uploadedAt), upload_owner = NULL, upload_until = NULL
                WHERE appid = \(appid) AND id = \(id)
                """)
        }
    }
}

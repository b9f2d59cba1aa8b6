import KefuCore

/// An account's media library: the bytes operators uploaded, kept in the store (so every host of
/// a deployment reads the same files), and the WeChat media ids they were uploaded to WeChat as.
public protocol MediaStore: Sendable {
    /// Stores `item` with its bytes, unless the account already has the same bytes (by SHA-256)
    /// as the same kind: then nothing is written and the existing item comes back.
    func addMedia(_ item: MediaItem, content: [UInt8]) async throws -> (item: MediaItem, created: Bool)
    func media(appid: String, id: String) async throws -> MediaItem?
    /// The bytes of a media item, with the item.
    func mediaContent(appid: String, id: String) async throws -> (item: MediaItem, content: [UInt8])?
    /// An account's media, newest first; `after` is the last item of the previous page.
    func mediaList(appid: String, kind: MediaKind?, limit: Int, after: MediaCursor?) async throws -> [MediaItem]
    /// Deletes an item nothing uses; what still uses it otherwise (nothing deleted).
    func deleteMedia(appid: String, id: String) async throws -> MediaDeletion
    /// The scheduled, running or paused tasks and the rules whose messages name each of `ids`.
    func mediaUsers(appid: String, ids: [String]) async throws -> [String: (tasks: [Int64], rules: [Int64])]
}

/// Where a page of media ends: the last item's creation time and id.
public struct MediaCursor: Sendable, Equatable {
    public var createdAt: Int64
    public var id: String
    public init(createdAt: Int64, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// `<created_at>.<id>`, as the API hands it out.
    public var text: String { "\(createdAt).\(id)" }

    public init?(text: String) {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let at = Int64(parts[0]), MediaItem.isId(String(parts[1])) else { return nil }
        self.init(createdAt: at, id: String(parts[1]))
    }
}

public enum MediaDeletion: Sendable, Equatable {
    case deleted
    case notFound
    /// Scheduled, running or paused tasks and rules (any state) whose message names the item.
    case inUse(tasks: [Int64], rules: [Int64])
}

/// What the sender needs of the media library: a file's bytes and the WeChat id it was last
/// uploaded as, and the right to upload it again — held by one process at a time, for every
/// process and host (like the token refresh), so a file is uploaded once however many send it.
public protocol MediaUploads: Sendable {
    func media(appid: String, id: String) async throws -> MediaItem?
    func mediaContent(appid: String, id: String) async throws -> (item: MediaItem, content: [UInt8])?
    /// Takes the right to upload a file for `ttlMillis`; false when another process holds it.
    func lockMediaUpload(appid: String, id: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool
    /// Gives the right back early (the upload failed), if `owner` still holds it.
    func releaseMediaUpload(appid: String, id: String, owner: String) async throws
    /// Stores the WeChat id an upload got, and gives the right back.
    func storeMediaUpload(appid: String, id: String, wechatMediaId: String, uploadedAt: Int64) async throws
}

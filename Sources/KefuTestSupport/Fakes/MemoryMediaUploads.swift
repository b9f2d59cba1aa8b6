import KefuCore
import KefuStore
import Synchronization

/// A media library in memory (`MediaUploads`): files with their bytes, the WeChat ids they were
/// uploaded as, and the upload right — for unit tests of the media provider.
public final class MemoryMediaUploads: MediaUploads {
    private struct Row { var item: MediaItem; var content: [UInt8]; var owner: String?; var until: Int64? }
    private let rows = Mutex<[String: Row]>([:])

    public init() {}

    public func add(_ item: MediaItem, content: [UInt8]) { rows.withLock { $0[item.id] = Row(item: item, content: content) } }
    public func remove(_ id: String) { rows.withLock { _ = $0.removeValue(forKey: id) } }
    /// Who holds a file's upload right now, if anyone.
    public func uploadOwner(_ id: String) -> String? { rows.withLock { $0[id]?.owner } }

    public func media(appid: String, id: String) async throws -> MediaItem? {
        rows.withLock { $0[id].flatMap { $0.item.appid == appid ? $0.item : nil } }
    }

    public func mediaContent(appid: String, id: String) async throws -> (item: MediaItem, content: [UInt8])? {
        rows.withLock { $0[id].flatMap { $0.item.appid == appid ? ($0.item, $0.content) : nil } }
    }

    public func lockMediaUpload(appid: String, id: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        rows.withLock { rows in
            guard var row = rows[id], row.item.appid == appid else { return false }
            if let until = row.until, until > now, row.owner != owner { return false }
            row.owner = owner
            row.until = now + ttlMillis
            rows[id] = row
            return true
        }
    }

    public func releaseMediaUpload(appid: String, id: String, owner: String) async throws {
        rows.withLock { rows in
            guard rows[id]?.owner == owner else { return }
            rows[id]?.owner = nil
            rows[id]?.until = nil
        }
    }

    public func storeMediaUpload(appid: String, id: String, wechatMediaId: String, uploadedAt: Int64) async throws {
        rows.withLock { rows in
            rows[id]?.item.wechatMediaId = wechatMediaId
            rows[id]?.item.wechatUploadedAt = uploadedAt
            rows[id]?.owner = nil
            rows[id]?.until = nil
        }
    }
}

import KefuCore
import KefuStore
import Logging
import Synchronization

/// The WeChat media id of each library file, kept fresh for every kefu process: read from the
/// store, uploaded by whichever process takes the file's upload right (the others wait for it),
/// uploaded again once it is older than `maxAgeMillis` (WeChat deletes temporary media after
/// three days) or when a send answers 40007 with it. Never an upload per delivery.
public final class MediaProvider: Sendable {
    /// Why a delivery could not get a media id.
    public struct Failure: Error, CustomStringConvertible {
        /// WeChat's errcode when WeChat refused the upload.
        public var errcode: Int?
        public var reason: String
        /// Worth trying again later (another process is still uploading; WeChat was busy).
        public var retryable: Bool
        public var description: String { reason }
    }

    let store: any MediaUploads
    let api: any WeChatClient
    let tokens: TokenProvider
    let clock: any WallClock
    let owner: String
    let logger: Logger
    /// Uploaded longer ago than this, a WeChat id is uploaded again before it is used.
    let maxAgeMillis: Int64
    /// How long one process may hold a file's upload right.
    static let uploadLeaseMillis: Int64 = 90_000
    private let cache = Mutex<[String: (wechatId: String, uploadedAt: Int64)]>([:])
    /// Lookups in progress in this process, by file and the id they replace: the deliveries of
    /// one process that need a file at once wait for one lookup (the store's upload right
    /// orders the processes; it is held per process, not per delivery).
    private let flights = Mutex<[String: Task<String, any Error>]>([:])
    private let uploads = Mutex<Int>(0)

    public init(store: any MediaUploads, api: any WeChatClient, tokens: TokenProvider, clock: any WallClock, owner: String,
                maxAgeMillis: Int64 = 216_000_000, logger: Logger) {
        self.store = store
        self.api = api
        self.tokens = tokens
        self.clock = clock
        self.owner = owner
        self.maxAgeMillis = maxAgeMillis
        self.logger = logger
    }

    /// Uploads this process made (tests check that N processes upload a file once).
    public var uploadCount: Int { uploads.withLock { $0 } }

    /// The WeChat id of every library file `message` names, by kefu id.
    public func wechatIds(for message: CustomMessage, account: Account) async throws -> [String: String] {
        var ids: [String: String] = [:]
        for (id, _, _) in message.kefuMedia where ids[id] == nil {
            ids[id] = try await wechatId(appid: account.appid, id: id, account: account, stale: nil)
        }
        return ids
    }

    /// After a send answered 40007 with `stale`: a new id, uploaded unless another process
    /// already replaced it.
    public func refresh(appid: String, id: String, account: Account, stale: String) async throws -> String {
        cache.withLock { _ = $0.removeValue(forKey: Self.key(appid, id)) }
        return try await wechatId(appid: appid, id: id, account: account, stale: stale)
    }

    static func key(_ appid: String, _ id: String) -> String { "\(appid)/\(id)" }

    func usable(_ wechatId: String?, uploadedAt: Int64?, stale: String?, now: Int64) -> String? {
        guard let wechatId, let uploadedAt, now - uploadedAt < maxAgeMillis, wechatId != stale else { return nil }
        return wechatId
    }

    private func wechatId(appid: String, id: String, account: Account, stale: String?) async throws -> String {
        let key = Self.key(appid, id)
        if stale == nil, let cached = cache.withLock({ $0[key] }),
           let wechatId = usable(cached.wechatId, uploadedAt: cached.uploadedAt, stale: nil, now: clock.nowMillis()) {
            return wechatId
        }
        let flightKey = "\(key)/\(stale ?? "")"
        let flight = flights.withLock { flights in
            if let running = flights[flightKey] { return running }
            let task = Task {
                defer { _ = self.flights.withLock { $0.removeValue(forKey: flightKey) } }
                return try await self.lookUp(appid: appid, id: id, account: account, stale: stale)
            }
            flights[flightKey] = task
            return task
        }
        return try await flight.value
    }

    /// The id from the store, or an upload under the file's upload right; waits while another
    /// process holds the right.
    private func lookUp(appid: String, id: String, account: Account, stale: String?) async throws -> String {
        let key = Self.key(appid, id)
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let now = clock.nowMillis()
            guard let item = try await store.media(appid: appid, id: id) else {
                throw Failure(reason: "media \(id) is no longer in the library", retryable: false)
            }
            if let wechatId = usable(item.wechatMediaId, uploadedAt: item.wechatUploadedAt, stale: stale, now: now) {
                cache.withLock { $0[key] = (wechatId, item.wechatUploadedAt ?? now) }
                return wechatId
            }
            if try await store.lockMediaUpload(appid: appid, id: id, owner: owner, now: now, ttlMillis: Self.uploadLeaseMillis) {
                do {
                    return try await upload(appid: appid, id: id, account: account, stale: stale)
                } catch {
                    // Nothing stored: the right goes back at once, for the next caller to try.
                    try? await store.releaseMediaUpload(appid: appid, id: id, owner: owner)
                    throw error
                }
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(reason: "media \(id): another process is still uploading it to WeChat", retryable: true)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Uploads the file under the upload right (re-reading first: another process may have
    /// just stored a fresh id), and stores the id WeChat gives it.
    private func upload(appid: String, id: String, account: Account, stale: String?) async throws -> String {
        guard let (item, content) = try await store.mediaContent(appid: appid, id: id) else {
            throw Failure(reason: "media \(id) is no longer in the library", retryable: false)
        }
        let now = clock.nowMillis()
        if let wechatId = usable(item.wechatMediaId, uploadedAt: item.wechatUploadedAt, stale: stale, now: now) {
            try await store.releaseMediaUpload(appid: appid, id: id, owner: owner)
            cache.withLock { $0[Self.key(appid, id)] = (wechatId, item.wechatUploadedAt ?? now) }
            return wechatId
        }
        // WeChat reads the extension; the operator's own filename never reaches a header.
        let format = MediaFormat.allCases.first { $0.contentType == item.contentType } ?? .jpeg
        let filename = "\(item.id).\(format.fileExtension)"
        var token = try await tokens.token(for: account)
        let startedAt = clock.nowMillis()
        uploads.withLock { $0 += 1 }
        var answer = try await api.uploadMedia(accessToken: token, type: item.kind.rawValue, filename: filename,
                                               contentType: item.contentType, content: content)
        if case .failure(let error) = answer, SendPolicy.tokenRejected(error.errcode) {
            token = try await tokens.refresh(for: account, stale: token)
            answer = try await api.uploadMedia(accessToken: token, type: item.kind.rawValue, filename: filename,
                                               contentType: item.contentType, content: content)
        }
        switch answer {
        case .success(let wechatId):
            // Its age counts from before the call: WeChat's three days started no earlier.
            try await store.storeMediaUpload(appid: appid, id: id, wechatMediaId: wechatId, uploadedAt: startedAt)
            cache.withLock { $0[Self.key(appid, id)] = (wechatId, startedAt) }
            logger.info("media uploaded to WeChat", metadata: [
                "kefu.appid": "\(appid)", "kefu.media.id": "\(id)", "kefu.media.kind": "\(item.kind.rawValue)",
                "kefu.media.bytes": "\(content.count)", "kefu.media.replaced": "\(stale != nil)",
            ])
            return wechatId
        case .failure(let error):
            logger.warning("WeChat refused a media upload", metadata: [
                "kefu.appid": "\(appid)", "kefu.media.id": "\(id)", "kefu.errcode": "\(error.errcode)",
            ])
            throw Failure(errcode: error.errcode, reason: "media \(id): WeChat refused the upload (\(error.errcode) \(Self.meaning(error.errcode)))",
                          retryable: error.errcode == -1)
        }
    }

    static func meaning(_ errcode: Int) -> String {
        switch errcode {
        case -1: "system busy"
        case 40004: "invalid media type"
        case 40005: "invalid file type"
        case 40006: "invalid file size"
        case 41005: "media data missing"
        default: "errcode"
        }
    }
}

import Crypto
import Foundation
import KefuCore
import WeChatProtocol

/// A temporary media id the simulator issued.
struct IssuedMedia {
    var appid: String
    var type: String
    var expiresAt: Int64
}

/// An upload the simulator accepted, for tests: who uploaded what, and the id it got.
public struct MediaUpload: Sendable, Codable, Equatable {
    public var appid: String
    public var type: String
    public var filename: String
    public var bytes: Int
    /// Hex SHA-256 of the file.
    public var sha256: String
    public var mediaId: String
    public var at: Int64

    enum CodingKeys: String, CodingKey { case appid, type, filename, bytes, sha256, at, mediaId = "media_id" }
}

/// A file part of an upload, as the HTTP route read it.
public struct UploadedFile: Sendable {
    public var filename: String?
    public var bytes: [UInt8]
    public init(filename: String?, bytes: [UInt8]) {
        self.filename = filename
        self.bytes = bytes
    }
}

extension SimulatedWeChat.Answer: Error {}

extension SimulatedWeChat {
    /// `POST /cgi-bin/media/upload?type=`: WeChat's checks in its order — token, type (40004),
    /// the `media` part (41005), the file's format for the type (40005), its size (40006) —
    /// then a temporary media id valid for `mediaLifetimeSeconds`.
    public func uploadMedia(accessToken: String?, type: String?, file: UploadedFile?) -> Answer {
        let now = clock.nowMillis()
        let appid: String
        switch caller(accessToken, now: now) {
        case .failure(let refusal): return refusal
        case .success(let value): appid = value
        }
        guard let type, let kind = MediaKind(rawValue: type) else { return Answer(errcode: 40004, errmsg: "invalid media type") }
        guard let file, !file.bytes.isEmpty else { return Answer(errcode: 41005, errmsg: "media data missing") }
        let limit = MediaLimits.wechat.limit(kind)
        guard let format = MediaFormat.sniff(file.bytes), limit.formats.contains(format) else {
            return Answer(errcode: 40005, errmsg: "invalid file type")
        }
        // WeChat also reads the filename's extension.
        let allowedExtensions = limit.formats.flatMap { $0 == .jpeg ? ["jpg", "jpeg"] : [$0.rawValue] }
        guard let name = file.filename, let dot = name.lastIndex(of: "."),
              allowedExtensions.contains(name[name.index(after: dot)...].lowercased()) else {
            return Answer(errcode: 40005, errmsg: "invalid file type")
        }
        guard file.bytes.count <= limit.maxBytes else { return Answer(errcode: 40006, errmsg: "invalid file size") }
        var value = ""
        while value.count < 64 { value += String(random.next(), radix: 36) }
        let mediaId = "SIM_" + String(value.prefix(60))
        issuedMedia[mediaId] = IssuedMedia(appid: appid, type: type, expiresAt: now + configuration.mediaLifetimeSeconds * 1000)
        let sha = Hex.encode(SHA256.hash(data: file.bytes))
        recordUpload(MediaUpload(appid: appid, type: type, filename: name, bytes: file.bytes.count, sha256: sha, mediaId: mediaId, at: now))
        return Answer(errcode: 0, errmsg: "ok", mediaType: type, mediaId: mediaId, createdAt: now / 1000)
    }

    /// Whether a send may name `mediaId` for `appid`: a live upload of the account, or its
    /// permanent material.
    func mediaUsable(_ mediaId: String, appid: String, now: Int64) -> Bool {
        if let issued = issuedMedia[mediaId] { return issued.appid == appid && issued.expiresAt > now }
        return accounts[appid]?.materials.contains(mediaId) ?? false
    }

    /// Forgets every temporary media id (of one account, or all): what WeChat does after three
    /// days, at once — the next send naming one answers 40007.
    public func forgetMedia(appid: String? = nil) -> Int {
        let forgotten = issuedMedia.filter { appid == nil || $0.value.appid == appid }.map(\.key)
        for id in forgotten { issuedMedia.removeValue(forKey: id) }
        return forgotten.count
    }

    public func mediaUploads(appid: String? = nil) -> [MediaUpload] {
        uploads(matching: appid)
    }

    /// The text of option `id` of the last menu message `openid` received, or nil: a follower
    /// can only tap what they were sent.
    func menuOption(appid: String, openid: String, id: String) -> String? {
        for message in received(appid: appid, openid: openid).reversed() where message.msgtype == "msgmenu" {
            guard let object = try? JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any],
                  let list = (object["msgmenu"] as? [String: Any])?["list"] as? [[String: Any]] else { continue }
            if let option = list.first(where: { $0["id"] as? String == id }) { return option["content"] as? String }
        }
        return nil
    }
}

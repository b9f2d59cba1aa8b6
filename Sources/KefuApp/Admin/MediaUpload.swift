import Crypto
import Foundation
import Hummingbird
import KefuCore
import KefuStore
import NIOCore
import WeChatProtocol

/// One upload to the media library, read and stored the same way from the admin API and the
/// console: the multipart body (400 malformed, 413 larger than any type takes), then its `type`
/// field and `file` part checked by the file's bytes against the limits (422 naming what is
/// wrong), then stored unless the same bytes are already there.
enum MediaUpload {
    /// An upload's body may exceed the largest file by this much: the multipart envelope.
    static var envelope: Int { 64 << 10 }

    static func form(_ request: Request, limits: MediaLimits) async throws -> MultipartForm {
        let boundary: String
        do {
            boundary = try MultipartForm.boundary(contentType: request.headers[.contentType])
        } catch {
            throw HTTPError(.badRequest, message: error.reason == "expected multipart/form-data"
                ? "expected multipart/form-data with a file part and a type field" : error.reason)
        }
        var request = request
        let limit = limits.largest + envelope
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw HTTPError(.contentTooLarge, message: "the upload is larger than \(limit) bytes; no media kind takes a file that large")
        }
        do {
            return try MultipartForm(body: body, boundary: boundary)
        } catch {
            throw HTTPError(.badRequest, message: error.reason)
        }
    }

    /// The stored item, and whether it is new.
    static func store(_ form: MultipartForm, appid: String, limits: MediaLimits, store: any MediaStore, clock: any WallClock)
        async throws -> (MediaItem, Bool) {
        guard let typePart = form.first(named: "type") else {
            throw KefuError.invalid("type", "is required: one of \(MediaKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let kind = MediaKind(rawValue: String(decoding: typePart.body, as: UTF8.self)) else {
            throw KefuError.invalid("type", "must be one of \(MediaKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let file = form.first(named: "file") else {
            throw KefuError.invalid("file", "is required: a file part (curl -F file=@picture.jpg)")
        }
        return try await self.store(file, kind: kind, appid: appid, limits: limits, store: store, clock: clock)
    }

    /// One file part stored as `kind` (the console's composer uploads on the spot this way).
    static func store(_ file: MultipartForm.Part, kind: MediaKind, appid: String, limits: MediaLimits, store: any MediaStore,
                      clock: any WallClock) async throws -> (MediaItem, Bool) {
        let format = try limits.check(file.body, kind: kind)
        let sha = Hex.encode(SHA256.hash(data: file.body))
        let item = MediaItem(id: newId(), appid: appid, kind: kind, filename: MediaItem.cleanFilename(file.filename),
                             contentType: format.contentType, bytes: file.body.count, sha256: sha, createdAt: clock.nowMillis())
        return try await store.addMedia(item, content: file.body)
    }

    /// `m_` and 20 random hex digits (80 bits).
    static func newId() -> String {
        "m_" + Hex.random(bytes: 10)
    }
}

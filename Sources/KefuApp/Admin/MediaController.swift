import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging

/// `/api/v1/accounts/{appid}/media`: an account's media library — upload (multipart), list,
/// read, download, delete. Files are checked by their bytes against WeChat's limits per kind.
struct MediaController<Context: RequestContext> {
    let store: any MediaStore & AccountReader
    let clock: any WallClock
    let limits: MediaLimits

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("/accounts/:appid/media", use: upload)
        group.get("/accounts/:appid/media", use: list)
        group.get("/accounts/:appid/media/:id", use: get)
        group.get("/accounts/:appid/media/:id/content", use: content)
        group.delete("/accounts/:appid/media/:id", use: delete)
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> Response {
        let appid = try await account(context)
        let form = try await MediaUpload.form(request, limits: limits)
        let (stored, created) = try await MediaUpload.store(form, appid: appid, limits: limits, store: store, clock: clock)
        if created {
            context.logger.info("media uploaded", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(stored.id)",
                                                             "kefu.media.kind": "\(stored.kind.rawValue)", "kefu.media.bytes": "\(stored.bytes)"])
        }
        return try JSONBody.object(created ? .created : .ok, Self.json(stored))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let appid = try await account(context)
        let query = request.uri.queryParameters
        var kind: MediaKind?
        if let text = query.get("type") {
            guard let parsed = MediaKind(rawValue: text) else {
                throw KefuError.invalid("type", "must be one of \(MediaKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        }
        let limit = try JSONBody.limit(query.get("limit"), default: 50, max: 500)
        var after: MediaCursor?
        if let text = query.get("cursor") {
            guard let cursor = MediaCursor(text: text) else { throw KefuError.invalid("cursor", "is not a cursor this API returned") }
            after = cursor
        }
        let items = try await store.mediaList(appid: appid, kind: kind, limit: limit, after: after)
        let next: Any = items.count == limit ? (items.last.map { MediaCursor(createdAt: $0.createdAt, id: $0.id).text } ?? NSNull()) : NSNull()
        return try JSONBody.object(.ok, ["media": items.map(Self.json), "next_cursor": next])
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        let appid = try await account(context)
        let id = try Self.mediaId(context)
        guard let item = try await store.media(appid: appid, id: id) else { throw KefuError(.notFound, "no media \(id) in account \(appid)") }
        return try JSONBody.object(.ok, Self.json(item))
    }

    @Sendable func content(_ request: Request, context: Context) async throws -> Response {
        let appid = try await account(context)
        let id = try Self.mediaId(context)
        guard let (item, bytes) = try await store.mediaContent(appid: appid, id: id) else {
            throw KefuError(.notFound, "no media \(id) in account \(appid)")
        }
        // The stored content type was decided by kefu from the bytes; nosniff keeps browsers to it.
        let filename = item.filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "upload"
        return Response(status: .ok, headers: [
            .contentType: item.contentType,
            .contentDisposition: "inline; filename*=UTF-8''\(filename)",
            .init("X-Content-Type-Options")!: "nosniff",
            .cacheControl: "private, max-age=86400, immutable",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let appid = try await account(context)
        let id = try Self.mediaId(context)
        switch try await store.deleteMedia(appid: appid, id: id) {
        case .deleted:
            context.logger.info("media deleted", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(id)"])
            return Response(status: .noContent)
        case .notFound:
            throw KefuError(.notFound, "no media \(id) in account \(appid)")
        case .inUse(let tasks, let rules):
            var users: [String] = []
            if !tasks.isEmpty { users.append("task\(tasks.count == 1 ? "" : "s") \(tasks.map(String.init).joined(separator: ", "))") }
            if !rules.isEmpty { users.append("rule\(rules.count == 1 ? "" : "s") \(rules.map(String.init).joined(separator: ", "))") }
            return try JSONBody.object(.conflict, [
                "error": ["message": "media \(id) is still used by \(users.joined(separator: " and ")); cancel or change them first"],
                "tasks": tasks, "rules": rules,
            ])
        }
    }

    func account(_ context: Context) async throws -> String {
        let appid = try context.parameters.require("appid")
        guard try await store.account(appid: appid) != nil else { throw KefuError(.notFound, "no account \(appid)") }
        return appid
    }

    static func mediaId(_ context: Context) throws -> String {
        let id = try context.parameters.require("id")
        guard MediaItem.isId(id) else { throw KefuError(.notFound, "no media \(id)") }
        return id
    }

    static func json(_ item: MediaItem) -> [String: Any] {
        [
            "id": item.id, "type": item.kind.rawValue, "filename": item.filename, "bytes": item.bytes, "sha256": item.sha256,
            "content_type": item.contentType, "created_at": RFC3339.format(millis: item.createdAt),
            "wechat_media_id": item.wechatMediaId ?? NSNull(),
            "wechat_uploaded_at": item.wechatUploadedAt.map { RFC3339.format(millis: $0) } ?? NSNull(),
        ]
    }
}

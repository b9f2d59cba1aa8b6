import Foundation
import Hummingbird
import KefuCore
import KefuStore
import Logging
import NIOCore
import WeChatProtocol

extension ConsoleController {
    // MARK: Media library

    @Sendable func media(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        return try await mediaPage(request, context: context, session: session)
    }

    /// The library of an account: the upload form, then its files newest first, each with a
    /// thumbnail (pictures), where it is used, whether it has a WeChat id, and a delete button.
    func mediaPage(_ request: Request, context: Context, session: ConsoleSession, status: HTTPResponse.Status = .ok,
                   error: String? = nil, notice: String? = nil) async throws -> Response {
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let after = request.uri.queryParameters.get("after").flatMap(MediaCursor.init(text:))
        let items = try await store.mediaList(appid: appid, kind: nil, limit: Self.pageSize + 1, after: after)
        let shown = Array(items.prefix(Self.pageSize))
        let users = try await store.mediaUsers(appid: appid, ids: shown.map(\.id))
        let taskWord = page.text["task_word"] ?? "", ruleWord = page.text["rule_word"] ?? ""
        let rows: [[String: Any]] = shown.map { item in
            var row: [String: Any] = [
                "id": item.id, "filename": item.filename, "kindLabel": page.text["kind_\(item.kind.rawValue)"] ?? item.kind.rawValue,
                "picture": item.kind == .image || item.kind == .thumb, "size": ConsoleFormat.size(item.bytes),
                "created": ConsoleFormat.chinaTime(item.createdAt), "wechat": item.wechatMediaId != nil,
            ]
            if let used = users[item.id] {
                row["users"] = (used.tasks.map { "\(taskWord) \($0)" } + used.rules.map { "\(ruleWord) \($0)" }).joined(separator: ", ")
            }
            return row
        }
        var values: [String: Any] = [
            "appid": appid, "label": account.name ?? appid, "items": rows, "hasItems": !rows.isEmpty,
            "kinds": MediaKind.allCases.map { ["value": $0.rawValue, "label": page.text["kind_\($0.rawValue)"] ?? $0.rawValue] },
        ]
        if items.count > Self.pageSize, let last = shown.last { values["next"] = MediaCursor(createdAt: last.createdAt, id: last.id).text }
        if let error { values["error"] = error }
        if let notice { values["notice"] = notice }
        return render(page, "media", title: page.text["media_title"] ?? "", session: session, nav: "navAccounts", status: status, values)
    }

    @Sendable func uploadMedia(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        let appid = try context.parameters.require("appid")
        guard try await store.account(appid: appid) != nil else {
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        }
        let form: MultipartForm
        do {
            form = try await MediaUpload.form(request, limits: limits)
        } catch let error as HTTPError {
            return try await mediaPage(request, context: context, session: session, status: error.status, error: error.body)
        }
        // The CSRF token travels as a field of the multipart form.
        guard let presented = form.first(named: "_csrf").map({ Array($0.body) }),
              CallbackSignature.constantTimeEquals(presented, Array(session.csrf.utf8)) else {
            return csrfRefused(page, session)
        }
        do {
            let (item, created) = try await MediaUpload.store(form, appid: appid, limits: limits, store: store, clock: clock)
            context.logger.info("media uploaded", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(item.id)",
                                                             "kefu.console.principal": "\(session.principal)"])
            let notice = (page.text[created ? "media_uploaded" : "media_existing"] ?? "") + " " + item.filename
            return try await mediaPage(request, context: context, session: session, notice: notice)
        } catch let error as KefuError where error.code == .invalid {
            return try await mediaPage(request, context: context, session: session, status: .unprocessableContent, error: error.message)
        }
    }

    @Sendable func mediaContent(_ request: Request, context: Context) async throws -> Response {
        guard try await session(request, context) != nil else { return Response(status: .unauthorized) }
        let appid = try context.parameters.require("appid"), id = try context.parameters.require("id")
        guard MediaItem.isId(id), let (item, bytes) = try await store.mediaContent(appid: appid, id: id) else { return Response(status: .notFound) }
        return Response(status: .ok, headers: [
            .contentType: item.contentType, .init("X-Content-Type-Options")!: "nosniff", .cacheControl: "private, max-age=86400",
            .init("Content-Security-Policy")!: "default-src 'none'",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func deleteMedia(_ request: Request, context: Context) async throws -> Response {
        guard let session = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let page = Page(request)
        guard try await Self.checkedForm(request, session: session, as: CSRFOnly.self) != nil else {
            return csrfRefused(page, session)
        }
        let appid = try context.parameters.require("appid"), id = try context.parameters.require("id")
        guard MediaItem.isId(id) else { return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session) }
        switch try await store.deleteMedia(appid: appid, id: id) {
        case .deleted:
            context.logger.info("media deleted", metadata: ["kefu.appid": "\(appid)", "kefu.media.id": "\(id)",
                                                            "kefu.console.principal": "\(session.principal)"])
            return Self.redirect("/console/accounts/\(appid)/media")
        case .notFound:
            return errorPage(page, .notFound, page.text["error_not_found"] ?? "", session: session)
        case .inUse(let tasks, let rules):
            let users = tasks.map { "\(page.text["task_word"] ?? "") \($0)" } + rules.map { "\(page.text["rule_word"] ?? "") \($0)" }
            return try await mediaPage(request, context: context, session: session, status: .conflict,
                                       error: (page.text["media_in_use"] ?? "") + " " + users.joined(separator: ", "))
        }
    }
}

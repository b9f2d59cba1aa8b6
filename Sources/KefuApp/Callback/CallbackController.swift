import NIOCore
import Hummingbird
import KefuCore
import KefuStore
import Logging
import WeChatProtocol

/// `GET|POST /wechat/{appid}`: WeChat's URL verification and message push.
///
/// A push is answered `success` only after its interaction is committed (group commit). Every
/// rejection — unknown appid 404, bad signature 401, malformed 400, too large 413 — happens before
/// anything is recorded. A store failure answers 503 so WeChat retries.
struct CallbackController<Context: RequestContext> {
    let accounts: AccountCache
    let committer: GroupCommitter
    let clock: any WallClock
    let bodyLimit: Int
    let metrics: KefuMetrics

    func addRoutes(to router: Router<Context>) {
        router.get("/wechat/:appid", use: verify)
        router.post("/wechat/:appid", use: push)
    }

    static func query(_ request: Request) -> CallbackOpener.Query {
        let parameters = request.uri.queryParameters
        return CallbackOpener.Query(
            signature: parameters.get("signature"), timestamp: parameters.get("timestamp"),
            nonce: parameters.get("nonce"), encryptType: parameters.get("encrypt_type"),
            msgSignature: parameters.get("msg_signature"))
    }

    /// A request without the signature's parts is refused before anything else (no store read).
    static func unsigned(_ query: CallbackOpener.Query) -> Bool {
        query.signature == nil || query.timestamp == nil || query.nonce == nil
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        let appid = try context.parameters.require("appid")
        guard !Self.unsigned(Self.query(request)) else {
            metrics.callback("unauthorized")
            return Self.text(.unauthorized, "signature, timestamp and nonce are required")
        }
        guard let account = try await accounts.account(appid: appid) else {
            metrics.callback("unknown_account")
            return Self.text(.notFound, "unknown appid")
        }
        let opener = CallbackOpener(credentials: Self.credentials(account))
        guard opener.verifyURL(Self.query(request)) else {
            metrics.callback("unauthorized")
            return Self.text(.unauthorized, "signature does not match")
        }
        guard let echostr = request.uri.queryParameters.get("echostr") else {
            return Self.text(.badRequest, "echostr is missing")
        }
        metrics.callback("verified")
        return Self.text(.ok, echostr)
    }

    @Sendable func push(_ request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        defer { metrics.callbackAnswered(after: ContinuousClock.now - started) }
        let appid = try context.parameters.require("appid")
        guard !Self.unsigned(Self.query(request)) else {
            metrics.callback("unauthorized")
            return Self.text(.unauthorized, "signature, timestamp and nonce are required")
        }
        let account: Account?
        do {
            account = try await accounts.account(appid: appid)
        } catch {
            metrics.callback("unavailable")
            context.logger.error("account lookup failed", metadata: ["kefu.appid": "\(appid)", "error": "\(String(reflecting: error))"])
            return Self.text(.serviceUnavailable, "temporarily unavailable")
        }
        guard let account else {
            metrics.callback("unknown_account")
            return Self.text(.notFound, "unknown appid")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            metrics.callback("too_large")
            return Self.text(.contentTooLarge, "body larger than \(bodyLimit) bytes")
        }
        let receivedAt = clock.nowMillis()
        let push: Push
        do {
            push = try CallbackOpener(credentials: Self.credentials(account)).open(Self.query(request), body: Array(body.readableBytesView))
        } catch .unauthenticated(let reason) {
            metrics.callback("unauthorized")
            context.logger.notice("callback rejected", metadata: ["kefu.appid": "\(appid)", "kefu.reason": "\(reason)"])
            return Self.text(.unauthorized, reason)
        } catch .malformed(let reason) {
            metrics.callback("malformed")
            context.logger.notice("callback malformed", metadata: ["kefu.appid": "\(appid)", "kefu.reason": "\(reason)"])
            return Self.text(.badRequest, reason)
        }
        let interaction = push.interaction(appid: appid, receivedAt: receivedAt)
        if interaction.kind == .other {
            metrics.unknownPush(appid: appid)
            context.logger.debug("unknown push kind recorded as other", metadata: [
                "kefu.appid": "\(appid)", "kefu.push.type": "\(push.msgType)", "kefu.push.event": "\(push.event ?? "-")",
            ])
        }
        do {
            let fresh = try await committer.record(interaction)
            metrics.callback(fresh ? "recorded" : "duplicate")
        } catch is GroupCommitter.Overloaded {
            // The store is behind: refused at once, nothing recorded; WeChat retries the push.
            metrics.callback("overloaded")
            return Self.text(.serviceUnavailable, "temporarily unavailable")
        } catch {
            // The store failed the transaction (disk full, read-only, unreachable): nothing was
            // acknowledged, WeChat retries. The committer logs the failure, once per doubling.
            metrics.callback("unavailable")
            return Self.text(.serviceUnavailable, "temporarily unavailable")
        }
        return Self.text(.ok, "success")
    }

    static func credentials(_ account: Account) -> CallbackOpener.Credentials {
        CallbackOpener.Credentials(
            appid: account.appid, token: account.token, encodingAESKey: account.encodingAESKey,
            previousEncodingAESKey: account.previousEncodingAESKey, originalId: account.originalId)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

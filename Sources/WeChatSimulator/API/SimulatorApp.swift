import Foundation
import Hummingbird
import KefuCore
import Logging
import NIOCore
import AsyncHTTPClient
import ServiceLifecycle

/// The simulator's HTTP face: WeChat's API (`/cgi-bin/…`, answering like WeChat: HTTP 200 with an
/// `errcode`) and a control API (`/sim/…`) for tests and demos to add accounts, play followers,
/// inject faults and read what was received.
public func buildSimulatorApplication(
    wechat: SimulatedWeChat,
    host: String = "127.0.0.1",
    port: Int = 8081,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let client = FollowerPlayer.makeHTTPClient()
    let player = FollowerPlayer(wechat: wechat, client: client)
    let router = Router(context: BasicRequestContext.self)
    WeChatAPIRoutes(wechat: wechat).addRoutes(to: router)
    SimulatorControlRoutes(wechat: wechat, player: player).addRoutes(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "wechat-simulator"),
        services: [HTTPClientService(client: client)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

enum SimJSON {
    static func response(_ status: HTTPResponse.Status = .ok, _ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func encoded(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        response(status, ["error": ["message": message]])
    }

    static func body(_ request: Request, limit: Int = 1 << 20) async throws -> [UInt8] {
        var request = request
        return Array(try await request.collectBody(upTo: limit).readableBytesView)
    }

    static func answer(_ answer: SimulatedWeChat.Answer) -> Response {
        var object: [String: Any] = ["errcode": answer.errcode, "errmsg": answer.errmsg]
        if let token = answer.accessToken {
            object = ["access_token": token, "expires_in": answer.expiresIn ?? 7200]
        }
        if let mediaId = answer.mediaId {
            object = ["type": answer.mediaType ?? "", "media_id": mediaId, "created_at": answer.createdAt ?? 0]
        }
        return response(.ok, object)
    }
}

/// Owns the followers' HTTP client: shuts it down once the server has stopped.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

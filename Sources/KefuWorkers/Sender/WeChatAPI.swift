import AsyncHTTPClient
import Foundation
import KefuCore
import Logging
import NIOCore
import NIOHTTP1

/// kefu's calls to WeChat: `stable_token` and `message/custom/send`, through one pooled
/// keep-alive HTTP client per process.
public struct WeChatAPI: Sendable {
    public enum CallError: Error, CustomStringConvertible {
        /// No usable answer (timeout, connection lost, not JSON): the call may or may not have
        /// reached WeChat.
        case noAnswer(String)
        public var description: String { switch self { case .noAnswer(let why): "no answer from WeChat: \(why)" } }
    }

    public let baseURL: String
    let client: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, client: HTTPClient, timeout: TimeAmount = .seconds(10)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = timeout
    }

    /// A client sized for sending: `connections` keep-alive connections to WeChat.
    public static func makeHTTPClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(connections, 1)
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `POST /cgi-bin/stable_token`: (token, expires_in seconds) or WeChat's errcode.
    public func stableToken(appid: String, secret: String, forceRefresh: Bool) async throws -> Result<(String, Int64), WeChatError> {
        let body = try JSONSerialization.data(withJSONObject: [
            "grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": forceRefresh,
        ])
        let object = try await post("/cgi-bin/stable_token", body: Array(body))
        if let token = object["access_token"] as? String {
            return .success((token, (object["expires_in"] as? NSNumber)?.int64Value ?? 7200))
        }
        return .failure(WeChatError(errcode: (object["errcode"] as? NSNumber)?.intValue ?? -2, errmsg: object["errmsg"] as? String ?? ""))
    }

    /// `POST /cgi-bin/message/custom/send`: WeChat's errcode (0 = sent).
    public func customSend(accessToken: String, body: [UInt8]) async throws -> WeChatError {
        let token = accessToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? accessToken
        let object = try await post("/cgi-bin/message/custom/send?access_token=\(token)", body: body)
        return WeChatError(errcode: (object["errcode"] as? NSNumber)?.intValue ?? -2, errmsg: object["errmsg"] as? String ?? "")
    }

    private func post(_ path: String, body: [UInt8]) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(bytes: body))
        let bytes: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw CallError.noAnswer("HTTP \(response.status.code)") }
        } catch let error as CallError {
            throw error
        } catch {
            throw CallError.noAnswer("\(error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any] else {
            throw CallError.noAnswer("the answer is not JSON")
        }
        return object
    }
}

/// WeChat's `{"errcode", "errmsg"}`; judged by errcode only.
public struct WeChatError: Error, Sendable, Equatable {
    public var errcode: Int
    public var errmsg: String
    public init(errcode: Int, errmsg: String) {
        self.errcode = errcode
        self.errmsg = errmsg
    }
}

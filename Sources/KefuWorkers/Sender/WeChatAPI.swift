import AsyncHTTPClient
import Foundation
import KefuCore
import Logging
import MultipartKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// kefu's calls to WeChat: `stable_token`, `message/custom/send` and `media/upload`, through one
/// pooled keep-alive HTTP client per process.
public struct WeChatAPI: WeChatClient {
    public enum CallError: Error, CustomStringConvertible {
        /// The request never left this process: no connection to WeChat could be made (DNS
        /// failure, connection refused, unreachable network, TLS handshake failure, connect
        /// timeout), so nothing was written. Certainly not sent: safe to retry.
        case notSent(String)
        /// No usable answer (timeout, connection lost, not JSON) to a request that was written:
        /// the call may or may not have reached WeChat.
        case noAnswer(String)
        public var description: String {
            switch self {
            case .notSent(let why): "WeChat not reachable: \(why)"
            case .noAnswer(let why): "no answer from WeChat: \(why)"
            }
        }
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
        // A failed connection attempt fails the requests waiting for it at once, with the
        // connection's own error (rather than retrying until each request's deadline), so the
        // sender knows they were never written and applies its own back-off.
        configuration.connectionPool.retryConnectionEstablishment = false
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

    /// `POST /cgi-bin/media/upload`: the file as WeChat documents it, one `multipart/form-data`
    /// part named `media` with a filename and a content type (written by MultipartKit). A file
    /// of 10 MB gets a minute.
    public func uploadMedia(accessToken: String, type: String, filename: String, contentType: String, content: [UInt8]) async throws
        -> Result<String, WeChatError> {
        let token = accessToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? accessToken
        let boundary = "kefu-" + (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 36) }.joined()
        let part = MultipartPart(headers: [
            "Content-Disposition": "form-data; name=\"media\"; filename=\"\(filename)\"",
            "Content-Type": contentType,
        ], body: content)
        var body = ByteBuffer()
        try MultipartSerializer().serialize(parts: [part], boundary: boundary, into: &body)
        let object = try await post("/cgi-bin/media/upload?access_token=\(token)&type=\(type)", body: Array(body.readableBytesView),
                                    contentType: "multipart/form-data; boundary=\(boundary)", timeout: .seconds(60))
        if let mediaId = object["media_id"] as? String, !mediaId.isEmpty { return .success(mediaId) }
        return .failure(WeChatError(errcode: (object["errcode"] as? NSNumber)?.intValue ?? -2, errmsg: object["errmsg"] as? String ?? ""))
    }

    private func post(_ path: String, body: [UInt8], contentType: String = "application/json; charset=utf-8",
                      timeout: TimeAmount? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        let bytes: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: timeout ?? self.timeout)
            bytes = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw CallError.noAnswer("HTTP \(response.status.code)") }
        } catch let error as CallError {
            throw error
        } catch where Self.neverWritten(error) {
            throw CallError.notSent(Self.describe(error))
        } catch {
            throw CallError.noAnswer(Self.describe(error))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any] else {
            throw CallError.noAnswer("the answer is not JSON")
        }
        return object
    }
}

extension WeChatAPI {
    /// Whether a failed call certainly wrote nothing to WeChat: the errors AsyncHTTPClient and
    /// NIO raise while a connection is being made — before any request is written on it. Any
    /// other failure (a reset, a timeout mid-request, a closed keep-alive connection) may have
    /// come after WeChat read the request.
    public static func neverWritten(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError, is SocketAddressError:
            return true  // DNS resolution or every connection attempt failed
        case let error as IOError:
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, ENETDOWN].contains(error.errnoCode)
        case let error as HTTPClientError:
            return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as NIOSSLError:
            if case .handshakeFailed = error { return true }
            return false
        default:
            return false
        }
    }

    /// The error in a few words, for pause reasons and logs (never a URL with a token).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "cannot resolve \(error.host)"
            }
            if let first = error.connectionErrors.first { return "cannot connect to \(error.host):\(error.port) (\(describe(first.error)))" }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return "connection refused"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as HTTPClientError where error == .connectTimeout:
            return "connect timeout"
        case let error as HTTPClientError where error == .deadlineExceeded:
            return "no answer within the call's deadline"
        default:
            return "\(error)"
        }
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

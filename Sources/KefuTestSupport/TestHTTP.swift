import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Real HTTP over loopback for tests, through AsyncHTTPClient.
public enum TestHTTP {
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// `timeout` covers the whole exchange, including the wait for one of the shared client's
    /// connections: requests queued behind hundreds of others need more than the default.
    public static func request(_ method: HTTPMethod, _ url: String, body: String? = nil,
                               headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: buffer))
    }

    public static func get(_ url: String, headers: [(String, String)] = []) async throws -> Reply {
        try await request(.GET, url, headers: headers)
    }

    public static func post(_ url: String, _ body: String, headers: [(String, String)] = [],
                            timeout: Duration = .seconds(30)) async throws -> Reply {
        try await request(.POST, url, body: body, headers: headers, timeout: timeout)
    }

    public static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

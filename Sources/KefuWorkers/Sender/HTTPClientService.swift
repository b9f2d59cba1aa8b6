import AsyncHTTPClient
import ServiceLifecycle

/// Owns a process's HTTP client to WeChat: shuts it down after the services using it stopped
/// (place it before them in the service group).
public struct HTTPClientService: Service {
    let client: HTTPClient
    public init(client: HTTPClient) { self.client = client }

    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends prepared POSTs with a fixed number in flight and measures what the server sustained:
/// requests per second over the whole run and the latency distribution of each request.
struct LoadGenerator {
    struct Request: Sendable {
        var url: String
        var body: String
    }

    struct Result: Codable, Sendable {
        var requests: Int
        var failures: Int
        var seconds: Double
        var perSecond: Double
        var p50Millis: Double
        var p99Millis: Double
    }

    let client: HTTPClient
    let concurrency: Int

    /// A client with `concurrency` keep-alive connections to one host.
    static func makeClient(concurrency: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs every request once; a request answered anything but 200 counts as a failure.
    func run(_ requests: [Request]) async -> Result {
        let start = ContinuousClock.now
        var latencies: [Double] = []
        latencies.reserveCapacity(requests.count)
        var failures = 0
        await withTaskGroup(of: (Double, Bool).self) { group in
            var next = 0
            func add() {
                let request = requests[next]
                next += 1
                group.addTask {
                    let began = ContinuousClock.now
                    var ok = false
                    do {
                        var http = HTTPClientRequest(url: request.url)
                        http.method = .POST
                        http.headers.add(name: "Content-Type", value: "text/xml")
                        http.body = .bytes(ByteBuffer(string: request.body))
                        let response = try await client.execute(http, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        ok = response.status == .ok
                    } catch {}
                    return (Self.millis(ContinuousClock.now - began), ok)
                }
            }
            for _ in 0..<min(concurrency, requests.count) { add() }
            while let (latency, ok) = await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if next < requests.count { add() }
            }
        }
        let seconds = Self.millis(ContinuousClock.now - start) / 1000
        latencies.sort()
        return Result(requests: requests.count, failures: failures, seconds: seconds,
                      perSecond: Double(requests.count - failures) / max(seconds, 0.001),
                      p50Millis: Self.percentile(latencies, 0.50), p99Millis: Self.percentile(latencies, 0.99))
    }

    static func millis(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// The value at quantile `q` of sorted values (nearest rank).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

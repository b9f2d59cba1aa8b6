import AsyncHTTPClient
import Foundation
import KefuCore
import KefuTestSupport
import KefuWorkers
import NIOCore
import NIOPosix
import Testing

@Suite("WeChat reachability")
struct WeChatReachabilityTests {
    static let configuration = WeChatReachability.Configuration(unreachableAfterMillis: 60_000)

    @Test("failures back off as long as they have lasted, then pause with probes that double, and one answer ends it")
    func stateMachine() {
        let reachability = WeChatReachability(configuration: Self.configuration)
        var verdict = reachability.failed(error: "connection refused", now: 1_000)
        #expect(verdict == .init(retryAt: 1_500, pause: nil, change: .startedFailing(error: "connection refused")))
        verdict = reachability.failed(error: "connection refused", now: 1_000)
        #expect(verdict == .init(retryAt: 1_500, pause: nil, change: nil), "a state change is reported once")
        #expect(reachability.failed(error: "x", now: 11_000).retryAt == 21_000, "10 s failing: retried 10 s later")
        #expect(reachability.failed(error: "x", now: 51_000).retryAt == 81_000, "capped at 30 s")
        #expect(!reachability.isUnreachable)
        verdict = reachability.failed(error: "connection refused", now: 61_000)
        #expect(verdict.change == .becameUnreachable(error: "connection refused", forMillis: 60_000))
        #expect(verdict.pause == AccountPause(until: 66_000, reason: "WeChat unreachable: connection refused"))
        #expect(verdict.retryAt == 66_000)
        // Other deliveries failing in the same probe round get the same pause.
        #expect(reachability.failed(error: "connection refused", now: 61_010).pause?.until == 66_000)
        // The probe after the pause fails: the next interval doubles, up to a minute.
        #expect(reachability.failed(error: "connection refused", now: 66_000).pause?.until == 76_000)
        #expect(reachability.failed(error: "connection refused", now: 76_000).pause?.until == 96_000)
        #expect(reachability.failed(error: "connection refused", now: 96_000).pause?.until == 136_000)
        #expect(reachability.failed(error: "connection refused", now: 136_000).pause?.until == 196_000)
        #expect(reachability.failed(error: "connection refused", now: 196_000).pause?.until == 256_000)
        #expect(reachability.isUnreachable)
        #expect(reachability.answered(now: 200_000) == .recovered(afterMillis: 199_000))
        #expect(reachability.answered(now: 200_001) == nil)
        #expect(!reachability.isUnreachable)
        // A new outage starts from the beginning.
        #expect(reachability.failed(error: "y", now: 300_000) == .init(retryAt: 300_500, pause: nil, change: .startedFailing(error: "y")))
    }

    @Test("a connection refused is certainly not sent, and says so")
    func refused() async throws {
        let port = try FreePort.make()
        let client = WeChatAPI.makeHTTPClient(connections: 4)
        let api = WeChatAPI(baseURL: "http://127.0.0.1:\(port)", client: client, timeout: .seconds(5))
        await #expect {
            _ = try await api.customSend(accessToken: "T", body: Array("{}".utf8))
        } throws: { error in
            guard case WeChatAPI.CallError.notSent(let why) = error else { return false }
            return why == "connection refused"
        }
        try await client.shutdown()
    }

    @Test("a name that does not resolve is certainly not sent")
    func unresolvable() async throws {
        let client = WeChatAPI.makeHTTPClient(connections: 4)
        let api = WeChatAPI(baseURL: "http://kefu-test.invalid", client: client, timeout: .seconds(20))
        await #expect {
            _ = try await api.stableToken(appid: "wx0000000000000001", secret: "s", forceRefresh: false)
        } throws: { error in
            if case WeChatAPI.CallError.notSent = error { return true }
            return false
        }
        try await client.shutdown()
    }

    @Test("a request written to a server that never answers is an unknown outcome, not 'not sent'")
    func written() async throws {
        // A listener that accepts connections (the kernel's backlog) and never answers.
        let silent = try BusyPort()
        let client = WeChatAPI.makeHTTPClient(connections: 4)
        let api = WeChatAPI(baseURL: "http://127.0.0.1:\(silent.port)", client: client, timeout: .milliseconds(500))
        await #expect {
            _ = try await api.customSend(accessToken: "T", body: Array("{}".utf8))
        } throws: { error in
            if case WeChatAPI.CallError.noAnswer = error { return true }
            return false
        }
        try await client.shutdown()
    }

    @Test("what counts as never written")
    func classification() {
        #expect(WeChatAPI.neverWritten(IOError(errnoCode: ECONNREFUSED, reason: "connect")))
        #expect(WeChatAPI.neverWritten(HTTPClientError.connectTimeout))
        #expect(WeChatAPI.neverWritten(ChannelError.connectTimeout(.seconds(5))))
        #expect(!WeChatAPI.neverWritten(IOError(errnoCode: ECONNRESET, reason: "read")))
        #expect(!WeChatAPI.neverWritten(HTTPClientError.remoteConnectionClosed))
        #expect(!WeChatAPI.neverWritten(HTTPClientError.deadlineExceeded))
        #expect(!WeChatAPI.neverWritten(CancellationError()))
    }
}

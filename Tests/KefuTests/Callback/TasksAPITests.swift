import Foundation
import Hummingbird
import HummingbirdTesting
import KefuApp
import KefuCore
import KefuStore
import KefuTestSupport
import NIOCore
import Testing

/// The task API over live HTTP, with no in-process workers (nothing is sent here).
@Suite("Tasks API")
struct TasksAPITests {
    static let account = TestAccounts.plain(1)
    static let text = #"{"msgtype": "text", "text": {"content": "hi"}}"#

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    static func body(name: String = "t", appid: String = account.appid, sendAt: String = "2030-01-01T00:00:00Z", message: String = text) -> String {
        #"{"name": "\#(name)", "appid": "\#(appid)", "send_at": "\#(sendAt)", "message": \#(message)}"#
    }

    static func run(_ backend: StoreBackend = .sqlite, _ body: @escaping @Sendable (KefuAppHarness.Context) async throws -> Void) async throws {
        try await KefuAppHarness.run(backend: backend, configure: { $0.workers = 0 }, accounts: [account], body)
    }

    @Test("invalid tasks are refused with 422 naming the field, and nothing is stored", arguments: [
        (body(name: ""), "name"),
        (body(appid: "wx0000000000000bad"), "appid"),
        (body(sendAt: "tomorrow"), "send_at"),
        (body(message: #"{"msgtype": "news", "news": {"articles": [{"title": "a", "url": "https://a.cn"}, {"title": "b", "url": "https://b.cn"}]}}"#), "message.news.articles"),
        (body(message: #"{"msgtype": "text", "text": {}}"#), "message.text.content"),
        (#"{"name": "t", "appid": "wx0000000000000001", "send_at": "2030-01-01T00:00:00Z"}"#, "message"),
    ])
    func validation(body: String, field: String) async throws {
        try await Self.run { app in
            let response = try await app.api(.post, "/tasks", body)
            #expect(response.status == .unprocessableContent)
            let message = (Self.json(response)["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix(field), "\(message)")
            #expect(try await app.store.tasks(appid: nil, status: nil, limit: 10).isEmpty)
        }
    }

    @Test("create, read, list, pause, resume, cancel — and 409 where the state forbids it", arguments: StoreBackend.allCases)
    func lifecycle(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let created = try await app.api(.post, "/tasks", Self.body(name: "Black Friday"))
            #expect(created.status == .created)
            let task = Self.json(created)
            let id = try #require(task["id"] as? Int)
            #expect(task["status"] as? String == "scheduled")
            #expect((task["stats"] as? [String: Any])?["audience"] as? Int == 0)
            #expect((task["message"] as? [String: Any])?["msgtype"] as? String == "text")
            #expect((Self.json(try await app.api(.get, "/tasks?appid=\(Self.account.appid)&status=scheduled"))["tasks"] as? [Any])?.count == 1)
            #expect((Self.json(try await app.api(.get, "/tasks?status=running"))["tasks"] as? [Any])?.count == 0)
            #expect(try await app.api(.get, "/tasks?status=bogus").status == .unprocessableContent)
            #expect(Self.json(try await app.api(.post, "/tasks/\(id)/pause"))["status"] as? String == "paused")
            // Paused before its send time: resuming waits for the send time again.
            #expect(Self.json(try await app.api(.post, "/tasks/\(id)/resume"))["status"] as? String == "scheduled")
            #expect(try await app.api(.post, "/tasks/\(id)/resume").status == .conflict)
            #expect(Self.json(try await app.api(.post, "/tasks/\(id)/cancel"))["status"] as? String == "cancelled")
            #expect(try await app.api(.post, "/tasks/\(id)/cancel").status == .conflict)
            #expect(try await app.api(.post, "/tasks/\(id)/pause").status == .conflict)
            #expect(try await app.api(.get, "/tasks/999").status == .notFound)
            #expect(try await app.api(.get, "/tasks/abc").status == .notFound)
        }
    }

    @Test("preview: reachable now and at send time, and the windows that close before the rate reaches them", arguments: StoreBackend.allCases)
    func preview(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            var slow = Self.account
            slow.sendRate = 1
            try await app.store.updateAccount(slow)
            let now = SystemWallClock().nowMillis()
            // Sent a minute from now: the preview reckons from the send time while it is in the
            // future, and a loaded machine (CI runs suites side by side) may take seconds to get
            // here. 10 message grants (1 h) closing 4.5 s after the send time, 5 opened now.
            let sendAt = now + 60_000
            var items = (0..<10).map { Interaction(appid: Self.account.appid, openid: "oSoon\($0)", kind: .message, detail: "text",
                                                   at: sendAt + 4_500 - 3_600_000, dedupeKey: "s\($0)") }
            items += (0..<5).map { Interaction(appid: Self.account.appid, openid: "oTalk\($0)", kind: .message, detail: "text",
                                               at: now, dedupeKey: "m\($0)") }
            _ = try await app.store.record(items, policy: testPolicy, now: now)
            let id = Self.json(try await app.api(.post, "/tasks", Self.body(sendAt: RFC3339.format(millis: sendAt))))["id"] as! Int
            let preview = Self.json(try await app.api(.get, "/tasks/\(id)/preview"))
            #expect(preview["reachable_now"] as? Int == 15)
            #expect(preview["reachable_at_send"] as? Int == 15)
            // At 1/s, earliest close first, the 6th to 10th of them are reached 5 s or more after
            // the send time, after their windows closed.
            #expect(preview["closing_before_reached"] as? Int == 5)
            #expect(preview["daily_budget"] as? Int == Account.defaultDailyBudget)
            let later = Self.json(try await app.api(.post, "/tasks", Self.body(sendAt: RFC3339.format(millis: now + 600_000))))["id"] as! Int
            let atSend = Self.json(try await app.api(.get, "/tasks/\(later)/preview"))
            #expect(atSend["reachable_at_send"] as? Int == 5, "the first 10 windows are closed by then")
        }
    }

    @Test("test sends are queued for the listed openids, outside the task's stats", arguments: StoreBackend.allCases)
    func testSend(backend: StoreBackend) async throws {
        try await Self.run(backend) { app in
            let id = Self.json(try await app.api(.post, "/tasks", Self.body()))["id"] as! Int
            let queued = try await app.api(.post, "/tasks/\(id)/test", #"{"openids": ["oA", "oB", "oA"]}"#)
            #expect(queued.status == .accepted)
            #expect(Self.json(queued)["queued"] as? Int == 2)
            let log = Self.json(try await app.api(.get, "/tasks/\(id)/deliveries"))["deliveries"] as? [[String: Any]] ?? []
            #expect(Set(log.compactMap { $0["openid"] as? String }) == ["oA", "oB"])
            #expect(log.allSatisfy { $0["test"] as? Bool == true && $0["state"] as? String == "pending" })
            #expect((Self.json(try await app.api(.get, "/tasks/\(id)"))["stats"] as? [String: Any])?["audience"] as? Int == 0)
            #expect(try await app.api(.post, "/tasks/\(id)/test", #"{"openids": []}"#).status == .unprocessableContent)
            #expect(try await app.api(.get, "/tasks/\(id)/deliveries?state=nope").status == .unprocessableContent)
        }
    }
}

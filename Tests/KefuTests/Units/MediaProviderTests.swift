import KefuCore
import KefuTestSupport
import Logging
import Testing
@testable import KefuWorkers

/// The media provider against the in-memory library and WeChat: one upload per file however
/// many deliveries and processes ask, again only when old or refused with 40007, and the upload
/// right given back whatever way an upload fails.
@Suite("Media provider")
struct MediaProviderTests {
    static let account = TestAccounts.plain(1)
    static let item = MediaItem(id: "m_00000000000000000001", appid: account.appid, kind: .image, filename: "poster.png",
                                contentType: "image/png", bytes: 10, sha256: "x", createdAt: 0)

    static func make(clock: ManualWallClock = ManualWallClock(1_800_000_000_000), processes: Int = 1, maxAge: Int64 = 60_000)
        -> (MemoryMediaUploads, MemoryWeChat, [MediaProvider]) {
        let library = MemoryMediaUploads()
        library.add(item, content: MediaFiles.file(.png, size: 10))
        let wechat = MemoryWeChat()
        let tokens = MemoryTokenStore()
        let providers = (0..<processes).map { index in
            MediaProvider(store: library, api: wechat,
                          tokens: TokenProvider(store: tokens, api: wechat, clock: clock, owner: "p\(index)", logger: Logger.test()),
                          clock: clock, owner: "p\(index)", maxAgeMillis: maxAge, logger: Logger.test())
        }
        return (library, wechat, providers)
    }

    static let image = CustomMessage(.image(.kefu(item.id)))

    @Test("200 deliveries in 3 processes at once: one upload, one WeChat id for all")
    func singleFlight() async throws {
        let (_, wechat, providers) = Self.make(processes: 3)
        wechat.holdUploads()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask { try await providers[index % 3].wechatIds(for: Self.image, account: Self.account)[Self.item.id]! }
            }
            try await eventually("the upload to start") { wechat.uploadsWaiting == 1 }
            wechat.openUploads()
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids == ["MEDIA-1"])
        #expect(wechat.uploads == ["\(Self.item.id).png"], "the operator's filename never reaches WeChat")
        #expect(providers.map(\.uploadCount).reduce(0, +) == 1)
    }

    @Test("an id older than the max age is uploaded again before use; a 40007 replaces it once for everyone")
    func freshness() async throws {
        let clock = ManualWallClock(1_800_000_000_000)
        let (_, wechat, providers) = Self.make(clock: clock, processes: 2)
        #expect(try await providers[0].wechatIds(for: Self.image, account: Self.account) == [Self.item.id: "MEDIA-1"])
        clock.advance(seconds: 59)
        #expect(try await providers[1].wechatIds(for: Self.image, account: Self.account) == [Self.item.id: "MEDIA-1"])
        clock.advance(seconds: 2)
        #expect(try await providers[1].wechatIds(for: Self.image, account: Self.account) == [Self.item.id: "MEDIA-2"])
        // Provider 0's cached MEDIA-1 is as old: it reads the replacement.
        #expect(try await providers[0].wechatIds(for: Self.image, account: Self.account) == [Self.item.id: "MEDIA-2"])
        // Both get 40007 with MEDIA-2: the first replaces it, the second finds it replaced.
        #expect(try await providers[0].refresh(appid: Self.account.appid, id: Self.item.id, account: Self.account, stale: "MEDIA-2") == "MEDIA-3")
        #expect(try await providers[1].refresh(appid: Self.account.appid, id: Self.item.id, account: Self.account, stale: "MEDIA-2") == "MEDIA-3")
        #expect(wechat.uploads.count == 3)
    }

    @Test("a refused upload fails with WeChat's reason and gives the upload right back", arguments: [(40005, false), (-1, true)])
    func refused(errcode: Int, retryable: Bool) async throws {
        let (library, wechat, providers) = Self.make()
        wechat.scriptUploads([errcode])
        await #expect {
            try await providers[0].wechatIds(for: Self.image, account: Self.account)
        } throws: { error in
            guard let failure = error as? MediaProvider.Failure else { return false }
            return failure.errcode == errcode && failure.retryable == retryable && failure.reason.contains("WeChat refused the upload (\(errcode)")
        }
        #expect(library.uploadOwner(Self.item.id) == nil)
        #expect(try await providers[0].wechatIds(for: Self.image, account: Self.account) == [Self.item.id: "MEDIA-2"])
    }

    @Test("a file deleted from the library fails the delivery with that reason, without asking WeChat")
    func deleted() async throws {
        let (library, wechat, providers) = Self.make()
        library.remove(Self.item.id)
        await #expect {
            try await providers[0].wechatIds(for: Self.image, account: Self.account)
        } throws: { ($0 as? MediaProvider.Failure)?.reason == "media \(Self.item.id) is no longer in the library" }
        #expect(wechat.uploads.isEmpty)
    }
}

import Hummingbird
import KefuCore
import KefuStore

/// The window ledger seen from the admin API: the open audience, one follower's ledger, and bulk
/// import of interactions from a previous system.
struct LedgerController<Context: RequestContext> {
    let store: any AccountReader & AudienceReader & LedgerWriter
    let clock: any WallClock
    let policy: WindowPolicy
    let bodyLimit: Int

    var maxPage: Int { 1_000 }
    var maxImport: Int { 10_000 }
    var importChunk: Int { 1_000 }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("/accounts/:appid/audience", use: audience)
        group.get("/accounts/:appid/followers/:openid", use: follower)
        group.post("/accounts/:appid/interactions", use: importInteractions)
    }

    @Sendable func audience(_ request: Request, context: Context) async throws -> Response {
        let appid = try await existingAppid(context)
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query.get("limit") {
            guard let value = Int(text), (1...maxPage).contains(value) else {
                throw KefuError.invalid("limit", "must be between 1 and \(maxPage)")
            }
            limit = value
        }
        var cursor: AudienceCursor?
        if let text = query.get("cursor") {
            guard let parsed = AudienceCursor(token: text) else { throw KefuError.invalid("cursor", "is not a cursor this API returned") }
            cursor = parsed
        }
        let page = try await store.audience(appid: appid, now: clock.nowMillis(), limit: limit, after: cursor)
        return try JSONBody.response(.ok, AudienceResponse(page))
    }

    @Sendable func follower(_ request: Request, context: Context) async throws -> Response {
        let appid = try await existingAppid(context)
        let openid = try context.parameters.require("openid")
        guard let ledger = try await store.follower(appid: appid, openid: openid, now: clock.nowMillis(), recent: 50) else {
            throw KefuError(.notFound, "no follower \(openid) in account \(appid)")
        }
        return try JSONBody.response(.ok, FollowerResponse(ledger))
    }

    @Sendable func importInteractions(_ request: Request, context: Context) async throws -> Response {
        let appid = try await existingAppid(context)
        let body = try await JSONBody.decode(ImportRequest.self, from: request, limit: bodyLimit)
        guard body.interactions.count <= maxImport else {
            throw KefuError.invalid("interactions", "at most \(maxImport) per request")
        }
        let now = clock.nowMillis()
        var interactions: [Interaction] = []
        interactions.reserveCapacity(body.interactions.count)
        for (index, item) in body.interactions.enumerated() {
            let path = "interactions[\(index)]"
            guard !item.openid.isEmpty, item.openid.utf8.count <= 128 else { throw KefuError.invalid("\(path).openid", "must be 1 to 128 characters") }
            guard let kind = InteractionKind(rawValue: item.kind), kind != .event, kind != .other else {
                throw KefuError.invalid("\(path).kind", "must be one of message, subscribe, unsubscribe, scan, click")
            }
            guard let parsed = RFC3339.parse(item.at) else { throw KefuError.invalid("\(path).at", "must be an RFC 3339 time") }
            let at = min(parsed, now)
            interactions.append(Interaction(
                appid: appid, openid: item.openid, kind: kind, detail: "import", at: at,
                dedupeKey: Interaction.importKey(openid: item.openid, kind: kind, at: at)))
        }
        var imported = 0
        var index = 0
        while index < interactions.count {
            let chunk = Array(interactions[index..<min(index + importChunk, interactions.count)])
            imported += try await store.record(chunk, policy: policy, now: now).filter { $0 }.count
            index += importChunk
        }
        return try JSONBody.response(.ok, ImportResult(imported: imported, duplicates: interactions.count - imported))
    }

    private func existingAppid(_ context: Context) async throws -> String {
        let appid = try context.parameters.require("appid")
        guard try await store.account(appid: appid) != nil else { throw KefuError(.notFound, "no account \(appid)") }
        return appid
    }
}

struct ImportResult: Encodable { var imported: Int; var duplicates: Int }

struct ImportRequest: Decodable {
    struct Item: Decodable { var openid: String; var kind: String; var at: String }
    var interactions: [Item]
}

struct AudienceResponse: Encodable {
    struct User: Encodable {
        var openid: String
        var lastInteractionAt: String
        var lastInteraction: String
        var windowClosesAt: String
        var remaining: Int?

        enum CodingKeys: String, CodingKey {
            case openid, remaining
            case lastInteractionAt = "last_interaction_at", lastInteraction = "last_interaction", windowClosesAt = "window_closes_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(openid, forKey: .openid)
            try container.encode(lastInteractionAt, forKey: .lastInteractionAt)
            try container.encode(lastInteraction, forKey: .lastInteraction)
            try container.encode(windowClosesAt, forKey: .windowClosesAt)
            try container.encode(remaining, forKey: .remaining)  // null = unlimited
        }
    }
    var count: Int
    var users: [User]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey { case count, users, nextCursor = "next_cursor" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(users, forKey: .users)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    init(_ page: AudiencePage) {
        count = page.count
        users = page.users.map {
            User(openid: $0.openid, lastInteractionAt: RFC3339.format(millis: $0.lastInteractionAt),
                 lastInteraction: $0.lastInteraction.rawValue, windowClosesAt: RFC3339.format(millis: $0.windowClosesAt),
                 remaining: $0.remaining)
        }
        nextCursor = page.nextCursor?.token
    }
}

struct FollowerResponse: Encodable {
    struct Grant: Encodable {
        var kind: String
        var openedAt: String
        var closesAt: String
        var remaining: Int?
        enum CodingKeys: String, CodingKey { case kind, remaining, openedAt = "opened_at", closesAt = "closes_at" }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(openedAt, forKey: .openedAt)
            try container.encode(closesAt, forKey: .closesAt)
            try container.encode(remaining, forKey: .remaining)
        }
    }
    struct LoggedInteraction: Encodable {
        var id: Int64
        var kind: String
        var detail: String
        var key: String?
        var at: String
        var receivedAt: String
        enum CodingKeys: String, CodingKey { case id, kind, detail, key, at, receivedAt = "received_at" }
    }
    var openid: String
    var subscribed: Bool
    var lastInteractionAt: String
    var lastInteraction: String
    var grants: [Grant]
    struct Delivery: Encodable {
        var taskId: Int64?
        var ruleId: Int64?
        var state: String
        var reason: String?
        var errcode: Int?
        var dueAt: String
        var sentAt: String?
        enum CodingKeys: String, CodingKey {
            case state, reason, errcode, taskId = "task_id", ruleId = "rule_id", dueAt = "due_at", sentAt = "sent_at"
        }
    }
    var recentInteractions: [LoggedInteraction]
    var recentDeliveries: [Delivery]

    enum CodingKeys: String, CodingKey {
        case openid, subscribed, grants
        case lastInteractionAt = "last_interaction_at", lastInteraction = "last_interaction"
        case recentInteractions = "recent_interactions", recentDeliveries = "recent_deliveries"
    }

    init(_ ledger: FollowerLedger) {
        openid = ledger.openid
        subscribed = ledger.subscribed
        lastInteractionAt = RFC3339.format(millis: ledger.lastInteractionAt)
        lastInteraction = ledger.lastInteraction.rawValue
        grants = ledger.grants.map {
            Grant(kind: $0.kind.rawValue, openedAt: RFC3339.format(millis: $0.openedAt),
                  closesAt: RFC3339.format(millis: $0.closesAt), remaining: $0.remaining)
        }
        recentDeliveries = ledger.recentDeliveries.map {
            Delivery(taskId: $0.taskId, ruleId: $0.ruleId, state: $0.state, reason: $0.reason, errcode: $0.errcode,
                     dueAt: RFC3339.format(millis: $0.dueAt), sentAt: $0.sentAt.map { RFC3339.format(millis: $0) })
        }
        recentInteractions = ledger.recentInteractions.map {
            LoggedInteraction(id: $0.id, kind: $0.kind.rawValue, detail: $0.detail, key: $0.key,
                              at: RFC3339.format(millis: $0.at), receivedAt: RFC3339.format(millis: $0.receivedAt))
        }
    }
}

import Logging
import Hummingbird
import KefuCore
import KefuStore

/// `/api/v1/accounts`: a SaaS operator adds, lists, changes and removes accounts.
struct AccountsController<Context: RequestContext> {
    let store: any AccountStore & AccountPauses
    let cache: AccountCache
    let clock: any WallClock
    let bodyLimit: Int

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("/accounts", use: create)
        group.get("/accounts", use: list)
        group.get("/accounts/:appid", use: get)
        group.patch("/accounts/:appid", use: update)
        group.delete("/accounts/:appid", use: delete)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await JSONBody.decode(CreateAccountRequest.self, from: request, limit: bodyLimit)
        let now = clock.nowMillis()
        let account = Account(
            appid: body.appid, appSecret: body.appSecret, token: body.token, encodingAESKey: body.encodingAESKey,
            originalId: body.originalId, name: body.name, sendRate: body.sendRate ?? Account.defaultSendRate,
            dailyBudget: body.dailyBudget ?? Account.defaultDailyBudget, reserve: body.reserve ?? 0,
            createdAt: now, updatedAt: now)
        try AccountValidation.check(account)
        try await store.createAccount(account)
        cache.put(account)
        context.logger.info("account created", metadata: ["kefu.appid": "\(account.appid)"])
        return try JSONBody.response(.created, AccountResponse(account))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let access = Access.of(context)
        return try JSONBody.response(.ok, AccountListing(accounts: try await store.accounts().filter { access.sees($0.appid) }.map { AccountResponse($0) }))
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        let account = try await existing(context)
        let pause = try await store.accountPause(appid: account.appid, now: clock.nowMillis())
        return try JSONBody.response(.ok, AccountResponse(account, pause: pause))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let account = try await existing(context)
        let body = try await JSONBody.decode(UpdateAccountRequest.self, from: request, limit: bodyLimit)
        let changed = try await Self.change(account, with: body, store: store, cache: cache, now: clock.nowMillis())
        context.logger.info("account updated", metadata: ["kefu.appid": "\(account.appid)"])
        return try JSONBody.response(.ok, AccountResponse(changed))
    }

    /// An account changed as `body` says (the API's PATCH and the console's edit form): checked,
    /// stored and cached. A new EncodingAESKey keeps the current one as the previous key; a new
    /// AppSecret lifts a pause the old one caused.
    static func change(_ current: Account, with body: UpdateAccountRequest, store: any AccountStore & AccountPauses, cache: AccountCache,
                       now: Int64) async throws -> Account {
        var account = current
        if let appid = body.appid, appid != account.appid { throw KefuError.invalid("appid", "cannot be changed") }
        if let secret = body.appSecret { account.appSecret = secret }
        if let token = body.token { account.token = token }
        if let key = body.encodingAESKey, key != account.encodingAESKey {
            account.previousEncodingAESKey = account.encodingAESKey
            account.encodingAESKey = key
        }
        if let id = body.originalId { account.originalId = id }
        if let name = body.name { account.name = name }
        if let rate = body.sendRate { account.sendRate = rate }
        if let budget = body.dailyBudget { account.dailyBudget = budget }
        if let reserve = body.reserve { account.reserve = reserve }
        account.updatedAt = now
        try AccountValidation.check(account)
        try await store.updateAccount(account)
        if body.appSecret != nil {
            // New credentials: lift a pause caused by the old ones and fetch a new token.
            try await store.clearAccountPause(appid: account.appid)
        }
        cache.put(account)
        return account
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let appid = try context.parameters.require("appid")
        guard try await store.deleteAccount(appid: appid) else { throw KefuError(.notFound, "no account \(appid)") }
        cache.invalidate(appid: appid)
        context.logger.info("account deleted", metadata: ["kefu.appid": "\(appid)"])
        return Response(status: .noContent)
    }

    private func existing(_ context: Context) async throws -> Account {
        let appid = try context.parameters.require("appid")
        guard let account = try await store.account(appid: appid) else { throw KefuError(.notFound, "no account \(appid)") }
        return account
    }
}

struct AccountListing: Encodable { var accounts: [AccountResponse] }

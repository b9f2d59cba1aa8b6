import Hummingbird
import KefuCore
import KefuStore
import KefuWorkers
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the `kefu serve` application: callback endpoint, admin API, operations endpoints, the
/// group committer and (unless `workers == 0`) the in-process workers. The executable and the
/// tests both call this. With `storeReady` (the `StoreService`'s), nothing touches the store, and
/// the server accepts no request, before it opens.
public func buildApplication(
    configuration: KefuConfiguration,
    store: any KefuStore,
    clock: any WallClock = SystemWallClock(),
    metrics: KefuMetrics = KefuMetrics(),
    storeReady: Latch? = nil,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    let committer = GroupCommitter(
        store: store, policy: configuration.windowPolicy, clock: clock,
        configuration: .init(maxBatch: configuration.maxCommitBatch, maxPending: configuration.maxPendingPushes,
                             maxWaitMillis: configuration.maxPushWaitMillis,
                             answerWithinMillis: configuration.answerPushWithinMillis), logger: logger,
        onCommit: { metrics.commitBatch($0) })
    let accounts = AccountCache(store: store, clock: clock)

    let router = try buildRouter(configuration: configuration, store: store, accounts: accounts, committer: committer, clock: clock,
                                 metrics: metrics)

    var services: [any Service] = [GroupCommitterService(committer: committer), AccountCacheRefresher(cache: accounts, logger: logger)]
    if let storeReady {
        services = services.map { AfterStoreReady($0, ready: storeReady) }
    }
    if configuration.workers > 0 {
        services += buildWorkerServices(configuration: configuration, store: store, clock: clock,
                                        senders: configuration.workers, metrics: metrics, storeReady: storeReady, logger: logger)
    }
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "kefu"),
        services: services,
        onServerRunning: { channel in
            if configuration.adminToken == nil {
                logger.warning("KEFU_ADMIN_TOKEN is not set: the admin API is open to anyone on this machine")
            }
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
    // Every account in memory before the first push, so pushes are verified without a store read.
    app.beforeServerStarts {
        try await storeReady?.waitOrThrow()
        do {
            try await accounts.reloadAll()
        } catch where !Task.isCancelled {
            logger.warning("accounts not loaded before start; they are read as pushes arrive", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
    return app
}

/// The routes of `kefu serve`: the callback endpoint, operations, the console and the admin API,
/// behind the audit log and the error shape. Apart from `buildApplication`, so that tests can
/// list the routes (`Router.routes`) and hold them to the permission tables.
func buildRouter(configuration: KefuConfiguration, store: any KefuStore, accounts: AccountCache, committer: GroupCommitter,
                 clock: any WallClock, metrics: KefuMetrics) throws -> Router<KefuRequestContext> {
    let router = Router(context: KefuRequestContext.self)
    let throttle = SignInThrottle()
    let authority = TokenAuthority(adminToken: configuration.adminToken.map { Array($0.utf8) }, store: store)
    router.add(middleware: AuditMiddleware(store: store, clock: clock, authority: authority))
    router.add(middleware: ErrorMiddleware())
    CallbackController(accounts: accounts, committer: committer, clock: clock,
                       bodyLimit: configuration.callbackBodyLimit, metrics: metrics).addRoutes(to: router)
    OperationsController(store: store, metrics: metrics).addRoutes(to: router)
    try ConsoleController(store: store, cache: accounts, clock: clock, configuration: .init(
        adminToken: configuration.adminToken.map { Array($0.utf8) }, secureCookies: configuration.consoleSecureCookies,
        publicURL: configuration.publicURL), limits: configuration.mediaLimits, policy: configuration.windowPolicy,
        throttle: throttle, metrics: metrics, authority: authority).addRoutes(to: router)
    let api = router.group("/api/v1").add(middleware: ApiAccessMiddleware(
        authority: authority, store: store, throttle: throttle, clock: clock, metrics: metrics))
    AccountsController(store: store, cache: accounts, clock: clock, bodyLimit: configuration.apiBodyLimit).addRoutes(to: api)
    LedgerController(store: store, clock: clock, policy: configuration.windowPolicy,
                     bodyLimit: configuration.apiBodyLimit).addRoutes(to: api)
    TasksController(store: store, clock: clock, bodyLimit: configuration.apiBodyLimit,
                    mediaMaxAgeMillis: configuration.mediaMaxAgeMillis).addRoutes(to: api)
    MediaController(store: store, clock: clock, limits: configuration.mediaLimits).addRoutes(to: api)
    RulesController(store: store, clock: clock, policy: configuration.windowPolicy,
                    bodyLimit: configuration.apiBodyLimit).addRoutes(to: api)
    OpenAPIController().addRoutes(to: router)
    AuditController(store: store).addRoutes(to: api)
    TokensController(store: store, clock: clock, bodyLimit: configuration.apiBodyLimit).addRoutes(to: api)
    return router
}

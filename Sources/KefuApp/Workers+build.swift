import Foundation
import Hummingbird
import KefuCore
import KefuStore
import KefuWorkers
import Logging
import ServiceLifecycle

/// The services of one worker set — scheduler, trigger evaluator, `senders` senders and the trimmer — and the HTTP
/// client they share (first in the list, so it stops last). `kefu serve` runs them in-process;
/// each `kefu worker` process runs one set. With `storeReady`, the workers start once it opens
/// (the store migrated); the HTTP client's service runs from the start, so it is always shut down.
public func buildWorkerServices(
    configuration: KefuConfiguration,
    store: any KefuStore,
    clock: any WallClock = SystemWallClock(),
    senders: Int,
    metrics: KefuMetrics? = nil,
    storeReady: Latch? = nil,
    logger: Logger
) -> [any Service] {
    let client = WeChatAPI.makeHTTPClient(connections: configuration.sendConcurrency * max(senders, 1))
    let api = WeChatAPI(baseURL: configuration.wechatAPI, client: client)
    let identity = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    let tokens = TokenProvider(store: store, api: api, clock: clock, owner: identity, logger: logger)
    let media = MediaProvider(store: store, api: api, tokens: tokens, clock: clock, owner: identity,
                              maxAgeMillis: configuration.mediaMaxAgeMillis, logger: logger)
    let reachability = WeChatReachability(configuration: .init(unreachableAfterMillis: configuration.wechatUnreachableAfterMillis))
    var services: [any Service] = [HTTPClientService(client: client)]
    services.append(Scheduler(store: store, clock: clock,
                              configuration: .init(interval: configuration.schedulerInterval, unknownOutcome: configuration.unknownOutcome),
                              logger: logger))
    services.append(TriggerEvaluator(store: store, clock: clock, logger: logger))
    for index in 0..<senders {
        services.append(Sender(
            store: store, api: api, tokens: tokens, media: media, reachability: reachability, clock: clock, owner: "\(identity):\(index)",
            configuration: .init(concurrency: configuration.sendConcurrency, leaseMillis: configuration.leaseMillis,
                                 unknownOutcome: configuration.unknownOutcome),
            logger: logger, onResult: { result in metrics?.delivery(result) }))
    }
    services.append(Trimmer(store: store, clock: clock, configuration: configuration.trimmer, logger: logger,
                            ledgerSize: { metrics?.ledgerSize($0) }))
    guard let storeReady else { return services }
    return [services[0]] + services.dropFirst().map { AfterStoreReady($0, ready: storeReady) }
}

/// A worker process's own operations endpoint: `GET /metrics` (deliveries, lateness) and
/// `GET /healthz`, on `host:port`.
public func buildWorkerOperationsApplication(
    host: String, port: Int, store: any KefuStore, metrics: KefuMetrics, logger: Logger
) -> some Service {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    OperationsController(store: store, metrics: metrics).addRoutes(to: router)
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "kefu-worker"),
                       logger: logger)
}

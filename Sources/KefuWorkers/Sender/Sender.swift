import KefuCore
import KefuStore
import Logging
import ServiceLifecycle
import Synchronization

/// Drains the send queue as a pipeline: claims due deliveries (earliest window close first,
/// within each account's rate and budget, leased) while earlier ones are still being sent, marks
/// a group started and sends it, applies WeChat's answer (`SendPolicy`), and records results in
/// batches — each batch in one transaction, while other calls are out. At most `concurrency`
/// deliveries are started and unrecorded at once: what a crash can leave as "outcome unknown".
/// The pipeline's rules are `SendPipeline`'s; this runs its actions (claim, start, send, record).
public struct Sender: Service {
    public struct Configuration: Sendable {
        /// Deliveries started and not yet recorded at once, per sender: calls to WeChat in flight
        /// and results waiting to be written. A crash leaves at most this many "outcome unknown".
        /// A place is free again only once its result is written, and a start waits for a
        /// quarter of the places, so about half of them are calls in flight. The default, 128,
        /// sends as fast as the sender did before starts were marked (32 calls, no bound), where
        /// 64 sent a fifth less on SQLite and an eighth less on PostgreSQL (measured with
        /// `kefu-bench`, see the README's Performance section).
        public var concurrency: Int
        /// Deliveries claimed at once at most; a new claim starts when fewer than `lowWater`
        /// claimed deliveries wait to be started. A loop slower than a quarter-lease's worth of
        /// these claims less (`SendPipeline.ahead`).
        public var batchSize: Int
        /// Claimed deliveries waiting below which the next claim starts: half a batch, and at
        /// least `concurrency`. The claim must come back before those waiting have gone out, or
        /// the places stand empty: a claim of 256 on PostgreSQL took 15–20 ms, while the 256
        /// waiting at the mark (batch 512 at concurrency 64) last 57 ms at 4,500 sends/s; mark and
        /// claim both grow with the batch.
        public var lowWater: Int { max(concurrency, batchSize / 2) }
        /// How long a claim is held; a worker that dies loses its claims after this.
        public var leaseMillis: Int64
        /// Pause when the queue has nothing due.
        public var idlePoll: Duration
        public var unknownOutcome: UnknownOutcomePolicy

        public init(concurrency: Int = 128, batchSize: Int? = nil, leaseMillis: Int64 = 60_000,
                    idlePoll: Duration = .milliseconds(50), unknownOutcome: UnknownOutcomePolicy = .skip) {
            self.concurrency = concurrency
            self.batchSize = batchSize ?? max(64, concurrency * 8)
            self.leaseMillis = leaseMillis
            self.idlePoll = idlePoll
            self.unknownOutcome = unknownOutcome
        }
    }

    let store: any SendQueue & AccountReader & AccountPauses
    let api: any WeChatClient
    let tokens: TokenProvider
    let reachability: WeChatReachability
    let clock: any WallClock
    let owner: String
    let configuration: Configuration
    let logger: Logger
    let onResult: @Sendable (DeliveryResult) -> Void
    /// WeChat ids for the library files messages name; nil: such messages fail.
    let media: MediaProvider?
    let resolved = ResolvedTemplates()
    /// Claims, starts and recordings that fail in a row (a full disk, a read-only database):
    /// each waits longer before the next try, up to 5 s, and the log is thinned to doublings.
    let storeFailures = StoreFailures("the send queue's store")

    public init(store: any SendQueue & AccountReader & AccountPauses, api: any WeChatClient, tokens: TokenProvider, media: MediaProvider? = nil,
                reachability: WeChatReachability = .init(), clock: any WallClock, owner: String,
                configuration: Configuration, logger: Logger, onResult: @escaping @Sendable (DeliveryResult) -> Void = { _ in }) {
        self.store = store
        self.api = api
        self.tokens = tokens
        self.media = media
        self.reachability = reachability
        self.clock = clock
        self.owner = owner
        self.configuration = configuration
        self.logger = logger
        self.onResult = onResult
    }

    /// What a child task of the pipeline reports back.
    enum Event: Sendable {
        case claimed([ClaimedDelivery], [String: Account], at: Int64)
        case sent(DeliveryResult, AccountPause?)
        /// The start returned the ids still held; nil: nothing was written.
        case started([Int64]?)
        case recorded(ok: Bool, retry: Bool)
    }

    /// Runs the actions `SendPipeline` asks for as child tasks and feeds their outcomes back,
    /// until a shutdown has drained it. The accounts and message templates the calls need are
    /// caches kept here.
    public func run() async throws {
        var pipeline = SendPipeline(configuration: .init(
            concurrency: configuration.concurrency, lowWater: configuration.lowWater, leaseMillis: configuration.leaseMillis,
            batchSize: configuration.batchSize))
        await withTaskGroup(of: Event.self) { group in
            var accounts: [String: Account] = [:]
            var templates: [String: SendBodyTemplate?] = [:]  // by stored message; a broadcast has one
            while true {
                let stopping = Task.isShuttingDownGracefully || Task.isCancelled
                for action in pipeline.next(now: clock.nowMillis(), stopping: stopping) {
                    switch action {
                    case .claim(let afterIdle, let limit):
                        group.addTask { await claim(afterIdle: afterIdle, limit: limit) }
                    case .send(let delivery):
                        let account = accounts[delivery.appid]
                        if templates[delivery.message] == nil {
                            if templates.count >= 256 { templates.removeAll() }
                            templates[delivery.message] = .some(SendBodyTemplate(json: delivery.message))
                        }
                        let template = templates[delivery.message] ?? nil
                        group.addTask {
                            let (result, pause) = await send(delivery, account: account, template: template)
                            return .sent(result, pause)
                        }
                    case .start(let deliveries):
                        group.addTask { await start(deliveries.map(\.id)) }
                    case .record(let results, let pauses, let retry):
                        group.addTask { await record(results, pauses: pauses, retry: retry) }
                    }
                }
                // Nothing running means shutdown has drained everything: no claim starts then.
                guard let event = await group.next() else { break }
                switch event {
                case .claimed(let claimed, let claimedAccounts, let at):
                    accounts.merge(claimedAccounts) { _, new in new }
                    pipeline.claimed(claimed, at: at)
                case .sent(let result, let pause):
                    pipeline.sent(result, pause: pause)
                case .started(let kept):
                    pipeline.started(kept, at: clock.nowMillis())
                case .recorded(let ok, let retry):
                    pipeline.recorded(ok: ok, retry: retry)
                }
            }
        }
    }

    /// Claims up to `limit` deliveries and the accounts they belong to; after an empty claim,
    /// first waits for work (a wake-up, a known due time, or the poll).
    func claim(afterIdle: Bool, limit: Int) async -> Event {
        if afterIdle {
            var dueIn: Duration?
            if store.wakesAcrossProcesses, let delay = try? await store.nextClaimDelay(now: clock.nowMillis()) {
                // Due work that could not be claimed (another process holds the account's bucket)
                // is retried after a poll; a bucket refill or a retry's due time is waited for.
                dueIn = delay == 0 ? configuration.idlePoll : .milliseconds(delay)
            }
            await idleWait(store, .deliveries, poll: configuration.idlePoll, dueIn: dueIn)
        }
        let now = clock.nowMillis()
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return .claimed([], [:], at: now) }
        do {
            let claimed = try await store.claimDeliveries(owner: owner, now: now, limit: limit,
                                                          leaseMillis: configuration.leaseMillis)
            var accounts: [String: Account] = [:]
            for appid in Set(claimed.map(\.appid)) { accounts[appid] = try await store.account(appid: appid) }
            storeFailures.succeeded(logger: logger)
            return .claimed(claimed, accounts, at: now)
        } catch {
            // Claims made in a failed transaction were rolled back; a claim that committed but
            // whose accounts could not be read is retried when its lease expires.
            await backOff(after: error, storeFailures, logger: logger, metadata: ["kefu.step": "claim"])
            return .claimed([], [:], at: now)
        }
    }

    /// Marks a group started (one statement), keeping only what this sender still holds. A
    /// failure hands the group back, after a pause, to be started again.
    func start(_ ids: [Int64]) async -> Event {
        do {
            let kept = try await store.markStarted(ids, owner: owner, now: clock.nowMillis())
            if kept.count < ids.count {
                logger.warning("claims lost before their calls went out; another worker has them",
                               metadata: ["kefu.deliveries": "\(ids.count - kept.count)"])
            }
            storeFailures.succeeded(logger: logger)
            return .started(kept)
        } catch {
            await backOff(after: error, storeFailures, logger: logger, metadata: ["kefu.step": "start", "kefu.deliveries": "\(ids.count)"])
            return .started(nil)
        }
    }

    /// Records a batch of results in one transaction, then the account pauses they caused. A
    /// failed recording hands the batch back (after a pause) to be retried with the next one;
    /// when shutting down it is given up, and the leases' expiry decides.
    func record(_ results: [DeliveryResult], pauses: [String: AccountPause], retry: Bool) async -> Event {
        do {
            let notOwned = try await store.recordResults(results, owner: owner)
            if !notOwned.isEmpty {
                // Fenced: this worker's lease on them ran out (it was cut off longer than the
                // lease) and another worker or the lease recovery decided them; nothing changed.
                logger.warning("results for deliveries no longer held were not recorded", metadata: [
                    "kefu.deliveries": "\(notOwned.count)", "kefu.delivery.ids": "\(notOwned.prefix(10).map(String.init).joined(separator: ","))",
                ])
            }
            storeFailures.succeeded(logger: logger)
        } catch {
            let wait = storeFailures.failed(error, logger: logger, metadata: ["kefu.step": "record", "kefu.deliveries": "\(results.count)"])
            if retry { await waitAfterFailure(wait) }
            return .recorded(ok: false, retry: retry)
        }
        for (appid, pause) in pauses {
            do {
                try await store.pauseAccount(appid: appid, pause: pause)
                logger.warning("account sending paused", metadata: ["kefu.appid": "\(appid)", "kefu.reason": "\(pause.reason)"])
            } catch {
                logger.warning("pausing an account failed", metadata: ["kefu.appid": "\(appid)", "error": "\(String(reflecting: error))"])
            }
        }
        for result in results { onResult(result) }
        return .recorded(ok: true, retry: retry)
    }

    /// Sends one delivery and decides what became of it.
    func send(_ delivery: ClaimedDelivery, account: Account?, template: SendBodyTemplate?) async -> (DeliveryResult, AccountPause?) {
        let now = clock.nowMillis()
        guard let account else {
            return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "account deleted", errcode: nil), at: now), nil)
        }
        guard var template else {
            return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "stored message unreadable", errcode: nil), at: now), nil)
        }
        // Library files become the WeChat ids they have now (uploaded first when they have none fresh).
        var mediaIds: [String: String] = [:]
        let unresolved = template.message
        if !unresolved.kefuMedia.isEmpty {
            guard let media else {
                return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "media library not available to this sender", errcode: nil), at: now), nil)
            }
            do {
                mediaIds = try await media.wechatIds(for: unresolved, account: account)
            } catch {
                return mediaFailed(delivery, account: account, error: error)
            }
            guard let resolvedTemplate = resolved.template(unresolved, stored: delivery.message, mediaIds) else {
                return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "media not resolved", errcode: nil), at: now), nil)
            }
            template = resolvedTemplate
        }
        var body = template.body(to: delivery.openid)
        var token: String
        do {
            token = try await tokens.token(for: account)
        } catch let failure as TokenProvider.Failure where SendPolicy.credentialsRefused(failure.errcode) {
            await answered()
            let pause = SendPolicy.credentialsPause(errcode: failure.errcode, now: now)
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now, errcode: failure.errcode, countsAsAttempt: false), at: now), pause)
        } catch let error as WeChatAPI.CallError {
            // No token because WeChat cannot be reached (or did not answer the token call, which
            // sends nothing to anyone): the delivery was certainly not sent.
            return notSent(delivery, error: error)
        } catch {
            logger.warning("no access token", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now + 5_000, errcode: nil, countsAsAttempt: false), at: now), nil)
        }
        do {
            var answer = try await api.customSend(accessToken: token, body: body)
            await answered()
            if SendPolicy.tokenRejected(answer.errcode) {
                do {
                    token = try await tokens.refresh(for: account, stale: token)
                } catch let error as WeChatAPI.CallError {
                    return notSent(delivery, error: error)
                } catch {
                    // The message was refused with the old token and not sent again.
                    logger.warning("token refresh failed", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
                    let at = clock.nowMillis()
                    return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: at + 5_000, errcode: answer.errcode, countsAsAttempt: false),
                                           at: at), nil)
                }
                answer = try await api.customSend(accessToken: token, body: body)
                if SendPolicy.tokenRejected(answer.errcode) {
                    let pause = SendPolicy.tokenPause(errcode: answer.errcode, now: now)
                    return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now, errcode: answer.errcode, countsAsAttempt: false),
                                           at: clock.nowMillis()), pause)
                }
            }
            if answer.errcode == 40007, !mediaIds.isEmpty, let media {
                // WeChat no longer knows a media id (deleted early, or older than kefu thought):
                // upload again — once for every process, the first to ask doing it — and resend.
                var fresh: [String: String] = [:]
                do {
                    for (id, stale) in mediaIds { fresh[id] = try await media.refresh(appid: account.appid, id: id, account: account, stale: stale) }
                } catch {
                    return mediaFailed(delivery, account: account, error: error)
                }
                guard let again = resolved.template(unresolved, stored: delivery.message, fresh) else {
                    return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "media not resolved", errcode: nil), at: now), nil)
                }
                mediaIds = fresh
                body = again.body(to: delivery.openid)
                answer = try await api.customSend(accessToken: token, body: body)
            }
            let decision = SendPolicy.decide(errcode: answer.errcode, attempts: delivery.attempts, now: clock.nowMillis())
            return (DeliveryResult(delivery: delivery, outcome: decision.outcome, ledgerEffect: decision.ledgerEffect, at: clock.nowMillis(),
                                   wechatMedia: Self.mediaNote(mediaIds)),
                    decision.pauseAccount)
        } catch WeChatAPI.CallError.notSent(let why) {
            return notSent(delivery, error: .notSent(why))
        } catch {
            // The request was written and no answer came: the unknown-outcome policy decides.
            let at = clock.nowMillis()
            logger.warning("send outcome unknown", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
            switch configuration.unknownOutcome {
            case .skip:
                return (DeliveryResult(delivery: delivery, outcome: .skipped(reason: DeliveryReason.noAnswer, errcode: nil), at: at), nil)
            case .retry:
                return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: at + 1_000, errcode: nil, countsAsAttempt: true), at: at), nil)
            }
        }
    }

    /// A delivery whose call never left this process: it stays pending, retried after the
    /// back-off, and once WeChat has been unreachable long enough its account is paused. Logged
    /// once per change of WeChat's reachability, not per delivery.
    func notSent(_ delivery: ClaimedDelivery, error: WeChatAPI.CallError) -> (DeliveryResult, AccountPause?) {
        let now = clock.nowMillis()
        let why = switch error { case .notSent(let why), .noAnswer(let why): why }
        let verdict = reachability.failed(error: why, now: now)
        switch verdict.change {
        case .startedFailing(let error):
            logger.warning("WeChat not reachable; deliveries stay pending and are retried with back-off",
                           metadata: ["error": "\(error)", "kefu.wechat.api": "\(api.baseURL)"])
        case .becameUnreachable(let error, let forMillis):
            logger.error("WeChat unreachable: pausing accounts and probing with back-off",
                         metadata: ["error": "\(error)", "kefu.unreachable.seconds": "\(forMillis / 1000)", "kefu.wechat.api": "\(api.baseURL)"])
        default:
            break
        }
        return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: verdict.retryAt, errcode: nil, countsAsAttempt: false), at: now),
                verdict.pause)
    }

    /// A delivery whose message's media could not be given a WeChat id: WeChat busy is retried
    /// with the -1 back-off; another process still uploading, a lost answer or a failing store,
    /// later without an attempt counted; WeChat refusing the file or the file gone, failed
    /// with the reason. Token and reachability failures as for a send.
    func mediaFailed(_ delivery: ClaimedDelivery, account: Account, error: any Error) -> (DeliveryResult, AccountPause?) {
        let now = clock.nowMillis()
        switch error {
        case let failure as MediaProvider.Failure where failure.errcode == -1:
            let decision = SendPolicy.decide(errcode: -1, attempts: delivery.attempts, now: now)
            return (DeliveryResult(delivery: delivery, outcome: decision.outcome, at: now), nil)
        case let failure as MediaProvider.Failure where failure.retryable:
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now + 5_000, errcode: nil, countsAsAttempt: false), at: now), nil)
        case let failure as MediaProvider.Failure:
            return (DeliveryResult(delivery: delivery, outcome: .failed(reason: failure.reason, errcode: failure.errcode), at: now), nil)
        case let failure as TokenProvider.Failure where SendPolicy.credentialsRefused(failure.errcode):
            let pause = SendPolicy.credentialsPause(errcode: failure.errcode, now: now)
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now, errcode: failure.errcode, countsAsAttempt: false), at: now), pause)
        case WeChatAPI.CallError.notSent(let why):
            return notSent(delivery, error: .notSent(why))
        default:
            // The upload's answer was lost, or the store failed: the message itself was not sent.
            logger.warning("no WeChat media id", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now + 5_000, errcode: nil, countsAsAttempt: false), at: now), nil)
        }
    }

    /// The WeChat ids a delivery used, for its log: in the order of the library ids.
    static func mediaNote(_ ids: [String: String]) -> String? {
        ids.isEmpty ? nil : ids.sorted { $0.key < $1.key }.map(\.value).joined(separator: ",")
    }

    /// WeChat answered: after a time unreachable, the pauses that set are lifted at once.
    func answered() async {
        guard let change = reachability.answered(now: clock.nowMillis()), case .recovered(let afterMillis) = change else { return }
        logger.notice("WeChat reachable again; sending resumes", metadata: ["kefu.unreachable.seconds": "\(afterMillis / 1000)"])
        do {
            try await store.liftAccountPauses(reasonPrefix: AccountPause.unreachablePrefix)
        } catch {
            logger.warning("lifting the unreachable pauses failed; they expire by themselves",
                           metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// Send-body templates of messages whose library files are resolved to WeChat ids, by message
/// and ids: a broadcast's million deliveries share one, as they share the unresolved one.
final class ResolvedTemplates: Sendable {
    private let cache = Mutex<[String: SendBodyTemplate]>([:])

    /// `stored`: the message as the delivery holds it (its cache key, never re-serialised).
    func template(_ message: CustomMessage, stored: String, _ ids: [String: String]) -> SendBodyTemplate? {
        let key = stored + "\u{0}" + ids.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if let cached = cache.withLock({ $0[key] }) { return cached }
        guard let resolved = message.resolvingMedia(ids) else { return nil }
        let template = SendBodyTemplate(message: resolved)
        cache.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[key] = template
        }
        return template
    }
}

extension Array {
    /// The elements that match, and those that don't, each in their original order.
    func partitioned(by matches: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = [], rest: [Element] = []
        for element in self {
            if matches(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}

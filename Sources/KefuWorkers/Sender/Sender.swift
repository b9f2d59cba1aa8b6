import KefuCore
import KefuStore
import Logging
import ServiceLifecycle

/// Drains the send queue: claims due deliveries (earliest window close first, within each
/// account's rate and budget, leased), calls WeChat for each with bounded concurrency, applies
/// WeChat's answer (SendPolicy), and records the results of a batch in one transaction.
public struct Sender: Service {
    public struct Configuration: Sendable {
        /// Calls to WeChat in flight at once, per sender.
        public var concurrency: Int
        /// Deliveries claimed per round at most.
        public var batchSize: Int
        /// How long a claim is held; a worker that dies loses its claims after this.
        public var leaseMillis: Int64
        /// Pause when the queue has nothing due.
        public var idlePoll: Duration
        public var unknownOutcome: UnknownOutcomePolicy

        public init(concurrency: Int = 32, batchSize: Int = 64, leaseMillis: Int64 = 60_000,
                    idlePoll: Duration = .milliseconds(50), unknownOutcome: UnknownOutcomePolicy = .skip) {
            self.concurrency = concurrency
            self.batchSize = batchSize
            self.leaseMillis = leaseMillis
            self.idlePoll = idlePoll
            self.unknownOutcome = unknownOutcome
        }
    }

    let store: any KefuStore
    let api: WeChatAPI
    let tokens: TokenProvider
    let clock: any WallClock
    let owner: String
    let configuration: Configuration
    let logger: Logger
    let onResult: @Sendable (DeliveryResult) -> Void

    public init(store: any KefuStore, api: WeChatAPI, tokens: TokenProvider, clock: any WallClock, owner: String,
                configuration: Configuration, logger: Logger, onResult: @escaping @Sendable (DeliveryResult) -> Void = { _ in }) {
        self.store = store
        self.api = api
        self.tokens = tokens
        self.clock = clock
        self.owner = owner
        self.configuration = configuration
        self.logger = logger
        self.onResult = onResult
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var handled = 0
            do {
                handled = try await round()
            } catch {
                logger.warning("send round failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            if handled == 0 {
                // Due work that could not be claimed (another process holds the account's bucket)
                // is retried after a poll; a bucket refill or a retry's due time is waited for.
                var dueIn: Duration?
                if store.wakesAcrossProcesses, let delay = try? await store.nextClaimDelay(now: clock.nowMillis()) {
                    dueIn = delay == 0 ? configuration.idlePoll : .milliseconds(delay)
                }
                await idleWait(store, .deliveries, poll: configuration.idlePoll, dueIn: dueIn)
            }
        }
    }

    /// One claim → send → record round; returns how many deliveries it handled.
    public func round() async throws -> Int {
        let claimed = try await store.claimDeliveries(owner: owner, now: clock.nowMillis(), limit: configuration.batchSize,
                                                      leaseMillis: configuration.leaseMillis)
        guard !claimed.isEmpty else { return 0 }
        var accounts: [String: Account] = [:]
        for appid in Set(claimed.map(\.appid)) { accounts[appid] = try await store.account(appid: appid) }
        var pauses: [String: AccountPause] = [:]
        var results: [DeliveryResult] = []
        results.reserveCapacity(claimed.count)
        try await withThrowingTaskGroup(of: (DeliveryResult, AccountPause?).self) { group in
            var next = 0
            func start() {
                let delivery = claimed[next]
                let account = accounts[delivery.appid]
                next += 1
                group.addTask { await send(delivery, account: account) }
            }
            while next < min(configuration.concurrency, claimed.count) { start() }
            while let (result, pause) = try await group.next() {
                results.append(result)
                if let pause { pauses[result.delivery.appid] = pause }
                if next < claimed.count { start() }
            }
        }
        try await store.recordResults(results, owner: owner)
        for (appid, pause) in pauses {
            try await store.pauseAccount(appid: appid, pause: pause)
            logger.warning("account sending paused", metadata: ["kefu.appid": "\(appid)", "kefu.reason": "\(pause.reason)"])
        }
        for result in results { onResult(result) }
        return results.count
    }

    /// Sends one delivery and decides what became of it.
    func send(_ delivery: ClaimedDelivery, account: Account?) async -> (DeliveryResult, AccountPause?) {
        let now = clock.nowMillis()
        guard let account else {
            return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "account deleted", errcode: nil), at: now), nil)
        }
        let body: [UInt8]
        do {
            body = try CustomMessage(json: delivery.message).sendBody(to: delivery.openid)
        } catch {
            return (DeliveryResult(delivery: delivery, outcome: .failed(reason: "stored message unreadable", errcode: nil), at: now), nil)
        }
        var token: String
        do {
            token = try await tokens.token(for: account)
        } catch let failure as TokenProvider.Failure where [40125, 40013, 40164, 41004].contains(failure.errcode) {
            let pause = AccountPause(until: now + 365 * 86_400_000, reason: "WeChat refused the account's credentials (\(failure.errcode)): fix app_secret")
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now, errcode: failure.errcode, countsAsAttempt: false), at: now), pause)
        } catch {
            logger.warning("no access token", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
            return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now + 5_000, errcode: nil, countsAsAttempt: false), at: now), nil)
        }
        do {
            var answer = try await api.customSend(accessToken: token, body: body)
            if [40001, 40014, 42001].contains(answer.errcode) {
                token = try await tokens.refresh(for: account, stale: token)
                answer = try await api.customSend(accessToken: token, body: body)
                if [40001, 40014, 42001].contains(answer.errcode) {
                    let pause = AccountPause(until: now + 365 * 86_400_000,
                                             reason: "access token rejected after a refresh (\(answer.errcode)): check app_secret")
                    return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: now, errcode: answer.errcode, countsAsAttempt: false),
                                           at: clock.nowMillis()), pause)
                }
            }
            let decision = SendPolicy.decide(errcode: answer.errcode, attempts: delivery.attempts, now: clock.nowMillis())
            return (DeliveryResult(delivery: delivery, outcome: decision.outcome, ledgerEffect: decision.ledgerEffect, at: clock.nowMillis()),
                    decision.pauseAccount)
        } catch {
            // The request may have reached WeChat: the unknown-outcome policy decides.
            let at = clock.nowMillis()
            logger.warning("send outcome unknown", metadata: ["kefu.appid": "\(account.appid)", "error": "\(String(reflecting: error))"])
            switch configuration.unknownOutcome {
            case .skip:
                return (DeliveryResult(delivery: delivery, outcome: .skipped(reason: DeliveryReason.outcomeUnknown, errcode: nil), at: at), nil)
            case .retry:
                return (DeliveryResult(delivery: delivery, outcome: .retry(dueAt: at + 1_000, errcode: nil, countsAsAttempt: true), at: at), nil)
            }
        }
    }
}

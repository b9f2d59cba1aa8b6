import KefuCore

/// Everything kefu keeps: accounts, the window ledger and the interaction log (and, with later
/// issues, tasks, rules and queues). Each backend — the embedded SQLite file and PostgreSQL —
/// implements it, and one behaviour suite runs against both.
///
/// Times are Unix milliseconds. Methods that compare against "now" take it as a parameter, so
/// callers inject the clock.
public protocol KefuStore: Sendable {
    /// Creates or upgrades the schema. Safe to call from several processes at once.
    func migrate() async throws
    /// Answers when the store can serve requests.
    func ping() async throws
    func close() async throws

    // MARK: Wake-ups
    /// True when `waitForWork` is woken by changes made in other processes (PostgreSQL's
    /// LISTEN/NOTIFY); idle workers then only poll as a fallback. False: workers poll.
    var wakesAcrossProcesses: Bool { get }
    /// Returns when `topic` is signalled or after `timeout`.
    func waitForWork(_ topic: WorkTopic, timeout: Duration) async
    /// Milliseconds from `now` until a claim could return something: 0 when a delivery is
    /// claimable now, the wait for an account's send bucket or a retry's due time otherwise, nil
    /// when nothing is queued.
    func nextClaimDelay(now: Int64) async throws -> Int64?
    /// The send time of the earliest scheduled task.
    func nextTaskStart() async throws -> Int64?

    // MARK: Accounts
    /// Throws `KefuError(.conflict)` when the appid exists.
    func createAccount(_ account: Account) async throws
    func account(appid: String) async throws -> Account?
    func accounts() async throws -> [Account]
    /// Replaces the stored account; throws `.notFound` when it does not exist.
    func updateAccount(_ account: Account) async throws
    /// Removes the account; its ledger and log are purged later by the trimmer, in batches.
    func deleteAccount(appid: String) async throws -> Bool

    // MARK: Window ledger
    /// Appends interactions to the log and applies them to the ledger in one transaction.
    /// Returns, per input, whether it was new (false: a retry already recorded).
    func record(_ interactions: [Interaction], policy: WindowPolicy, now: Int64) async throws -> [Bool]
    /// Followers whose window is open at `now`, closing soonest first.
    func audience(appid: String, now: Int64, limit: Int, after: AudienceCursor?) async throws -> AudiencePage
    func follower(appid: String, openid: String, now: Int64, recent: Int) async throws -> FollowerLedger?

    // MARK: Trimming
    /// Deletes up to `limit` grants closed by `now` and clears closed windows; returns rows touched.
    func trimClosedWindows(now: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` log rows received before `before`; returns rows deleted.
    func trimInteractionLog(before: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` finished deliveries (sent, failed, skipped, cancelled) created before
    /// `before`: the per-recipient logs past retention. Returns rows deleted.
    func trimFinishedDeliveries(before: Int64, limit: Int) async throws -> Int
    /// Deletes up to `limit` ledger and log rows of deleted accounts; returns rows deleted.
    func purgeDeletedAccounts(limit: Int) async throws -> Int
    /// Open windows per account at `now`.
    func openWindowCounts(now: Int64) async throws -> [String: Int]

    // MARK: Broadcast tasks
    /// Stores a new task and returns its id.
    func createTask(_ task: BroadcastTask) async throws -> Int64
    func task(id: Int64) async throws -> BroadcastTask?
    func tasks(appid: String?, status: BroadcastTask.Status?, limit: Int) async throws -> [BroadcastTask]
    /// Moves a task from one of `from` to `to`; false when it was in none of them.
    func transitionTask(id: Int64, from: [BroadcastTask.Status], to: BroadcastTask.Status, now: Int64) async throws -> Bool
    /// Cancels a task that has not ended, and every delivery of it still waiting ("task cancelled").
    func cancelTask(id: Int64, now: Int64) async throws -> Bool
    func taskStats(id: Int64) async throws -> TaskStats
    func taskPreview(id: Int64, now: Int64) async throws -> TaskPreview?
    /// The per-recipient log, by id, from `afterId`.
    func deliveries(taskId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord]
    /// Queues test sends of a task's message to the listed openids, due now (not counted in stats).
    func enqueueTestDeliveries(taskId: Int64, openids: [String], now: Int64) async throws -> Int

    // MARK: Scheduling and the send queue
    /// Snapshots every scheduled task whose send time has come: in one transaction per task, the
    /// task moves to running and one delivery per open window is inserted (set-based; unique per
    /// task and follower). Returns (task id, deliveries queued) for the tasks this call started.
    func startDueTasks(now: Int64) async throws -> [(Int64, Int)]
    /// Marks running tasks with nothing left to send as completed; returns their ids.
    func completeFinishedTasks(now: Int64) async throws -> [Int64]
    /// Claims up to `limit` due deliveries, earliest window close first, within each account's
    /// send rate and daily budget (shared by every process through the store), skipping paused
    /// accounts and tasks. Each is re-checked against the ledger: those without a usable grant
    /// are skipped with a reason; the others reserve one unit of their soonest-closing grant.
    func claimDeliveries(owner: String, now: Int64, limit: Int, leaseMillis: Int64) async throws -> [ClaimedDelivery]
    /// Records what became of claimed deliveries, and their effect on the ledger, in one transaction.
    func recordResults(_ results: [DeliveryResult], owner: String) async throws
    /// Deliveries whose lease expired (their worker died mid-send) follow the unknown-outcome policy.
    func recoverExpiredLeases(now: Int64, policy: UnknownOutcomePolicy) async throws -> Int

    // MARK: Delayed rules
    /// Stores a new rule; returns its id. Rules only apply to interactions received after this.
    func createRule(_ rule: DelayedRule) async throws -> Int64
    func rule(id: Int64) async throws -> DelayedRule?
    func rules(appid: String?) async throws -> [DelayedRule]
    /// Replaces a rule; disabling it cancels its waiting deliveries ("rule disabled").
    func updateRule(_ rule: DelayedRule) async throws
    /// Deletes a rule and cancels its waiting deliveries ("rule deleted").
    func deleteRule(id: Int64, now: Int64) async throws -> Bool
    func ruleDeliveries(ruleId: Int64, state: DeliveryState?, limit: Int, afterId: Int64?) async throws -> [DeliveryRecord]
    /// A rule's deliveries counted by state.
    func ruleDeliveryCounts(id: Int64) async throws -> [DeliveryState: Int]
    /// Bumped by every rule change, so evaluators know when to reload their cached rules.
    func rulesGeneration() async throws -> Int64
    /// Consumes the interaction log in order from the durable trigger position: up to `limit`
    /// interactions are matched against `rules` (by appid) and matching deliveries are queued
    /// (unique per rule and interaction), and the position advances — all in one transaction, so
    /// no interaction is missed or evaluated twice across crashes. Returns nil, changing nothing,
    /// when the rules changed since `generation` (reload and call again).
    func evaluateTriggers(rules: [String: [DelayedRule]], generation: Int64, limit: Int, now: Int64) async throws -> (evaluated: Int, enqueued: Int)?
    /// Moves delayed deliveries whose time has come into the send queue; returns how many and
    /// the due time of the next one still waiting.
    func promoteDueDeliveries(now: Int64, limit: Int) async throws -> (promoted: Int, nextDue: Int64?)

    // MARK: Accounts' sending state
    func accessToken(appid: String) async throws -> StoredAccessToken?
    /// Takes the right to refresh an account's token for `ttlMillis`; false when another holds it.
    func lockTokenRefresh(appid: String, owner: String, now: Int64, ttlMillis: Int64) async throws -> Bool
    /// Gives the refresh right back early (the fetch failed), if `owner` still holds it.
    func releaseTokenRefresh(appid: String, owner: String) async throws
    func storeAccessToken(appid: String, token: StoredAccessToken) async throws
    /// Pauses an account's sending until `pause.until` (a longer pause already set stays, with
    /// its reason).
    func pauseAccount(appid: String, pause: AccountPause) async throws
    func accountPause(appid: String, now: Int64) async throws -> AccountPause?
    /// Lifts a pause (after the operator fixed the account's secret) and forgets its token.
    func clearAccountPause(appid: String) async throws
    /// Lifts every account's pause whose reason starts with `reasonPrefix` (WeChat answers again).
    func liftAccountPauses(reasonPrefix: String) async throws
}

extension KefuStore {
    public var wakesAcrossProcesses: Bool { false }
    public func waitForWork(_ topic: WorkTopic, timeout: Duration) async {
        try? await Task.sleep(for: timeout)
    }
    public func nextClaimDelay(now: Int64) async throws -> Int64? { nil }
}

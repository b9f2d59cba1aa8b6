import CoreMetrics
import Metrics
import Prometheus
import KefuCore
import Synchronization

/// kefu's metrics, on a registry of its own (so several apps in one test process stay apart).
/// Names are dotted; dimensions are bounded (outcome, appid — never openids).
public final class KefuMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let ledgerGauges = Mutex<[String: CoreMetrics.Gauge]>([:])
    /// Counters by label and dimensions, made once: making one goes through the registry's lock
    /// and name checks, which profiling showed on every callback.
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let batchSizes: CoreMetrics.Recorder
    private let lateness: CoreMetrics.Recorder
    private let callbackAnswers: CoreMetrics.Recorder

    public init() {
        self.registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["kefu.commit.batch.size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets["kefu.delayed.lateness.seconds"] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]
        factory.valueHistogramBuckets["kefu.callback.answer.seconds"] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 10]
        self.factory = factory
        callbackAnswers = CoreMetrics.Recorder(label: "kefu.callback.answer.seconds", dimensions: [], aggregate: true, factory: factory)
        batchSizes = CoreMetrics.Recorder(label: "kefu.commit.batch.size", dimensions: [], aggregate: true, factory: factory)
        lateness = CoreMetrics.Recorder(label: "kefu.delayed.lateness.seconds", dimensions: [], aggregate: true, factory: factory)
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{0}")
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// Callbacks by outcome: recorded, duplicate, verified, unauthorized, unknown_account,
    /// malformed, too_large, unavailable, overloaded (refused at once: the store is behind).
    public func callback(_ outcome: String) {
        counter("kefu.callbacks", [("outcome", outcome)]).increment()
    }

    /// How long a push took to answer, from its handler's start to its answer, whatever the
    /// outcome: WeChat gives up after 5 s (and retries), so the 5 s bucket should hold them all.
    public func callbackAnswered(after elapsed: Duration) {
        let (seconds, attoseconds) = elapsed.components
        callbackAnswers.record(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Pushes of a kind kefu does not know (recorded as `other`), by account: what WeChat added
    /// since this version was written.
    public func unknownPush(appid: String) {
        counter("kefu.callbacks.unknown.kind", [("appid", appid)]).increment()
    }

    /// Sign-in attempts with a wrong token (`refused`) and those turned away by the throttle
    /// (`throttled`), by surface (`api`, `console`).
    public func signIn(_ outcome: String, surface: String) {
        counter("kefu.signin.failures", [("outcome", outcome), ("surface", surface)]).increment()
    }

    /// Interactions per group-commit transaction.
    public func commitBatch(_ size: Int) {
        batchSizes.record(size)
    }

    /// Open windows per account, refreshed by the trimmer.
    public func ledgerSize(_ counts: [String: Int]) {
        ledgerGauges.withLock { gauges in
            for (appid, count) in counts {
                let gauge = gauges[appid] ?? CoreMetrics.Gauge(label: "kefu.ledger.open.windows", dimensions: [("appid", appid)], factory: factory)
                gauges[appid] = gauge
                gauge.record(count)
            }
        }
    }

    /// Deliveries by outcome (sent, skipped, failed, retry) and account.
    public func delivery(_ result: DeliveryResult) {
        let outcome = switch result.outcome {
        case .sent: "sent"
        case .skipped: "skipped"
        case .failed: "failed"
        case .retry: "retry"
        }
        counter("kefu.deliveries", [("outcome", outcome), ("appid", result.delivery.appid)]).increment()
        if case .sent = result.outcome, result.delivery.delayed {
            // How late after its due time a delayed message went out.
            lateness.record(Double(max(result.at - result.delivery.dueAt, 0)) / 1000)
        }
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}

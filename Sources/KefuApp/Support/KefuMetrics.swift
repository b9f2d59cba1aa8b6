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

    public init() {
        self.registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["kefu.commit.batch.size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        factory.valueHistogramBuckets["kefu.delayed.lateness.seconds"] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]
        self.factory = factory
    }

    /// Callbacks by outcome: recorded, duplicate, verified, unauthorized, unknown_account,
    /// malformed, too_large, unavailable.
    public func callback(_ outcome: String) {
        CoreMetrics.Counter(label: "kefu.callbacks", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Interactions per group-commit transaction.
    public func commitBatch(_ size: Int) {
        CoreMetrics.Recorder(label: "kefu.commit.batch.size", dimensions: [], aggregate: true, factory: factory).record(size)
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
        CoreMetrics.Counter(label: "kefu.deliveries", dimensions: [("outcome", outcome), ("appid", result.delivery.appid)],
                            factory: factory).increment()
        if case .sent = result.outcome, result.delivery.delayed {
            // How late after its due time a delayed message went out.
            CoreMetrics.Recorder(label: "kefu.delayed.lateness.seconds", dimensions: [], aggregate: true, factory: factory)
                .record(Double(max(result.at - result.delivery.dueAt, 0)) / 1000)
        }
    }

    public func render() -> [UInt8] { registry.emitToBuffer() }
}

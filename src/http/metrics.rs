//! Prometheus metrics: the process-wide recorder and the per-request middleware.
//!
//! The recorder is installed once per process (tests start several apps in one process and
//! share it). Request metrics are labelled by the matched route template, never by the raw
//! path, so label cardinality stays bounded.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by method, route and status.
pub const REQUESTS_TOTAL: &str = "originguard_http_requests_total";
/// Request latency in seconds, by method and route.
pub const REQUEST_DURATION: &str = "originguard_http_request_duration_seconds";
/// Latency histogram buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_owned()), LATENCY_BUCKETS)
                .map(PrometheusBuilder::build_recorder);
            match recorder {
                Ok(recorder) => {
                    let handle = recorder.handle();
                    if metrics::set_global_recorder(recorder).is_err() {
                        tracing::warn!("a metrics recorder was already installed");
                    }
                    describe();
                    handle
                }
                Err(error) => {
                    tracing::error!(%error, "metrics recorder could not be built; metrics are off");
                    PrometheusBuilder::new().build_recorder().handle()
                }
            }
        })
        .clone()
}

/// Gives every metric family its `# HELP` text, and sets `originguard_build_info`.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        REQUESTS_TOTAL,
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency, by method and route template."
    );
    describe_counter!(
        crate::network::dns::QUERIES_TOTAL,
        "DNS queries, by the path that settled them (direct UDP or hickory-resolver)."
    );
    describe_counter!(
        super::limit::RATE_LIMITED_TOTAL,
        "Requests answered 429 rate_limited, by key (name#key_id)."
    );
    describe_gauge!(
        "originguard_build_info",
        "Always 1; the labels name the running build."
    );
    describe_gauge!("originguard_queue_depth", "Entries in the intake stream.");
    describe_gauge!(
        "originguard_queue_pending",
        "Intake entries delivered to a worker and not yet acknowledged."
    );
    describe_gauge!(
        "originguard_dead_letters",
        "Queue entries and webhook deliveries the workers gave up on."
    );
    describe_gauge!(
        "originguard_webhook_due",
        "Registry webhook deliveries waiting for their next attempt."
    );
    describe_gauge!(
        "originguard_blocklist_version",
        "The operators' blocklist's current version."
    );
    describe_gauge!(
        "originguard_blocklist_entries",
        "Active blocklist entries, by type (domain, ip, cidr)."
    );
    describe_gauge!(
        "originguard_operator_lag_versions",
        "Versions between the blocklist's and each operator's last acknowledgement."
    );
    describe_gauge!(
        "originguard_platform_notices_overdue",
        "Open platform notices past their due time, by platform."
    );
    describe_counter!(
        "originguard_reference_cache_hits_total",
        "Reference look-ups answered from memory since start."
    );
    describe_counter!(
        "originguard_reference_cache_misses_total",
        "Reference look-ups read from Redis since start."
    );
    describe_gauge!(
        "originguard_reference_cache_entries",
        "Reference answers held in memory."
    );
    describe_gauge!(
        "originguard_reference_cache_tracking",
        "1 while Redis's invalidation messages arrive, else 0."
    );
    metrics::gauge!("originguard_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Middleware: counts each request and records its latency under its route template.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS_TOTAL, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Sets the queue gauges: intake depth, entries pending acknowledgement, dead letters and
/// webhook deliveries waiting (read from Redis at scrape time).
pub fn record_queue(figures: &crate::store::queue::QueueFigures) {
    metrics::gauge!("originguard_queue_depth", "queue" => "intake").set(figures.intake as f64);
    metrics::gauge!("originguard_queue_pending", "queue" => "intake").set(figures.pending as f64);
    metrics::gauge!("originguard_dead_letters").set(figures.dead as f64);
    metrics::gauge!("originguard_webhook_due").set(figures.webhook_due as f64);
}

/// Sets the reference cache gauges: look-ups answered from memory and from Redis since start,
/// answers held, and whether Redis's invalidation messages are arriving (1) or not (0).
pub fn record_reference_cache(figures: &crate::store::cache::CacheFigures) {
    metrics::counter!("originguard_reference_cache_hits_total").absolute(figures.hits);
    metrics::counter!("originguard_reference_cache_misses_total").absolute(figures.misses);
    metrics::gauge!("originguard_reference_cache_entries").set(figures.held as f64);
    metrics::gauge!("originguard_reference_cache_tracking")
        .set(f64::from(u8::from(figures.tracking)));
}

/// Sets the blocklist gauges: current version, active entries by type, and each operator's
/// lag in versions behind its last acknowledgement.
pub async fn record_blocklist(store: &crate::store::Store) -> crate::store::StoreResult<()> {
    use crate::store::blocklist;
    let version = blocklist::version(store).await?;
    metrics::gauge!("originguard_blocklist_version").set(version as f64);
    for (kind, count) in blocklist::counts(store).await? {
        metrics::gauge!("originguard_blocklist_entries", "type" => kind).set(count as f64);
    }
    for (operator, ack) in blocklist::acks(store).await? {
        metrics::gauge!("originguard_operator_lag_versions", "operator" => operator)
            .set(version.saturating_sub(ack.version) as f64);
    }
    Ok(())
}

/// Sets each platform's count of open notices past their due time.
pub fn record_platforms(figures: &[crate::takedown::platform::PlatformCompliance]) {
    for line in figures {
        metrics::gauge!("originguard_platform_notices_overdue", "platform" => line.platform.clone())
            .set(line.overdue as f64);
    }
}

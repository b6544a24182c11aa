//! The application's state: what every request shares (the store, the keys, the network
//! context, settings fixed at start). The HTTP layer's router is built over it.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::limit::Limiter;
use crate::auth::KeyStore;
use crate::config::DEFAULT_BODY_LIMIT;
use crate::network::resolve::NetworkContext;
use crate::service::blocklist::DeltaCache;
use crate::store::Store;
use crate::takedown::rpz::RpzZone;
use crate::takedown::TakedownSettings;

/// Settings the handlers need, fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest JSON body, in bytes.
    pub body_limit: usize,
    /// Takedown settings (suspension clock and limits).
    pub takedowns: TakedownSettings,
    /// The RPZ zone's name and canary (the HTTP RPZ answer and the DNS zone).
    pub rpz_zone: RpzZone,
    /// Per-key rate limits, shared through Redis; `None` limits nothing. `serve` turns them
    /// on unless `--no-rate-limits`; the default (for tests and embedding) is off.
    pub rate_limits: Option<RateLimitSettings>,
}

/// How per-key rate limits run.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// Time between reconciliations of each key's spend through Redis.
    pub reconcile_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            body_limit: DEFAULT_BODY_LIMIT,
            takedowns: TakedownSettings::default(),
            rpz_zone: RpzZone::default(),
            rate_limits: None,
        }
    }
}

/// State shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    keys: KeyStore,
    network: NetworkContext,
    metrics: PrometheusHandle,
    settings: Settings,
    deltas: DeltaCache,
    limiter: Option<Limiter>,
}

impl AppState {
    /// Assembles the state; `metrics` is the process's Prometheus handle.
    pub fn new(
        store: Store,
        keys: KeyStore,
        network: NetworkContext,
        settings: Settings,
        metrics: PrometheusHandle,
    ) -> AppState {
        // With limits on, the task reconciling them runs as long as the state lives.
        let limiter = settings.rate_limits.map(|limits| {
            let limiter = Limiter::new(limits.reconcile_every);
            tokio::spawn(crate::store::limits::reconcile_forever(
                store.clone(),
                limiter.downgrade(),
                limits.reconcile_every,
            ));
            limiter
        });
        AppState(Arc::new(Inner {
            store,
            keys,
            network,
            metrics,
            settings,
            deltas: DeltaCache::default(),
            limiter,
        }))
    }

    /// Redis.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// The keys in force.
    pub fn keys(&self) -> &KeyStore {
        &self.0.keys
    }

    /// DNS resolver, address guard, allocation data.
    pub fn network(&self) -> &NetworkContext {
        &self.0.network
    }

    /// The Prometheus handle.
    pub fn metrics(&self) -> &PrometheusHandle {
        &self.0.metrics
    }

    /// Start-up settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// Per-key rate limits, when on.
    pub fn limiter(&self) -> Option<&Limiter> {
        self.0.limiter.as_ref()
    }

    /// Rendered blocklist deltas, by (since, version).
    pub fn deltas(&self) -> &DeltaCache {
        &self.0.deltas
    }
}

//! The workers: consumers of the intake queue, the reclaimer of stalled entries, the
//! scheduler that ends suspensions, and the registry webhook's deliverer.
//!
//! They run inside `serve` (for the dev setup) and in `originguard worker` processes; any
//! number may run against one Redis. Every handler is idempotent (each step re-checks the
//! state it was decided on), so an entry delivered twice never files twice.

pub mod webhook;

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::network::resolve::NetworkContext;
use crate::service::takedowns::{self as workflow, Routed};
use crate::store::queue::{self, Delivery};
use crate::store::{blocklist, keys, takedowns, Store};
use crate::takedown::{State, TakedownSettings};
use webhook::WebhookConfig;

/// How the workers run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This process's consumer name in the group.
    pub consumer: String,
    /// An entry delivered and not acknowledged for this long is taken over by another worker.
    pub visibility_timeout: Duration,
    /// Deliveries after which an entry becomes a dead letter.
    pub max_deliveries: u64,
    /// How often the schedules are looked at.
    pub poll_interval: Duration,
    /// Entries handled at once.
    pub concurrency: usize,
    /// Takedown settings.
    pub takedowns: TakedownSettings,
    /// The registry webhook, when configured.
    pub webhook: Option<WebhookConfig>,
}

impl WorkerConfig {
    /// Defaults for a consumer named after this host and process.
    pub fn new(takedowns: TakedownSettings) -> WorkerConfig {
        WorkerConfig {
            consumer: consumer_name(),
            visibility_timeout: Duration::from_secs(60),
            max_deliveries: 5,
            poll_interval: Duration::from_secs(1),
            concurrency: 16,
            takedowns,
            webhook: None,
        }
    }
}

/// `host-pid-random`: unique per process, recognisable in `XINFO CONSUMERS`.
pub fn consumer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned());
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

/// Wait after a Redis error before trying again.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// How long one XREADGROUP blocks.
const READ_BLOCK: Duration = Duration::from_secs(1);

/// Runs every worker loop until `shutdown` is cancelled.
pub async fn run(
    store: Store,
    network: NetworkContext,
    config: WorkerConfig,
    shutdown: CancellationToken,
) {
    while let Err(error) = queue::ensure_group(&store).await {
        tracing::warn!(%error, "cannot create the queue's consumer group; retrying");
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(ERROR_PAUSE) => {}
        }
    }
    tracing::info!(consumer = %config.consumer, "workers started");
    let worker = Worker {
        store,
        network,
        config,
    };
    tokio::join!(
        worker.intake(&shutdown),
        worker.reclaimer(&shutdown),
        worker.scheduler(&shutdown),
        worker.webhook(&shutdown),
        worker.publisher(&shutdown),
    );
    tracing::info!("workers stopped");
}

struct Worker {
    store: Store,
    network: NetworkContext,
    config: WorkerConfig,
}

impl Worker {
    /// Handles one delivery: routes the request, then acknowledges the entry. A failure leaves
    /// the entry pending, for a later delivery.
    async fn handle(&self, delivery: Delivery) {
        if delivery.deliveries > self.config.max_deliveries {
            tracing::error!(entry = %delivery.entry, takedown = %delivery.takedown, deliveries = delivery.deliveries, "giving up on a queue entry: dead letter");
            if let Err(error) = queue::dead_letter(&self.store, &delivery).await {
                tracing::warn!(%error, "cannot move the entry to the dead letters");
            }
            return;
        }
        let routed = workflow::route(
            &self.store,
            &self.network,
            &self.config.takedowns,
            &delivery.takedown,
        )
        .await;
        match routed {
            Ok(outcome) => {
                if let Routed::Now(channel) = outcome {
                    tracing::info!(takedown = %delivery.takedown, channel = channel.as_str(), "takedown routed");
                }
                if let Err(error) = queue::done(&self.store, &delivery.entry).await {
                    tracing::warn!(%error, entry = %delivery.entry, "cannot acknowledge; it will be delivered again");
                }
            }
            Err(error) => {
                tracing::warn!(%error, takedown = %delivery.takedown, "routing failed; the entry stays pending");
            }
        }
    }

    async fn handle_all(&self, deliveries: Vec<Delivery>) {
        futures::stream::iter(deliveries)
            .for_each_concurrent(self.config.concurrency.max(1), |d| self.handle(d))
            .await;
    }

    async fn intake(&self, shutdown: &CancellationToken) {
        let mut conn = None;
        while !shutdown.is_cancelled() {
            let connection = match conn.as_mut() {
                Some(c) => c,
                None => match self.store.dedicated(READ_BLOCK * 3).await {
                    Ok(c) => conn.insert(c),
                    Err(error) => {
                        tracing::warn!(%error, "cannot open the queue connection");
                        pause(shutdown, ERROR_PAUSE).await;
                        continue;
                    }
                },
            };
            let read = tokio::select! {
                () = shutdown.cancelled() => return,
                read = queue::read_new(connection, &self.config.consumer, self.config.concurrency, READ_BLOCK) => read,
            };
            match read {
                Ok(deliveries) => self.handle_all(deliveries).await,
                Err(error) => {
                    tracing::warn!(%error, "reading the queue failed");
                    conn = None;
                    pause(shutdown, ERROR_PAUSE).await;
                }
            }
        }
    }

    async fn reclaimer(&self, shutdown: &CancellationToken) {
        let every = (self.config.visibility_timeout / 2).max(Duration::from_millis(100));
        while !shutdown.is_cancelled() {
            pause(shutdown, every).await;
            match queue::reclaim(
                &self.store,
                &self.config.consumer,
                self.config.visibility_timeout,
                100,
            )
            .await
            {
                Ok(deliveries) if !deliveries.is_empty() => {
                    tracing::info!(count = deliveries.len(), "took over stalled queue entries");
                    self.handle_all(deliveries).await;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reclaiming stalled entries failed"),
            }
        }
    }

    async fn scheduler(&self, shutdown: &CancellationToken) {
        let schedule = keys::suspension_schedule();
        while !shutdown.is_cancelled() {
            pause(shutdown, self.config.poll_interval).await;
            let now = Utc::now();
            let due = match queue::due(&self.store, &schedule, now.timestamp_millis(), 100).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, "reading the suspension schedule failed");
                    continue;
                }
            };
            for id in due {
                match workflow::end_suspension(&self.store, &id, now).await {
                    Ok(true) => tracing::info!(takedown = %id, "suspension ended"),
                    Ok(false) => {
                        // Not suspended any more (or gone): a stale schedule entry.
                        let state = takedowns::load(&self.store, &id)
                            .await
                            .ok()
                            .flatten()
                            .map(|t| t.state);
                        if state != Some(State::Suspended) {
                            let _ = queue::unschedule(&self.store, &schedule, &id).await;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, takedown = %id, "ending a suspension failed")
                    }
                }
            }
        }
    }

    /// Computes the checksum of each new blocklist version, so deltas never wait for it.
    async fn publisher(&self, shutdown: &CancellationToken) {
        let mut published = None;
        while !shutdown.is_cancelled() {
            pause(shutdown, self.config.poll_interval).await;
            let version = match blocklist::version(&self.store).await {
                Ok(version) => version,
                Err(error) => {
                    tracing::warn!(%error, "reading the blocklist version failed");
                    continue;
                }
            };
            if published == Some(version) {
                continue;
            }
            let computed = async {
                let (version, snapshot) = blocklist::snapshot(&self.store).await?;
                blocklist::checksum(&self.store, version, &snapshot).await?;
                Ok::<u64, crate::store::StoreError>(version)
            };
            match computed.await {
                Ok(version) => published = Some(version),
                Err(error) => tracing::warn!(%error, "computing the blocklist checksum failed"),
            }
        }
    }

    async fn webhook(&self, shutdown: &CancellationToken) {
        let Some(config) = &self.config.webhook else {
            return;
        };
        let due_key = keys::webhook_due();
        // One delivery per lease, long enough for its one attempt: a lease never runs out
        // while another delivery of the same batch is being made.
        let lease = i64::try_from((config.timeout * 2).as_millis()).unwrap_or(60_000);
        while !shutdown.is_cancelled() {
            pause(shutdown, self.config.poll_interval).await;
            while !shutdown.is_cancelled() {
                let now = Utc::now().timestamp_millis();
                let lease_until = now + lease;
                match queue::lease_due(&self.store, &due_key, now, lease_until, 1).await {
                    Ok(ids) if ids.is_empty() => break,
                    Ok(ids) => {
                        for id in ids {
                            self.deliver(config, &id, lease_until).await;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reading the webhook schedule failed");
                        break;
                    }
                }
            }
        }
    }

    async fn deliver(&self, config: &WebhookConfig, id: &str, lease_until: i64) {
        let takedown = match takedowns::load(&self.store, id).await {
            Ok(Some(takedown)) => takedown,
            Ok(None) => {
                let _ = queue::webhook_delivered(&self.store, id, lease_until).await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "loading a webhook delivery failed");
                return;
            }
        };
        let body = serde_json::to_vec(&takedown).unwrap_or_default();
        let error = match webhook::deliver(&self.network, config, body).await {
            Ok(()) => {
                match queue::webhook_delivered(&self.store, id, lease_until).await {
                    Ok(true) => tracing::info!(takedown = %id, "registry webhook delivered"),
                    Ok(false) => {
                        tracing::warn!(takedown = %id, "registry webhook delivered after its lease ran out")
                    }
                    Err(error) => tracing::warn!(%error, "cannot record a webhook delivery"),
                }
                return;
            }
            Err(error) => error,
        };
        let backoff = u64::try_from(config.backoff.as_millis()).unwrap_or(u64::MAX);
        let attempts = match queue::webhook_failed(
            &self.store,
            id,
            lease_until,
            config.max_attempts,
            backoff,
        )
        .await
        {
            Ok(Some(attempts)) => attempts,
            Ok(None) => {
                tracing::warn!(takedown = %id, %error, "registry webhook failed after its lease ran out");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot record a failed webhook delivery");
                return;
            }
        };
        if attempts >= config.max_attempts {
            tracing::error!(takedown = %id, attempts, %error, "registry webhook gave up: dead letter");
            if let Err(e) = queue::webhook_dead_letter(&self.store, id, attempts, &error).await {
                tracing::warn!(error = %e, "cannot move the webhook delivery to the dead letters");
            }
        } else {
            tracing::warn!(takedown = %id, attempts, %error, "registry webhook failed; retrying");
        }
    }
}

async fn pause(shutdown: &CancellationToken, wait: Duration) {
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(wait) => {}
    }
}

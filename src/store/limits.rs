//! Fair use across replicas: pushes each key's local spend to one shared budget per key in
//! Redis and brings back how far that budget is ahead, every few milliseconds, off the request
//! path.
//!
//! The arithmetic and its error bound are in [`crate::auth::limit`]; this module only moves
//! numbers. Keys near their limit are reconciled every interval, the others every
//! [`RELAXED_EVERY`] intervals. One [`reconcile`] is one pipeline: a `SCRIPT LOAD` (so that a restarted Redis
//! never answers `NOSCRIPT`) and one call of `lua/limit.lua` per key. Each call touches one key,
//! so the same pipeline works on Redis Cluster. While Redis is known to be down the task skips
//! its ticks and the spend made meanwhile is dropped: each replica limits on its own.

use std::sync::LazyLock;
use std::time::Duration;

use crate::auth::limit::{Push, WeakLimiter, RELAXED_EVERY};

use super::{keys, Store};

static SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("lua/limit.lua")));

/// Default time between reconciliations.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(5);

/// Pushes `pushes` and returns, for each, nanoseconds its shared budget is ahead of Redis's
/// clock.
pub async fn reconcile(store: &Store, pushes: &[Push]) -> redis::RedisResult<Vec<u64>> {
    let mut pipe = redis::pipe();
    pipe.load_script(&SCRIPT).ignore();
    let invocations: Vec<redis::ScriptInvocation<'_>> = pushes
        .iter()
        .map(|push| {
            let mut invocation = SCRIPT.prepare_invoke();
            invocation
                .key(keys::rate_budget(push.budget.id()))
                .arg(push.units)
                .arg(format!("{:.3}", push.emission_ns as f64 / 1000.0));
            invocation
        })
        .collect();
    for invocation in &invocations {
        pipe.invoke_script(invocation);
    }
    let ahead_us: Vec<i64> = pipe.query_async(&mut store.conn()).await?;
    Ok(ahead_us
        .into_iter()
        .map(|us| u64::try_from(us).unwrap_or(0).saturating_mul(1000))
        .collect())
}

/// Reconciles `limiter` every `interval` until it is dropped.
pub async fn reconcile_forever(store: Store, limiter: WeakLimiter, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    let mut tick: u64 = 0;
    loop {
        ticker.tick().await;
        tick = tick.wrapping_add(1);
        let relaxed_too = tick.is_multiple_of(RELAXED_EVERY);
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        if store.is_down() {
            // Take (and drop) the spend, so that it is not charged all at once later.
            let _ = limiter.take_pushes(true);
            continue;
        }
        let pushes = limiter.take_pushes(relaxed_too);
        if pushes.is_empty() {
            continue;
        }
        match reconcile(&store, &pushes).await {
            Ok(ahead) => {
                if failing {
                    tracing::info!("rate limits are shared through Redis again");
                    failing = false;
                }
                for (push, ahead_ns) in pushes.iter().zip(ahead) {
                    limiter.merge(push, ahead_ns);
                }
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "cannot share rate limits through Redis; each replica limits on its own until it can");
                    failing = true;
                }
            }
        }
    }
}

//! The operators' blocklist beyond plain reads: deltas rendered once per `(since, version)`,
//! and the compliance figures.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::store::blocklist as store;
use crate::store::{Store, StoreError};
use crate::takedown::blocklist::{delta, BlocklistAnswer};
use crate::takedown::compliance::{self, ComplianceAnswer, LogMark};

/// Rendered delta answers by `(since, version)`. A delta between two versions never changes
/// (the log only grows at its end), so every poller asking from the same version gets the same
/// bytes; at most [`DELTA_CACHE_ENTRIES`] are kept.
#[derive(Debug, Default)]
pub struct DeltaCache(Mutex<HashMap<(u64, u64), Bytes>>);

/// Most deltas kept rendered.
pub const DELTA_CACHE_ENTRIES: usize = 256;

impl DeltaCache {
    fn get(&self, key: (u64, u64)) -> Option<Bytes> {
        self.0.lock().ok()?.get(&key).cloned()
    }

    fn put(&self, key: (u64, u64), body: Bytes) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= DELTA_CACHE_ENTRIES {
                map.clear();
            }
            map.insert(key, body);
        }
    }
}

/// The JSON delta from `since` and its version, rendered once per `(since, version)`; `None`
/// when the log no longer reaches back to `since` (the caller answers the full list).
pub async fn delta_json(
    store_ref: &Store,
    cache: &DeltaCache,
    since: u64,
) -> Result<Option<(u64, Bytes)>, StoreError> {
    if let (Some(version), Some(_)) = store::cached_checksum(store_ref).await? {
        // A cached delta stands only while the log still reaches back to `since`.
        if let Some(body) = cache.get((since, version)) {
            if store::log_reaches(store_ref, since).await? {
                return Ok(Some((version, body)));
            }
        }
    }
    let Some(answer) = delta_answer(store_ref, since).await? else {
        return Ok(None);
    };
    let body = Bytes::from(
        serde_json::to_vec(&answer).map_err(|e| StoreError::encode("blocklist delta", e))?,
    );
    cache.put((since, answer.version), body.clone());
    Ok(Some((answer.version, body)))
}

/// A delta from `since`, at the newest version whose checksum is known (or computed now);
/// `None` when the log no longer reaches back to `since`.
pub async fn delta_answer(
    store_ref: &Store,
    since: u64,
) -> Result<Option<BlocklistAnswer>, StoreError> {
    let (cached_version, cached) = store::cached_checksum(store_ref).await?;
    let (version, checksum) = match (cached_version, cached) {
        (Some(v), Some(sum)) if v >= since => (v, sum),
        _ => {
            let (version, snapshot) = store::snapshot(store_ref).await?;
            let sum = store::checksum(store_ref, version, &snapshot).await?;
            (version, sum)
        }
    };
    let Some(changes) = store::changes(store_ref, since, version).await? else {
        return Ok(None);
    };
    let delta = delta(&changes);
    Ok(Some(BlocklistAnswer {
        version,
        since: Some(since),
        full: false,
        additions: delta.additions,
        removals: delta.removals,
        checksum,
    }))
}

/// Most log records read for one acknowledged version's compliance figures.
const COMPLIANCE_SCAN: usize = 100_000;

/// Compliance of the operators the keys name and of every operator that acknowledged before.
/// The log after each distinct acknowledged version is read once, however many operators
/// stand there.
pub async fn compliance<'a>(
    store_ref: &Store,
    from_keys: impl IntoIterator<Item = &'a str>,
    deadline: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<ComplianceAnswer, StoreError> {
    let version = store::version(store_ref).await?;
    let acks = store::acks(store_ref).await?;
    let operators = compliance::operators(from_keys, acks.iter().map(|(op, _)| op.as_str()));
    let mut logs: HashMap<u64, Vec<LogMark>> = HashMap::new();
    let mut out = Vec::with_capacity(operators.len());
    for operator in operators {
        let ack = acks.iter().find(|(op, _)| *op == operator).map(|(_, a)| a);
        let acked = ack.map_or(0, |a| a.version);
        if acked < version && !logs.contains_key(&acked) {
            logs.insert(
                acked,
                store::log_after(store_ref, acked, COMPLIANCE_SCAN).await?,
            );
        }
        let pending = logs.get(&acked).map_or(&[][..], Vec::as_slice);
        out.push(compliance::standing(
            operator, ack, version, pending, now, deadline,
        ));
    }
    Ok(ComplianceAnswer {
        version,
        deadline_seconds: deadline.as_secs(),
        operators: out,
    })
}

//! Platforms in Redis: the reference records routing reads, and the notice bookkeeping that
//! each notice's state changes write (in the same [`Change`] as the state and its audit
//! entry).
//!
//! Reference side (not chained, spread by key): one JSON record per platform, a hash from
//! domain to platform id, and a hash of shared-infrastructure records by name.
//!
//! Notice side (under `{enforce}`, chained): per platform a lexical index of its notices, its
//! open notices by due time and its outcomes by time; per (platform, account) its upheld
//! notices and temporary locks by time. Outcomes and upheld notices older than the longest
//! window are trimmed as new ones are written.

use super::StoreResult;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use sha2::{Digest, Sha256};

use super::change::{Change, Cmd};
use super::reference::from_json;
use super::{keys, Store};
use crate::reference::platform::{Platform, SharedInfrastructure};
use crate::reference::Record;
use crate::takedown::platform::{windows, AccountHistory, Acted, Outcome};

/// Outcomes read for one platform's compliance figures at most.
const MAX_ACTED_READ: isize = 100_000;

/// The domains the platforms among `records` had before this load, by platform id.
pub async fn previous_domains(
    store: &Store,
    records: &[Record],
) -> StoreResult<HashMap<String, Vec<String>>> {
    let ids: Vec<&str> = records
        .iter()
        .filter_map(|r| match r {
            Record::Platform(p) => Some(p.id.as_str()),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let record_keys: Vec<String> = ids.iter().map(|id| keys::platform(id)).collect();
    let texts: Vec<Option<String>> = store.conn().mget(&record_keys).await?;
    Ok(ids
        .iter()
        .zip(texts)
        .filter_map(|(id, text)| {
            let platform: Platform = from_json(&keys::platform(id), text)?;
            Some(((*id).to_owned(), platform.domains))
        })
        .collect())
}

/// The platform that `host` (lower-case ASCII) is equal to or below one of the domains of,
/// the most specific domain winning.
pub async fn platform_for_host(store: &Store, host: &str) -> StoreResult<Option<Platform>> {
    let candidates: Vec<&str> = std::iter::successors(Some(host), |name| {
        name.split_once('.').map(|(_, parent)| parent)
    })
    .filter(|name| name.contains('.'))
    .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let mut conn = store.conn();
    let ids: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(keys::platform_domains())
        .arg(&candidates)
        .query_async(&mut conn)
        .await?;
    let Some(id) = ids.into_iter().flatten().next() else {
        return Ok(None);
    };
    platform(store, &id).await
}

/// One platform's record.
pub async fn platform(store: &Store, id: &str) -> StoreResult<Option<Platform>> {
    let key = keys::platform(id);
    let text: Option<String> = store.conn().get(&key).await?;
    Ok(from_json(&key, text))
}

/// Every shared-infrastructure record.
pub async fn shared_infrastructure(store: &Store) -> StoreResult<Vec<SharedInfrastructure>> {
    let key = keys::shared_infrastructure();
    let texts: Vec<String> = store.conn().hvals(&key).await?;
    Ok(texts
        .into_iter()
        .filter_map(|text| from_json(&key, Some(text)))
        .collect())
}

/// The key digest of an account.
fn account_digest(account: &str) -> String {
    hex::encode(&Sha256::digest(account.as_bytes())[..12])
}

/// An account's record with a platform as of `now`.
pub async fn account_history(
    store: &Store,
    platform: &str,
    account: &str,
    now: DateTime<Utc>,
) -> StoreResult<AccountHistory> {
    let digest = account_digest(account);
    let upheld = keys::offender_upheld(platform, &digest);
    let (short, long) = windows(now);
    let (upheld_30d, upheld_90d, temporary_locks): (u64, u64, u64) = redis::pipe()
        .zcount(&upheld, short, "+inf")
        .zcount(&upheld, long, "+inf")
        .zcard(keys::offender_locks(platform, &digest))
        .query_async(&mut store.conn())
        .await?;
    Ok(AccountHistory {
        upheld_30d,
        upheld_90d,
        temporary_locks,
    })
}

/// Adds to `change` what a new notice writes: the platform's index and open set.
pub fn notify(change: &mut Change, platform: &str, id: &str, due: DateTime<Utc>) {
    change.index_add(&keys::platform_notices(platform), id);
    let score = due.timestamp_millis().to_string();
    change.op(
        Cmd::Zadd,
        &keys::platform_open(platform),
        [score.as_str(), id],
    );
    change.op(Cmd::Sadd, &keys::platform_noticed(), [platform]);
}

/// Adds to `change` what the end of a notice without an outcome (a withdrawal) writes.
pub fn close(change: &mut Change, platform: &str, id: &str) {
    change.op(Cmd::Zrem, &keys::platform_open(platform), [id]);
}

/// A platform's outcome on a notice, as [`act`] records it.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    /// The platform.
    pub platform: &'a str,
    /// The account, when the notice named one.
    pub account: Option<&'a str>,
    /// The notice.
    pub id: &'a str,
    /// What the platform did.
    pub outcome: Outcome,
    /// Whether the lock is temporary (`lock_days` given).
    pub temporary_lock: bool,
    /// When the notice went out.
    pub notified_at: DateTime<Utc>,
}

/// Adds to `change` what an outcome writes: the notice leaves the open set, the outcome joins
/// the compliance log, and an upheld notice (and a temporary lock) counts against the account.
pub fn act(change: &mut Change, acting: &Acting<'_>, now: DateTime<Utc>) {
    let Acting {
        platform,
        account,
        id,
        outcome,
        temporary_lock,
        notified_at,
    } = *acting;
    close(change, platform, id);
    let now_ms = now.timestamp_millis().to_string();
    let (_, long) = windows(now);
    let trim_before = format!("({long}");
    let seconds = (now - notified_at).num_milliseconds().max(0) as f64 / 1000.0;
    let acted = keys::platform_acted(platform);
    let member = format!("{id}\t{seconds}\t{}", outcome.as_str());
    change.op(Cmd::Zadd, &acted, [now_ms.as_str(), member.as_str()]);
    change.op(
        Cmd::ZremRangeByScore,
        &acted,
        ["-inf", trim_before.as_str()],
    );
    let Some(account) = account.filter(|_| outcome.is_upheld()) else {
        return;
    };
    let digest = account_digest(account);
    let upheld = keys::offender_upheld(platform, &digest);
    change.op(Cmd::Zadd, &upheld, [now_ms.as_str(), id]);
    change.op(
        Cmd::ZremRangeByScore,
        &upheld,
        ["-inf", trim_before.as_str()],
    );
    if outcome == Outcome::AccountLocked && temporary_lock {
        change.op(
            Cmd::Zadd,
            &keys::offender_locks(platform, &digest),
            [now_ms.as_str(), id],
        );
    }
}

/// Every platform worth a compliance line: those in the reference data and those that ever
/// received a notice, sorted.
pub async fn compliance_platforms(store: &Store) -> StoreResult<Vec<String>> {
    let mut conn = store.conn();
    let mut ids: Vec<String> = conn.smembers(keys::platforms()).await?;
    let noticed: Vec<String> = conn.smembers(keys::platform_noticed()).await?;
    ids.extend(noticed);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// A platform's open and overdue notices, and its outcomes of the last 30 days.
pub async fn compliance_inputs(
    store: &Store,
    platform: &str,
    now: DateTime<Utc>,
) -> StoreResult<(u64, u64, Vec<Acted>)> {
    let open = keys::platform_open(platform);
    let (short, _) = windows(now);
    let (count, overdue, members): (u64, u64, Vec<String>) = redis::pipe()
        .zcard(&open)
        .zcount(&open, "-inf", format!("({}", now.timestamp_millis()))
        .zrangebyscore_limit(
            keys::platform_acted(platform),
            short,
            "+inf",
            0,
            MAX_ACTED_READ,
        )
        .query_async(&mut store.conn())
        .await?;
    let acted = members
        .iter()
        .filter_map(|member| {
            let mut parts = member.split('\t');
            let _id = parts.next()?;
            let seconds: f64 = parts.next()?.parse().ok()?;
            let outcome = match parts.next()? {
                "removed" => Outcome::Removed,
                "account_locked" => Outcome::AccountLocked,
                "declined" => Outcome::Declined,
                _ => return None,
            };
            Some(Acted { seconds, outcome })
        })
        .collect();
    Ok((count, overdue, acted))
}

//! The operators' blocklist in Redis.
//!
//! - a version counter, and a change log stream whose entry ids are the versions, trimmed to
//!   the configured retention;
//! - the active entries (hash by value), the version that added each, and the values in
//!   byte-wise order (a lexical sorted set whose members are `value\tflag`, `flag` being `s`
//!   when subdomains are blocked: the tab sorts below every character a value can hold, so
//!   the order is the values' order);
//! - the takedowns holding each value: a value stays on the list while any of them is
//!   blocked; adding and removing check the holders they were decided on, so two takedowns
//!   of the same value never race.
//!
//! Additions and removals are operations of the takedown step's [`Change`], so they happen
//! atomically with the state change and its audit entry. Full answers read a copy of the
//! sorted set taken at one version, so a full list is always exactly one version.

use super::error::op;
use super::StoreResult;
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use serde_json::json;

use super::change::{Change, Cmd};
use super::{keys, scripts, Store};
use crate::takedown::blocklist::{Change as LogChange, Checksum, Entry};
pub use crate::takedown::compliance::Ack;
use crate::takedown::compliance::LogMark;
use crate::takedown::request::TargetType;

/// Values read per page of a full answer.
pub const PAGE: usize = 5000;
/// How long a copy for full answers is kept, in seconds.
const SNAPSHOT_TTL_SECS: u64 = 120;

fn member(value: &str, subdomains: bool) -> String {
    format!("{value}\t{}", if subdomains { "s" } else { "-" })
}

/// Splits a sorted-set member into value and subdomains flag.
pub fn parse_member(member: &str) -> (&str, bool) {
    match member.rsplit_once('\t') {
        Some((value, flag)) => (value, flag == "s"),
        None => (member, false),
    }
}

/// The type of a canonical value, from its syntax.
pub fn kind_of(value: &str) -> TargetType {
    if value.contains('/') {
        TargetType::Cidr
    } else if value.parse::<std::net::IpAddr>().is_ok() {
        TargetType::Ip
    } else {
        TargetType::Domain
    }
}

fn type_name(kind: TargetType) -> &'static str {
    match kind {
        TargetType::Domain => "domain",
        TargetType::Ip => "ip",
        TargetType::Cidr => "cidr",
    }
}

/// Who holds `value` now (comma-separated takedown ids, `""` for nobody), and its entry.
pub async fn holders(store: &Store, value: &str) -> StoreResult<(String, Option<Entry>)> {
    let mut conn = store.conn();
    let (holders, entry): (Option<String>, Option<String>) = redis::pipe()
        .hget(keys::blocklist_holders(), value)
        .hget(keys::blocklist_active(), value)
        .query_async(&mut conn)
        .await?;
    Ok((
        holders.unwrap_or_default(),
        entry.and_then(|e| serde_json::from_str(&e).ok()),
    ))
}

/// Counts `entry` in (`added`) or out of its type's total and appends the change-log record
/// of version `version` (a counter placeholder).
fn count_and_log(
    change: &mut Change,
    version: &str,
    added: bool,
    entry: &Entry,
    retention: u64,
    now: DateTime<Utc>,
) {
    let delta = if added { "1" } else { "-1" };
    change.op(
        Cmd::Hincrby,
        &keys::blocklist_types(),
        [type_name(entry.kind), delta],
    );
    let entry_json = change.json("blocklist entry", entry);
    let args = [
        "MAXLEN".to_owned(),
        "~".into(),
        retention.max(1).to_string(),
        version.to_owned(),
        "op".into(),
        if added { "add" } else { "remove" }.into(),
        "entry".into(),
        entry_json,
        "at".into(),
        now.to_rfc3339(),
    ];
    change.op(Cmd::Xadd, &keys::blocklist_log(), args);
}

/// The takedown ids in a holders field (`td_a,td_b`).
fn holder_ids(holders: &str) -> Vec<&str> {
    holders.split(',').filter(|s| !s.is_empty()).collect()
}

/// Adds to `change` what puts `entry` on the list for its takedown, given the holders read
/// before (a precondition: refused if they changed). Returns the precondition's index, or
/// `None` when the takedown already holds the value (nothing to do).
pub fn add(
    change: &mut Change,
    entry: &Entry,
    holders_before: &str,
    retention: u64,
    now: DateTime<Utc>,
) -> Option<usize> {
    let ids = holder_ids(holders_before);
    if ids.contains(&entry.takedown_id.as_str()) {
        return None;
    }
    let index =
        change.require_field_in(&keys::blocklist_holders(), &entry.value, &[holders_before]);
    let mut now_holding = ids.join(",");
    if !now_holding.is_empty() {
        now_holding.push(',');
    }
    now_holding.push_str(&entry.takedown_id);
    change.op(
        Cmd::Hset,
        &keys::blocklist_holders(),
        [entry.value.clone(), now_holding],
    );
    if ids.is_empty() {
        let version = change.counter(&keys::blocklist_version(), "blocklist_version");
        let json = change.json("blocklist entry", entry);
        change
            .op(
                Cmd::Hset,
                &keys::blocklist_active(),
                [entry.value.clone(), json],
            )
            .op(
                Cmd::Hset,
                &keys::blocklist_added(),
                [entry.value.clone(), version.clone()],
            )
            .index_add(
                &keys::blocklist_sorted(),
                &member(&entry.value, entry.subdomains),
            );
        count_and_log(change, &version, true, entry, retention, now);
    }
    Some(index)
}

/// Adds to `change` what takes `takedown_id`'s hold on `value` off the list: the entry itself
/// goes when no other takedown holds it. Returns the precondition's index, or `None` when
/// the takedown does not hold the value.
pub fn remove(
    change: &mut Change,
    value: &str,
    takedown_id: &str,
    holders_before: &str,
    entry: Option<&Entry>,
    retention: u64,
    now: DateTime<Utc>,
) -> Option<usize> {
    let ids = holder_ids(holders_before);
    if !ids.contains(&takedown_id) {
        return None;
    }
    let index = change.require_field_in(&keys::blocklist_holders(), value, &[holders_before]);
    let rest: Vec<&str> = ids.into_iter().filter(|id| *id != takedown_id).collect();
    if !rest.is_empty() {
        change.op(
            Cmd::Hset,
            &keys::blocklist_holders(),
            [value.to_owned(), rest.join(",")],
        );
        return Some(index);
    }
    change.op(Cmd::Hdel, &keys::blocklist_holders(), [value]);
    let Some(entry) = entry else {
        return Some(index);
    };
    let version = change.counter(&keys::blocklist_version(), "blocklist_version");
    change
        .op(Cmd::Hdel, &keys::blocklist_active(), [value])
        .op(Cmd::Hdel, &keys::blocklist_added(), [value])
        .op(
            Cmd::Zrem,
            &keys::blocklist_sorted(),
            [member(value, entry.subdomains)],
        );
    count_and_log(change, &version, false, entry, retention, now);
    Some(index)
}

/// The current version (0 before the first change).
pub async fn version(store: &Store) -> StoreResult<u64> {
    let mut conn = store.conn();
    let version: Option<u64> = conn.get(keys::blocklist_version()).await?;
    Ok(version.unwrap_or(0))
}

/// A copy of the sorted values at the current version: `(version, key of the copy)`.
pub async fn snapshot(store: &Store) -> StoreResult<(u64, String)> {
    let mut conn = store.conn();
    let prefix = keys::blocklist_snapshot_prefix();
    let version: u64 = scripts::BLOCKLIST_SNAPSHOT
        .key(keys::blocklist_version())
        .key(keys::blocklist_sorted())
        .arg(&prefix)
        .arg(SNAPSHOT_TTL_SECS)
        .invoke_async(&mut conn)
        .await?;
    Ok((version, format!("{prefix}{version}")))
}

/// One page of a snapshot after `after` (exclusive member; from the start when `None`).
pub async fn page(store: &Store, snapshot: &str, after: Option<&str>) -> StoreResult<Vec<String>> {
    let mut conn = store.conn();
    let start = after
        .map(|m| format!("({m}"))
        .unwrap_or_else(|| "-".to_owned());
    conn.zrangebylex_limit(snapshot, &start, "+", 0, PAGE as isize)
        .await
        .map_err(op("blocklist.page"))
}

/// The entries (with `added_in`) of `values`; values no longer active are left out.
pub async fn entries(store: &Store, values: &[&str]) -> StoreResult<Vec<Entry>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = store.conn();
    // HMGET even for one value: the answer is always a list.
    let (active, added): (Vec<Option<String>>, Vec<Option<u64>>) = redis::pipe()
        .cmd("HMGET")
        .arg(keys::blocklist_active())
        .arg(values)
        .cmd("HMGET")
        .arg(keys::blocklist_added())
        .arg(values)
        .query_async(&mut conn)
        .await?;
    Ok(active
        .into_iter()
        .zip(added)
        .filter_map(|(entry, added)| {
            let mut entry: Entry = serde_json::from_str(&entry?).ok()?;
            entry.added_in = added.unwrap_or(0);
            Some(entry)
        })
        .collect())
}

/// The checksum of the list at the snapshot's version, from the cache or computed by reading
/// the snapshot (and then cached).
pub async fn checksum(store: &Store, version: u64, snapshot: &str) -> StoreResult<String> {
    let mut conn = store.conn();
    let (cached_version, cached): (Option<u64>, Option<String>) = redis::cmd("HMGET")
        .arg(keys::blocklist_checksum())
        .arg("version")
        .arg("sha256")
        .query_async(&mut conn)
        .await?;
    if let (Some(v), Some(sum)) = (cached_version, cached) {
        if v == version {
            return Ok(sum);
        }
    }
    let mut sum = Checksum::default();
    let mut after: Option<String> = None;
    loop {
        let members = page(store, snapshot, after.as_deref()).await?;
        for m in &members {
            sum.push(parse_member(m).0);
        }
        let full = members.len() == PAGE;
        after = members.last().cloned();
        if !full {
            break;
        }
    }
    let sum = sum.finish();
    // Only move the cache forward.
    let _: () = scripts::CHECKSUM_FORWARD
        .key(keys::blocklist_checksum())
        .arg(version)
        .arg(&sum)
        .invoke_async(&mut conn)
        .await
        .map(|_: i64| ())?;
    Ok(sum)
}

/// Whether the retained log still holds every change after `since`.
pub async fn log_reaches(store: &Store, since: u64) -> StoreResult<bool> {
    let mut conn = store.conn();
    let first: redis::streams::StreamRangeReply = conn
        .xrange_count(keys::blocklist_log(), "-", "+", 1)
        .await?;
    let oldest = first
        .ids
        .first()
        .and_then(|e| e.id.split('-').next()?.parse::<u64>().ok());
    Ok(oldest.is_some_and(|oldest| oldest <= since + 1))
}

/// The changes after `since` up to `upto` (inclusive), or `None` when some of them are no
/// longer in the retained log (the caller answers in full).
pub async fn changes(store: &Store, since: u64, upto: u64) -> StoreResult<Option<Vec<LogChange>>> {
    if since >= upto {
        return Ok(Some(Vec::new()));
    }
    if !log_reaches(store, since).await? {
        return Ok(None);
    }
    let mut conn = store.conn();
    let log = keys::blocklist_log();
    let reply: redis::streams::StreamRangeReply = conn
        .xrange(&log, format!("({since}"), format!("{upto}"))
        .await?;
    Ok(Some(
        reply
            .ids
            .into_iter()
            .filter_map(|e| {
                let version = e.id.split('-').next()?.parse().ok()?;
                let op: String = e.get("op")?;
                let entry: Entry = serde_json::from_str(&e.get::<String>("entry")?).ok()?;
                Some(LogChange {
                    version,
                    added: op == "add",
                    entry,
                })
            })
            .collect(),
    ))
}

/// The log records after version `after`, oldest first, at most `limit`: for compliance
/// figures.
pub async fn log_after(store: &Store, after: u64, limit: usize) -> StoreResult<Vec<LogMark>> {
    let mut conn = store.conn();
    let reply: redis::streams::StreamRangeReply = conn
        .xrange_count(keys::blocklist_log(), format!("({after}"), "+", limit)
        .await?;
    Ok(reply
        .ids
        .into_iter()
        .filter_map(|e| {
            let version = e.id.split('-').next()?.parse().ok()?;
            let at: String = e.get("at")?;
            let at = DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc);
            let added = e.get::<String>("op").as_deref() == Some("add");
            Some(LogMark { version, at, added })
        })
        .collect())
}

/// Records an operator's acknowledgement, with its audit entry.
pub async fn ack(
    store: &Store,
    actor: crate::auth::Actor<'_>,
    operator: &str,
    version: u64,
) -> StoreResult<Ack> {
    let ack = Ack {
        version,
        at: Utc::now(),
    };
    let mut change = Change::new();
    let ack_json = change.json("acknowledgement", &ack);
    change
        .op(
            Cmd::Hset,
            &keys::blocklist_acks(),
            [operator.to_owned(), ack_json],
        )
        .audit(
            actor,
            "blocklist.ack",
            operator,
            None,
            &json!({"operator": operator, "version": version}),
        );
    change.apply(store).await?;
    Ok(ack)
}

/// Every operator's last acknowledgement.
pub async fn acks(store: &Store) -> StoreResult<Vec<(String, Ack)>> {
    let mut conn = store.conn();
    let all: std::collections::HashMap<String, String> =
        conn.hgetall(keys::blocklist_acks()).await?;
    let mut out: Vec<(String, Ack)> = all
        .into_iter()
        .filter_map(|(op, text)| Some((op, serde_json::from_str(&text).ok()?)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Active entries by type.
pub async fn counts(store: &Store) -> StoreResult<Vec<(String, i64)>> {
    let mut conn = store.conn();
    let all: std::collections::HashMap<String, i64> = conn.hgetall(keys::blocklist_types()).await?;
    let mut out: Vec<(String, i64)> = all.into_iter().collect();
    out.sort();
    Ok(out)
}

/// The newest version whose checksum the workers computed, and that checksum.
pub async fn cached_checksum(store: &Store) -> StoreResult<(Option<u64>, Option<String>)> {
    let mut conn = store.conn();
    redis::cmd("HMGET")
        .arg(keys::blocklist_checksum())
        .arg("version")
        .arg("sha256")
        .query_async(&mut conn)
        .await
        .map_err(op("blocklist.cached_checksum"))
}

//! The intake queue: a Redis stream read through one consumer group, at least once.
//!
//! A worker reads new entries (`XREADGROUP … >`), handles them and then acknowledges and
//! deletes them in one step, so the stream holds only entries not yet done and is never
//! trimmed past a pending one. Entries whose consumer died are taken over with `XAUTOCLAIM`
//! once idle for the visibility timeout; an entry delivered too often moves to the dead-letter
//! stream with an audit entry. Webhook deliveries wait in a sorted set by due time and are
//! leased by moving their score forward.

use super::error::op;
use super::StoreResult;
use std::time::Duration;

use chrono::Utc;
use redis::AsyncCommands;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::change::{Change, Cmd};
use super::{keys, scripts, Store};

/// The consumer group of the workers.
pub const GROUP: &str = "workers";

/// One entry taken from the intake stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The stream entry id.
    pub entry: String,
    /// The takedown id it carries.
    pub takedown: String,
    /// How often it has been delivered, this time included.
    pub deliveries: u64,
}

/// Creates the consumer group (reading from the stream's start) unless it exists.
pub async fn ensure_group(store: &Store) -> StoreResult<()> {
    let mut conn = store.conn();
    let created: redis::RedisResult<()> = conn
        .xgroup_create_mkstream(keys::intake_stream(), GROUP, "0")
        .await;
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other.map_err(op("queue.ensure_group")),
    }
}

fn deliveries_of(reply: redis::streams::StreamReadReply) -> Vec<Delivery> {
    reply
        .keys
        .into_iter()
        .flat_map(|key| key.ids)
        .map(|entry| Delivery {
            takedown: entry.get::<String>("id").unwrap_or_default(),
            entry: entry.id,
            deliveries: 1,
        })
        .collect()
}

/// Waits up to `block` for new entries for `consumer`, on a dedicated connection.
pub async fn read_new(
    conn: &mut super::Conn,
    consumer: &str,
    count: usize,
    block: Duration,
) -> StoreResult<Vec<Delivery>> {
    let options = redis::streams::StreamReadOptions::default()
        .group(GROUP, consumer)
        .count(count)
        .block(usize::try_from(block.as_millis()).unwrap_or(usize::MAX));
    let reply: Option<redis::streams::StreamReadReply> = conn
        .xread_options(&[keys::intake_stream()], &[">"], &options)
        .await?;
    Ok(reply.map(deliveries_of).unwrap_or_default())
}

/// Takes over entries idle for at least `min_idle` (their consumer died or stalled), with
/// their delivery counts.
pub async fn reclaim(
    store: &Store,
    consumer: &str,
    min_idle: Duration,
    count: usize,
) -> StoreResult<Vec<Delivery>> {
    let mut conn = store.conn();
    let stream = keys::intake_stream();
    let min_idle_ms = u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX);
    let reply: redis::streams::StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
        .arg(&stream)
        .arg(GROUP)
        .arg(consumer)
        .arg(min_idle_ms)
        .arg("0-0")
        .arg("COUNT")
        .arg(count)
        .query_async(&mut conn)
        .await?;
    let mut claimed = Vec::new();
    for entry in reply.claimed {
        let pending: redis::streams::StreamPendingCountReply = conn
            .xpending_count(&stream, GROUP, &entry.id, &entry.id, 1)
            .await?;
        let deliveries = pending
            .ids
            .first()
            .map(|p| p.times_delivered as u64)
            .unwrap_or(1);
        claimed.push(Delivery {
            takedown: entry.get::<String>("id").unwrap_or_default(),
            entry: entry.id,
            deliveries,
        });
    }
    Ok(claimed)
}

/// Acknowledges and deletes a handled entry in one step.
pub async fn done(store: &Store, entry: &str) -> StoreResult<()> {
    let mut conn = store.conn();
    let stream = keys::intake_stream();
    redis::pipe()
        .atomic()
        .xack(&stream, GROUP, &[entry])
        .ignore()
        .xdel(&stream, &[entry])
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .map_err(op("queue.done"))
}

/// A dead letter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetter {
    /// Its id in the dead-letter stream.
    pub id: String,
    /// Which queue gave up: `intake` or `webhook`.
    pub queue: String,
    /// The takedown it concerned.
    pub takedown: String,
    /// Deliveries or attempts made.
    pub attempts: u64,
    /// When it was given up.
    pub at: String,
    /// The last error, when known.
    pub error: String,
}

/// Moves an intake entry to the dead-letter stream, with its audit entry, in one step.
pub async fn dead_letter(store: &Store, delivery: &Delivery) -> StoreResult<()> {
    let stream = keys::intake_stream();
    let mut change = Change::new();
    change
        .op(Cmd::Xack, &stream, [GROUP, delivery.entry.as_str()])
        .op(Cmd::Xdel, &stream, [delivery.entry.as_str()])
        .op(
            Cmd::Xadd,
            &keys::dead_letters(),
            [
                "*".to_owned(),
                "queue".into(),
                "intake".into(),
                "takedown".into(),
                delivery.takedown.clone(),
                "attempts".into(),
                delivery.deliveries.to_string(),
                "at".into(),
                Utc::now().to_rfc3339(),
                "error".into(),
                "delivered too often without being handled".into(),
            ],
        )
        .audit(
            "worker",
            "queue.dead_letter",
            &delivery.takedown,
            None,
            &json!({"queue": "intake", "entry": delivery.entry, "deliveries": delivery.deliveries}),
        );
    change.apply(store).await?;
    Ok(())
}

/// Lists dead letters, oldest first, after stream id `cursor`.
pub async fn dead_letters(
    store: &Store,
    cursor: Option<&str>,
    limit: usize,
) -> StoreResult<(Vec<DeadLetter>, Option<String>)> {
    let mut conn = store.conn();
    let start = cursor
        .map(|c| format!("({c}"))
        .unwrap_or_else(|| "-".to_owned());
    let reply: redis::streams::StreamRangeReply = conn
        .xrange_count(keys::dead_letters(), &start, "+", limit)
        .await?;
    let full = reply.ids.len() == limit;
    let letters: Vec<DeadLetter> = reply
        .ids
        .into_iter()
        .map(|entry| DeadLetter {
            queue: entry.get("queue").unwrap_or_default(),
            takedown: entry.get("takedown").unwrap_or_default(),
            attempts: entry
                .get::<String>("attempts")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            at: entry.get("at").unwrap_or_default(),
            error: entry.get("error").unwrap_or_default(),
            id: entry.id,
        })
        .collect();
    let next = full.then(|| letters.last().map(|l| l.id.clone())).flatten();
    Ok((letters, next))
}

/// Queue figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Entries in the intake stream (new and pending).
    pub intake: u64,
    /// Entries delivered and not yet acknowledged.
    pub pending: u64,
    /// Dead letters.
    pub dead: u64,
    /// Webhook deliveries waiting.
    pub webhook_due: u64,
}

/// Reads the queue figures.
pub async fn figures(store: &Store) -> StoreResult<QueueFigures> {
    let mut conn = store.conn();
    let (intake, dead, webhook_due): (u64, u64, u64) = redis::pipe()
        .xlen(keys::intake_stream())
        .xlen(keys::dead_letters())
        .zcard(keys::webhook_due())
        .query_async(&mut conn)
        .await?;
    let pending: redis::RedisResult<redis::streams::StreamPendingReply> =
        conn.xpending(keys::intake_stream(), GROUP).await;
    let pending = match pending {
        Ok(redis::streams::StreamPendingReply::Data(data)) => data.count as u64,
        _ => 0,
    };
    Ok(QueueFigures {
        intake,
        pending,
        dead,
        webhook_due,
    })
}

/// Leases up to `count` members of the schedule `key` that are due at `now_ms`, moving them
/// to `lease_until_ms` so that no other worker takes them meanwhile.
pub async fn lease_due(
    store: &Store,
    key: &str,
    now_ms: i64,
    lease_until_ms: i64,
    count: usize,
) -> StoreResult<Vec<String>> {
    let mut conn = store.conn();
    scripts::LEASE_DUE
        .key(key)
        .arg(now_ms)
        .arg(lease_until_ms)
        .arg(count)
        .invoke_async(&mut conn)
        .await
        .map_err(op("queue.lease_due"))
}

/// Members of the schedule `key` due at `now_ms` (not leased).
pub async fn due(store: &Store, key: &str, now_ms: i64, count: usize) -> StoreResult<Vec<String>> {
    let mut conn = store.conn();
    conn.zrangebyscore_limit(key, "-inf", now_ms, 0, count as isize)
        .await
        .map_err(op("queue.due"))
}

/// Removes `member` from the schedule `key`.
pub async fn unschedule(store: &Store, key: &str, member: &str) -> StoreResult<()> {
    let mut conn = store.conn();
    conn.zrem(key, member).await.map_err(op("queue.unschedule"))
}

/// Ends a webhook delivery that succeeded, if this worker's lease (`lease_until`) still holds
/// it; returns whether it did.
pub async fn webhook_delivered(store: &Store, id: &str, lease_until: i64) -> StoreResult<bool> {
    let mut conn = store.conn();
    let done: i64 = scripts::WEBHOOK_DELIVERED
        .key(keys::webhook_due())
        .key(keys::webhook_attempts())
        .arg(id)
        .arg(lease_until)
        .invoke_async(&mut conn)
        .await?;
    Ok(done == 1)
}

/// Counts a failed attempt of a delivery this worker's lease still holds and, below
/// `max_attempts`, schedules the next one after a doubling backoff (`backoff_ms`, at most an
/// hour). Returns the attempts so far, or `None` when the lease was lost.
pub async fn webhook_failed(
    store: &Store,
    id: &str,
    lease_until: i64,
    max_attempts: u64,
    backoff_ms: u64,
) -> StoreResult<Option<u64>> {
    let mut conn = store.conn();
    let attempts: i64 = scripts::WEBHOOK_FAILED
        .key(keys::webhook_due())
        .key(keys::webhook_attempts())
        .arg(id)
        .arg(lease_until)
        .arg(max_attempts)
        .arg(Utc::now().timestamp_millis())
        .arg(backoff_ms)
        .invoke_async(&mut conn)
        .await?;
    Ok(u64::try_from(attempts).ok())
}

/// Gives up a webhook delivery: dead letter and audit entry in one step.
pub async fn webhook_dead_letter(
    store: &Store,
    id: &str,
    attempts: u64,
    error: &str,
) -> StoreResult<()> {
    let mut change = Change::new();
    change
        .op(Cmd::Zrem, &keys::webhook_due(), [id])
        .op(Cmd::Hdel, &keys::webhook_attempts(), [id])
        .op(
            Cmd::Xadd,
            &keys::dead_letters(),
            [
                "*".to_owned(),
                "queue".into(),
                "webhook".into(),
                "takedown".into(),
                id.to_owned(),
                "attempts".into(),
                attempts.to_string(),
                "at".into(),
                Utc::now().to_rfc3339(),
                "error".into(),
                error.to_owned(),
            ],
        )
        .audit(
            "worker",
            "queue.dead_letter",
            id,
            None,
            &json!({"queue": "webhook", "attempts": attempts, "error": error}),
        );
    change.apply(store).await?;
    Ok(())
}

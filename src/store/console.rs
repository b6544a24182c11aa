//! Console sessions in Redis: one string per session (its JSON record) under
//! [`keys::console_session`], expiring after a period of inactivity. Reading a session slides
//! its expiry (`GETEX … EX`) in the same command, so a session in use never expires and an
//! idle one disappears on its own. Each command touches one key, so this works unchanged on
//! Redis Cluster.
//!
//! This module stores and fetches records only; it never decides who may sign in (that is the
//! HTTP layer's console, which verifies the API key exactly as the bearer extractor does).

use std::time::Duration;

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::{keys, Store, StoreError, StoreResult};

/// What a session remembers: which key signed in (its SHA-256 digest, never the secret) and
/// the session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Hex SHA-256 digest of the API key that signed in.
    pub key_digest: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

/// Stores a new session that expires after `idle` without use.
pub async fn create(
    store: &Store,
    session_id: &str,
    record: &SessionRecord,
    idle: Duration,
) -> StoreResult<()> {
    let text =
        serde_json::to_string(record).map_err(|e| StoreError::encode("console session", e))?;
    let mut conn = store.conn();
    let () = conn
        .set_ex(
            keys::console_session(session_id),
            text,
            idle.as_secs().max(1),
        )
        .await?;
    Ok(())
}

/// The session, its expiry pushed `idle` into the future; `None` when it does not exist (never
/// did, signed out or expired) or its record cannot be read.
pub async fn touch(
    store: &Store,
    session_id: &str,
    idle: Duration,
) -> StoreResult<Option<SessionRecord>> {
    let mut conn = store.conn();
    let text: Option<String> = redis::cmd("GETEX")
        .arg(keys::console_session(session_id))
        .arg("EX")
        .arg(idle.as_secs().max(1))
        .query_async(&mut conn)
        .await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Ends a session.
pub async fn delete(store: &Store, session_id: &str) -> StoreResult<()> {
    let mut conn = store.conn();
    let _: i64 = conn.del(keys::console_session(session_id)).await?;
    Ok(())
}

/// Seconds the session has left (`None` when it does not exist); for tests and checks.
pub async fn ttl(store: &Store, session_id: &str) -> StoreResult<Option<u64>> {
    let mut conn = store.conn();
    let left: i64 = conn.ttl(keys::console_session(session_id)).await?;
    Ok(u64::try_from(left).ok())
}

//! The hash-chained audit log: one Redis stream, each entry carrying
//! `hash = sha256(prev_hash ‖ canonical JSON of the entry)`.
//!
//! Appending happens inside [`super::change::Change`]: the Lua script that makes a change
//! also chains its audit entries (computing SHA-256 itself), so an entry is written in the
//! same atomic step as what it records and concurrent writers never race for the head.
//! Verification walks the stream from the start and names the first entry that does not fit.

use super::error::op;
use super::StoreResult;
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Actor;

use super::change::{Applied, Change};
use super::{keys, Store};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Entries read per XRANGE while verifying.
const VERIFY_PAGE: usize = 1000;

/// What an entry records. Field order is fixed: its JSON is the canonical form hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it was appended.
    pub at: DateTime<Utc>,
    /// The key name that caused it.
    pub actor: String,
    /// The id of the key that caused it (the first hex digits of its SHA-256, as in the keys
    /// file), which tells apart keys that share a name; absent for entries not made with a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// What happened (`reference.load`, …).
    pub action: String,
    /// What it concerns (a takedown id, a reference kind, …).
    pub subject: String,
    /// The agency it belongs to, when it concerns an agency's request.
    pub agency: Option<String>,
    /// Details of the change.
    pub details: serde_json::Value,
}

/// An entry with its chain hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainedEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// `sha256(prev_hash ‖ canonical JSON of the entry)`, hex.
    pub hash: String,
}

/// The result of verifying the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verification {
    /// How many entries were read and checked.
    pub entries: u64,
    /// Hash of the last entry (the genesis hash for an empty log).
    pub head: String,
    /// Whether every entry fits its predecessor.
    pub valid: bool,
    /// The sequence number of the first entry that does not fit.
    pub first_bad_seq: Option<u64>,
}

/// The chain hash of an entry, given as the canonical JSON text that is stored, after
/// `prev_hash`. The stored text itself is hashed, so verification never depends on
/// re-serialising.
pub fn chain_hash(prev_hash: &str, canonical_json: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json.as_bytes());
    hex::encode(hasher.finalize())
}

/// Appends an entry on its own; returns its sequence number.
pub async fn append<'a>(
    store: &Store,
    actor: impl Into<Actor<'a>>,
    action: &str,
    subject: &str,
    agency: Option<&str>,
    details: serde_json::Value,
) -> StoreResult<u64> {
    let mut change = Change::new();
    change.audit(actor, action, subject, agency, &details);
    match change.apply(store).await? {
        Applied::Done { audit_seq } => Ok(audit_seq),
        Applied::Refused { .. } => Err(redis::RedisError::from((
            redis::ErrorKind::ClientError,
            "an audit append has no precondition to refuse it",
        )))
        .map_err(op("audit.append")),
    }
}

/// Entries after stream id `cursor` (exclusive; from the start when `None`), oldest first,
/// keeping those `keep` accepts, until `limit` are found. Returns them and the cursor of the
/// last entry read when more may follow.
pub async fn list(
    store: &Store,
    cursor: Option<&str>,
    limit: usize,
    keep: impl Fn(&AuditEntry) -> bool,
) -> StoreResult<(Vec<ChainedEntry>, Option<String>)> {
    let mut conn = store.conn();
    let mut start = cursor
        .map(|c| format!("({c}"))
        .unwrap_or_else(|| "-".to_owned());
    let mut found = Vec::new();
    loop {
        let page: Vec<(String, Vec<(String, String)>)> = conn
            .xrange_count(keys::audit_log(), &start, "+", VERIFY_PAGE)
            .await
            .map(|reply: redis::streams::StreamRangeReply| {
                reply
                    .ids
                    .iter()
                    .map(|id| (id.id.clone(), fields_of(id)))
                    .collect()
            })?;
        let full_page = page.len() == VERIFY_PAGE;
        for (id, fields) in page {
            start = format!("({id}");
            let Some(chained) = decode(&fields) else {
                continue;
            };
            if keep(&chained.entry) {
                found.push(chained);
                if found.len() == limit {
                    return Ok((found, Some(id)));
                }
            }
        }
        if !full_page {
            return Ok((found, None));
        }
    }
}

/// The text fields of a stream entry (fields that are not text are left out).
fn fields_of(id: &redis::streams::StreamId) -> Vec<(String, String)> {
    id.map
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), redis::from_redis_value::<String>(v).ok()?)))
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn decode(fields: &[(String, String)]) -> Option<ChainedEntry> {
    let entry: AuditEntry = serde_json::from_str(field(fields, "entry")?).ok()?;
    Some(ChainedEntry {
        entry,
        hash: field(fields, "hash")?.to_owned(),
    })
}

/// Recomputes the chain from the first entry.
pub async fn verify(store: &Store) -> StoreResult<Verification> {
    let mut conn = store.conn();
    let mut start = "-".to_owned();
    let mut prev = GENESIS.to_owned();
    let mut count = 0u64;
    loop {
        let reply: redis::streams::StreamRangeReply = conn
            .xrange_count(keys::audit_log(), &start, "+", VERIFY_PAGE)
            .await?;
        let full_page = reply.ids.len() == VERIFY_PAGE;
        for id in reply.ids {
            start = format!("({}", id.id);
            count += 1;
            let fields = fields_of(&id);
            let expected_seq = count;
            let fits =
                field(&fields, "entry")
                    .zip(field(&fields, "hash"))
                    .filter(|(text, hash)| {
                        let parsed = serde_json::from_str::<AuditEntry>(text).ok();
                        parsed.is_some_and(|entry| entry.seq == expected_seq)
                            && field(&fields, "seq") == Some(expected_seq.to_string().as_str())
                            && chain_hash(&prev, text) == *hash
                    });
            match fits {
                Some((_, hash)) => prev = hash.to_owned(),
                None => {
                    return Ok(Verification {
                        entries: count,
                        head: prev,
                        valid: false,
                        first_bad_seq: Some(expected_seq),
                    })
                }
            }
        }
        if !full_page {
            return Ok(Verification {
                entries: count,
                head: prev,
                valid: true,
                first_bad_seq: None,
            });
        }
    }
}

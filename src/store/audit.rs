//! The hash-chained audit log: one Redis stream, each entry carrying
//! `hash = sha256(prev_hash ‖ canonical JSON of the entry)`.
//!
//! Appending is a compare-and-set: the client reads the head (sequence number and hash),
//! computes the new hash (Redis's Lua has no SHA-256), and a Lua script appends the entry and
//! moves the head only if the head is still the one read; otherwise the client reads again and
//! retries. Both keys share the `{audit}` hash tag, so the script also runs on Redis Cluster.
//! Verification walks the stream from the start and names the first entry that does not fit.

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::Store;

/// The stream of entries.
const LOG: &str = "og:{audit}:log";
/// `seq` and `hash` of the newest entry.
const HEAD: &str = "og:{audit}:head";
/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Attempts at appending before giving up under contention; each lost race waits a random
/// 0–[`APPEND_BACKOFF_MAX_MICROS`] µs so that racing writers spread out.
const APPEND_ATTEMPTS: usize = 500;
/// Longest wait after a lost race.
const APPEND_BACKOFF_MAX_MICROS: u64 = 2000;
/// Entries read per XRANGE while verifying.
const VERIFY_PAGE: usize = 1000;

const APPEND: &str = r#"
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if seq ~= tonumber(ARGV[1]) then return 0 end
redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'entry', ARGV[3], 'hash', ARGV[4])
redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'hash', ARGV[4])
return 1
"#;

/// What an entry records. Field order is fixed: its JSON is the canonical form hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it was appended.
    pub at: DateTime<Utc>,
    /// The key name that caused it.
    pub actor: String,
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
    /// Entries read.
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

/// Appends an entry; returns it with its sequence number and hash.
pub async fn append(
    store: &Store,
    actor: &str,
    action: &str,
    subject: &str,
    agency: Option<&str>,
    details: serde_json::Value,
) -> redis::RedisResult<ChainedEntry> {
    let script = redis::Script::new(APPEND);
    let mut conn = store.conn();
    for _ in 0..APPEND_ATTEMPTS {
        let (seq, prev): (Option<u64>, Option<String>) = redis::cmd("HMGET")
            .arg(HEAD)
            .arg("seq")
            .arg("hash")
            .query_async(&mut conn)
            .await?;
        let seq = seq.unwrap_or(0);
        let prev = prev.unwrap_or_else(|| GENESIS.to_owned());
        let entry = AuditEntry {
            seq: seq + 1,
            at: Utc::now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            agency: agency.map(str::to_owned),
            details: details.clone(),
        };
        let json = serde_json::to_string(&entry).unwrap_or_default();
        let hash = chain_hash(&prev, &json);
        let appended: i64 = script
            .key(LOG)
            .key(HEAD)
            .arg(seq)
            .arg(entry.seq)
            .arg(&json)
            .arg(&hash)
            .invoke_async(&mut conn)
            .await?;
        if appended == 1 {
            return Ok(ChainedEntry { entry, hash });
        }
        let wait = rand::random_range(0..=APPEND_BACKOFF_MAX_MICROS);
        tokio::time::sleep(std::time::Duration::from_micros(wait)).await;
    }
    Err(redis::RedisError::from((
        redis::ErrorKind::TryAgain,
        "audit log head kept moving",
    )))
}

/// Entries after stream id `cursor` (exclusive; from the start when `None`), oldest first,
/// keeping those `keep` accepts, until `limit` are found. Returns them and the cursor of the
/// last entry read when more may follow.
pub async fn list(
    store: &Store,
    cursor: Option<&str>,
    limit: usize,
    keep: impl Fn(&AuditEntry) -> bool,
) -> redis::RedisResult<(Vec<ChainedEntry>, Option<String>)> {
    let mut conn = store.conn();
    let mut start = cursor
        .map(|c| format!("({c}"))
        .unwrap_or_else(|| "-".to_owned());
    let mut found = Vec::new();
    loop {
        let page: Vec<(String, Vec<(String, String)>)> = conn
            .xrange_count(LOG, &start, "+", VERIFY_PAGE)
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
pub async fn verify(store: &Store) -> redis::RedisResult<Verification> {
    let mut conn = store.conn();
    let mut start = "-".to_owned();
    let mut prev = GENESIS.to_owned();
    let mut count = 0u64;
    loop {
        let reply: redis::streams::StreamRangeReply =
            conn.xrange_count(LOG, &start, "+", VERIFY_PAGE).await?;
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

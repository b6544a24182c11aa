//! One atomic change to Redis together with the audit entries that record it.
//!
//! A [`Change`] collects preconditions (a key is absent, a hash field holds one of some
//! values), the writes to make, and the audit entries to chain; [`Change::apply`] runs them in
//! one Lua script, so a state change and its audit entry are never seen apart, and a change
//! whose precondition no longer holds writes nothing.
//!
//! # Group commit
//!
//! Changes do not go to Redis one by one. Each [`Store`] has one appender task (started by the
//! first [`Change::apply`]) that takes the changes queued so far, up to [`MAX_GROUP`], and sends
//! them in one script call. The appender keeps the audit head (seq, hash) it last saw, numbers
//! and hashes the group's audit entries itself, chaining across the changes of the group
//! (`hash = sha256(prev_hash ‖ stored text)`, see [`super::audit::chain_hash`]), and the script
//! only checks that the head in Redis is still that one before it writes anything:
//!
//! - head moved (another process appended): nothing is written, the script answers the head
//!   it found, and the appender chains the group again from there, with growing random
//!   pauses, [`MAX_HEAD_CONFLICTS`] times at most before it answers an error;
//! - changes run in order, each one's preconditions checked after the earlier ones were made
//!   (two submissions with one idempotency key in a group behave as if sent one after the
//!   other); at the first change refused (or failing), the script stops: the earlier changes
//!   are kept, with the head moved to their last entry, that change is answered
//!   [`Applied::Refused`] (or the error), and the rest go again as a new group;
//! - the call fails (connection lost, timeout): every change of the group gets the error (it
//!   may or may not have been made), and the head is read again before the next group.
//!
//! Every key of a change must share the audit log's hash tag (see [`super::keys`]), which is
//! what lets the script run on Redis Cluster.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::ConnectionManager;
use redis::{ErrorKind, RedisError, RedisResult, Value as RedisValue};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::audit::{chain_hash, GENESIS};
use super::{keys, Store};

static SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("lua/change.lua")));

/// Most changes sent in one script call.
pub const MAX_GROUP: usize = 129;
/// Times a group is chained again because another writer moved the head before the appender
/// answers it with an error.
pub const MAX_HEAD_CONFLICTS: u32 = 40;
/// Longest pause between two attempts after the head moved.
const MAX_CONFLICT_PAUSE_MS: u64 = 64;
/// Changes that may wait for the appender before [`Change::apply`] waits for room.
const QUEUE: usize = 4096;

/// An audit entry before it has a place in the chain; its JSON is the stored entry minus
/// `seq`, which is put first once the entry has its number.
#[derive(Debug, Serialize)]
struct AuditBody<'a> {
    at: DateTime<Utc>,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    agency: Option<&'a str>,
    details: &'a Value,
}

/// What [`Change::apply`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Every precondition held and the change was made; the sequence number of the last
    /// audit entry written (or of the head, when none was).
    Done {
        /// The audit head after the change.
        audit_seq: u64,
    },
    /// Precondition `index` (in the order they were added) did not hold; nothing was
    /// written. `current` is the value found (`None` for a missing key, `""` for a missing
    /// hash field).
    Refused {
        /// Which precondition.
        index: usize,
        /// What was there instead.
        current: Option<String>,
    },
}

/// A change being assembled.
#[derive(Debug, Clone)]
pub struct Change {
    keys: Vec<String>,
    checks: Vec<Value>,
    ops: Vec<Value>,
    audits: Vec<String>,
}

impl Default for Change {
    fn default() -> Self {
        Change::new()
    }
}

impl Change {
    /// An empty change.
    pub fn new() -> Change {
        Change {
            keys: vec![keys::audit_log(), keys::audit_head()],
            checks: Vec::new(),
            ops: Vec::new(),
            audits: Vec::new(),
        }
    }

    /// The 1-based `KEYS` index of `key`, adding it once.
    fn key(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(i) => i + 1,
            None => {
                self.keys.push(key.to_owned());
                self.keys.len()
            }
        }
    }

    /// Requires the string key `key` not to exist. Returns the precondition's index.
    pub fn require_absent(&mut self, key: &str) -> usize {
        let k = self.key(key);
        self.checks.push(json!(["absent", k]));
        self.checks.len()
    }

    /// Requires hash field `field` of `key` to be one of `values` (`""` matches a missing
    /// field). Returns the precondition's index.
    pub fn require_field_in(&mut self, key: &str, field: &str, values: &[&str]) -> usize {
        let k = self.key(key);
        let mut check = vec![json!("field_in"), json!(k), json!(field)];
        check.extend(values.iter().map(|v| json!(v)));
        self.checks.push(Value::Array(check));
        self.checks.len()
    }

    /// Adds a write: `command key args…` (HSET, HDEL, RPUSH, ZADD, ZREM, XADD, SET, DEL,
    /// SADD, SREM, HINCRBY, XACK, XDEL).
    pub fn op<I, A>(&mut self, command: &'static str, key: &str, args: I) -> &mut Change
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let k = self.key(key);
        let mut op = vec![json!(command), json!(k)];
        op.extend(args.into_iter().map(|a| Value::String(a.into())));
        self.ops.push(Value::Array(op));
        self
    }

    /// Increments the counter `key` and names the new value: an argument of a later
    /// [`Change::op`] equal to the returned placeholder is replaced by it.
    pub fn counter(&mut self, key: &str, name: &str) -> String {
        let placeholder = format!("\u{0}{name}");
        let k = self.key(key);
        self.ops.push(json!(["COUNTER", k, placeholder.clone()]));
        placeholder
    }

    /// Adds an audit entry.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        subject: &str,
        agency: Option<&str>,
        details: &Value,
    ) -> &mut Change {
        let body = AuditBody {
            at: Utc::now(),
            actor,
            action,
            subject,
            agency,
            details,
        };
        // Serialising a struct of strings and a JSON value cannot fail.
        self.audits
            .push(serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned()));
        self
    }

    /// Runs the change atomically (in a group with others queued at the same time, see the
    /// module documentation).
    pub async fn apply(&self, store: &Store) -> RedisResult<Applied> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            keys: self.keys.clone(),
            spec: json!({"checks": self.checks, "ops": self.ops}).to_string(),
            audits: self.audits.clone(),
            reply,
        };
        if store.appender.sender(store).send(job).await.is_err() {
            return Err(appender_stopped());
        }
        answer.await.unwrap_or_else(|_| Err(appender_stopped()))
    }
}

/// A change handed to the appender.
struct Job {
    keys: Vec<String>,
    /// `{"checks":[...],"ops":[...]}`, key indices into `keys`.
    spec: String,
    /// Audit bodies, without `seq`.
    audits: Vec<String>,
    reply: oneshot::Sender<RedisResult<Applied>>,
}

/// The handle of a store's appender task; shared by the store's clones, started on first use.
/// The task holds only the connection, so it ends when the last clone of the store is gone.
#[derive(Clone, Default)]
pub(crate) struct Appender(Arc<OnceLock<mpsc::Sender<Job>>>);

impl Appender {
    fn sender(&self, store: &Store) -> &mpsc::Sender<Job> {
        self.0.get_or_init(|| {
            let (sender, queue) = mpsc::channel(QUEUE);
            tokio::spawn(run_appender(store.conn(), queue));
            sender
        })
    }
}

/// The audit head as the appender last saw it.
#[derive(Debug, Clone)]
struct Head {
    seq: u64,
    hash: String,
}

async fn run_appender(mut conn: ConnectionManager, mut queue: mpsc::Receiver<Job>) {
    let mut head: Option<Head> = None;
    while let Some(first) = queue.recv().await {
        let mut group = VecDeque::with_capacity(MAX_GROUP);
        group.push_back(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push_back(job),
                Err(_) => break,
            }
        }
        commit(&mut conn, &mut head, group).await;
    }
}

/// Makes the changes of `group` in order and answers each of them.
async fn commit(conn: &mut ConnectionManager, cached: &mut Option<Head>, mut group: VecDeque<Job>) {
    let mut conflicts = 0u32;
    while !group.is_empty() {
        let head = match cached.clone() {
            Some(head) => head,
            None => match read_head(conn).await {
                Ok(head) => head,
                Err(error) => return fail_all(group, error),
            },
        };
        let (invocation, done_seqs) = prepare(&head, group.iter());
        let reply = invocation.invoke_async::<RedisValue>(conn).await;
        let outcome = match reply.and_then(|value| Outcome::parse(&value)) {
            Ok(outcome) => outcome,
            Err(error) => {
                *cached = None;
                return fail_all(group, error);
            }
        };
        match outcome {
            Outcome::HeadMoved(found) => {
                *cached = Some(found);
                conflicts += 1;
                if conflicts > MAX_HEAD_CONFLICTS {
                    return fail_all(group, head_kept_moving());
                }
                if conflicts > 1 {
                    tokio::time::sleep(conflict_pause(conflicts)).await;
                }
            }
            Outcome::Ran {
                done,
                stopped,
                head,
            } => {
                conflicts = 0;
                *cached = Some(head);
                for audit_seq in done_seqs.into_iter().take(done) {
                    if let Some(job) = group.pop_front() {
                        let _ = job.reply.send(Ok(Applied::Done { audit_seq }));
                    }
                }
                if let Some(stop) = stopped {
                    if let Some(job) = group.pop_front() {
                        let _ = job.reply.send(stop);
                    }
                }
            }
        }
    }
}

/// The script call for `group` chained from `head`, and the audit seq each change will be
/// answered with if it is made.
fn prepare<'a>(
    head: &Head,
    group: impl ExactSizeIterator<Item = &'a Job>,
) -> (redis::ScriptInvocation<'static>, Vec<u64>) {
    let mut invocation = SCRIPT.prepare_invoke();
    let mut key_index: HashMap<&str, usize> = HashMap::new();
    let mut group_keys: Vec<&str> = Vec::new();
    let mut header = Vec::with_capacity(group.len());
    let mut specs = Vec::with_capacity(group.len());
    let mut entries = Vec::new();
    let mut done_seqs = Vec::with_capacity(group.len());
    let (mut seq, mut prev) = (head.seq, head.hash.clone());
    for job in group {
        let keymap: Vec<usize> = job
            .keys
            .iter()
            .map(|key| {
                *key_index.entry(key.as_str()).or_insert_with(|| {
                    group_keys.push(key.as_str());
                    group_keys.len()
                })
            })
            .collect();
        header.push(json!([keymap, job.audits.len()]));
        specs.push(job.spec.as_str());
        for body in &job.audits {
            seq += 1;
            // The body is a JSON object (`{"at":…`): the stored text puts `seq` first.
            let text = format!("{{\"seq\":{seq},{}", body.get(1..).unwrap_or_default());
            prev = chain_hash(&prev, &text);
            entries.push((seq, text, prev.clone()));
        }
        done_seqs.push(seq);
    }
    for key in group_keys {
        invocation.key(key);
    }
    invocation
        .arg(head.seq)
        .arg(&head.hash)
        .arg(Value::Array(header).to_string());
    for spec in specs {
        invocation.arg(spec);
    }
    for (seq, text, hash) in entries {
        invocation.arg(seq).arg(text).arg(hash);
    }
    (invocation, done_seqs)
}

/// What one script call did.
enum Outcome {
    /// Another writer moved the head; nothing was written.
    HeadMoved(Head),
    /// The first `done` changes were made; `stopped` is the answer for the next one when it
    /// was not.
    Ran {
        done: usize,
        stopped: Option<RedisResult<Applied>>,
        head: Head,
    },
}

impl Outcome {
    fn parse(value: &RedisValue) -> RedisResult<Outcome> {
        let RedisValue::Array(items) = value else {
            return Err(unexpected_reply());
        };
        let int = |i: usize| -> RedisResult<i64> {
            redis::from_redis_value(items.get(i).ok_or_else(unexpected_reply)?)
        };
        let head_at = |i: usize| -> RedisResult<Head> {
            let seq: String = redis::from_redis_value(items.get(i).ok_or_else(unexpected_reply)?)?;
            Ok(Head {
                seq: seq.parse().map_err(|_| unexpected_reply())?,
                hash: redis::from_redis_value(items.get(i + 1).ok_or_else(unexpected_reply)?)?,
            })
        };
        let done = int(0)?;
        if done < 0 {
            return Ok(Outcome::HeadMoved(head_at(1)?));
        }
        let (stopped, check) = (int(1)?, int(2)?);
        let current: Option<String> = match items.get(5) {
            Some(value) => redis::from_redis_value(value)?,
            None => None,
        };
        let stopped = match (stopped, check) {
            (0, _) => None,
            (_, 0) => Some(Err(RedisError::from((
                ErrorKind::ResponseError,
                "change failed",
                current.unwrap_or_default(),
            )))),
            (_, index) => Some(Ok(Applied::Refused {
                index: usize::try_from(index).map_err(|_| unexpected_reply())?,
                current,
            })),
        };
        Ok(Outcome::Ran {
            done: usize::try_from(done).map_err(|_| unexpected_reply())?,
            stopped,
            head: head_at(3)?,
        })
    }
}

/// HMGET of the audit head.
async fn read_head(conn: &mut ConnectionManager) -> RedisResult<Head> {
    let (seq, hash): (Option<u64>, Option<String>) = redis::cmd("HMGET")
        .arg(keys::audit_head())
        .arg("seq")
        .arg("hash")
        .query_async(conn)
        .await?;
    Ok(Head {
        seq: seq.unwrap_or(0),
        hash: hash.unwrap_or_else(|| GENESIS.to_owned()),
    })
}

/// A random pause before attempt `conflicts` + 1, growing with the attempts.
fn conflict_pause(conflicts: u32) -> Duration {
    use rand::Rng;
    let ceiling = (1u64 << conflicts.min(16)).min(MAX_CONFLICT_PAUSE_MS);
    Duration::from_micros(rand::rng().random_range(0..=ceiling * 1000))
}

/// Answers every change of `group` with `error` (the first one gets it as is, the others a
/// copy: a `RedisError` cannot be cloned).
fn fail_all(group: VecDeque<Job>, error: RedisError) {
    let copy = copy_error(&error);
    let mut first = Some(error);
    for job in group {
        let error = first.take().unwrap_or_else(|| copy_error(&copy));
        let _ = job.reply.send(Err(error));
    }
}

/// A copy of `error` of the same kind (I/O errors keep their `io::ErrorKind`, so timeouts and
/// dropped connections are still told apart).
fn copy_error(error: &RedisError) -> RedisError {
    use std::error::Error as _;
    if let Some(io) = error
        .source()
        .and_then(|source| source.downcast_ref::<std::io::Error>())
    {
        return RedisError::from(std::io::Error::new(io.kind(), error.to_string()));
    }
    RedisError::from((error.kind(), "change failed", error.to_string()))
}

fn appender_stopped() -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the audit appender has stopped",
    ))
}

fn head_kept_moving() -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::ResourceBusy,
        "other writers kept moving the audit head; the change was not made",
    ))
}

fn unexpected_reply() -> RedisError {
    RedisError::from((
        ErrorKind::TypeError,
        "unexpected answer from the change script",
    ))
}

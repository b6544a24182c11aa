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
//!   pauses; only when the head has kept moving for [`MAX_HEAD_CONFLICT_TIME`] with no group
//!   of this appender's getting through does it answer an error. (The bound is time, not a
//!   count: a busy appender pipelining its groups can win many races in a row against a
//!   slower one, which then has to wait until the other's work thins out, not give up.)
//! - changes run in order, each one's preconditions checked after the earlier ones were made
//!   (two submissions with one idempotency key in a group behave as if sent one after the
//!   other); at the first change refused (or failing), the script stops: the earlier changes
//!   are kept, with the head moved to their last entry, that change is answered
//!   [`Applied::Refused`] (or the error), and the rest go again as a new group;
//! - the call fails (connection lost, timeout): every change of the group gets the error (it
//!   may or may not have been made), and the head is read again before the next group.
//!
//! Up to [`IN_FLIGHT`] groups are on the wire at once, each chained from the head the group
//! before it will leave once wholly made, so Redis runs one group while the next is on its
//! way. When a group is not wholly made, the groups sent after it find a head they did not
//! expect and write nothing; the appender waits for every answer, then sends what was not made
//! again, in the order it came, from the head Redis last reported.
//!
//! Behind a group on the wire, only a full group ([`MAX_GROUP`] changes) is sent at once; a
//! smaller one waits for that answer and takes in what arrived meanwhile. With `appendfsync
//! always`, Redis syncs its log once per turn of its event loop, and a group that arrives while
//! it syncs gets a turn, and a sync, of its own: sending every change as soon as there was room
//! made groups of about 9 changes under 32 concurrent submissions, where waiting makes about 15
//! and a third fewer syncs (BENCHMARKS.md, fourth pass). A deep queue (a batch) still keeps
//! [`IN_FLIGHT`] full groups on the wire.
//!
//! Every key of a change must share the audit log's hash tag (see [`super::keys`]), which is
//! what lets the script run on Redis Cluster.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::{ErrorKind, RedisError, RedisResult, Value as RedisValue};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::auth::Actor;

use super::audit::{chain_hash, GENESIS};
use super::error::op;
use super::{keys, scripts, Store, StoreError, StoreResult};

/// Most changes sent in one script call. A script call holds Redis for its whole run, so the
/// bound keeps that run short: at the roughly 44 µs of Redis time a submission measured
/// (BENCHMARKS.md, group commit), a full group holds Redis for about 6 ms. Queues deeper than
/// this go in several groups, pipelined. The value is a bound, not a tuning that was measured
/// against others; changing it wants `tests/api/change_group_commit.rs` and the intake benchmark
/// run again.
pub const MAX_GROUP: usize = 129;
/// How long the appender keeps chaining its groups again while other writers move the head
/// before every one of its own gets through, before it answers them with an error.
pub const MAX_HEAD_CONFLICT_TIME: Duration = Duration::from_secs(10);
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
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    action: &'a str,
    subject: &'a str,
    agency: Option<&'a str>,
    details: &'a Value,
}

/// The Redis commands a change may make; `lua/change.lua` allows exactly these (and its own
/// `INDEX` and `COUNTER`, see [`Change::index_add`] and [`Change::counter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// `HSET key field value …`
    Hset,
    /// `HDEL key field …`
    Hdel,
    /// `HINCRBY key field n`
    Hincrby,
    /// `RPUSH key value …`
    Rpush,
    /// `SET key value [options]`
    Set,
    /// `DEL key`
    Del,
    /// `SADD key member …`
    Sadd,
    /// `SREM key member …`
    Srem,
    /// `ZADD key score member …`
    Zadd,
    /// `ZREM key member …`
    Zrem,
    /// `ZREMRANGEBYSCORE key min max`
    ZremRangeByScore,
    /// `XADD key [MAXLEN …] id field value …`
    Xadd,
    /// `XACK key group id …`
    Xack,
    /// `XDEL key id …`
    Xdel,
}

impl Cmd {
    /// Every command, for the check against the script's list.
    pub const ALL: [Cmd; 14] = [
        Cmd::Hset,
        Cmd::Hdel,
        Cmd::Hincrby,
        Cmd::Rpush,
        Cmd::Set,
        Cmd::Del,
        Cmd::Sadd,
        Cmd::Srem,
        Cmd::Zadd,
        Cmd::Zrem,
        Cmd::ZremRangeByScore,
        Cmd::Xadd,
        Cmd::Xack,
        Cmd::Xdel,
    ];

    /// The command's name as Redis and the script know it.
    pub fn as_str(self) -> &'static str {
        match self {
            Cmd::Hset => "HSET",
            Cmd::Hdel => "HDEL",
            Cmd::Hincrby => "HINCRBY",
            Cmd::Rpush => "RPUSH",
            Cmd::Set => "SET",
            Cmd::Del => "DEL",
            Cmd::Sadd => "SADD",
            Cmd::Srem => "SREM",
            Cmd::Zadd => "ZADD",
            Cmd::Zrem => "ZREM",
            Cmd::ZremRangeByScore => "ZREMRANGEBYSCORE",
            Cmd::Xadd => "XADD",
            Cmd::Xack => "XACK",
            Cmd::Xdel => "XDEL",
        }
    }
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
#[derive(Debug)]
pub struct Change {
    keys: Vec<String>,
    /// `[kind, k, args…]`, `k` a 1-based index into `keys`.
    checks: Vec<Vec<String>>,
    /// `[COMMAND, k, args…]`.
    ops: Vec<Vec<String>>,
    audits: Vec<String>,
    /// The first argument that could not be encoded: the change fails without writing.
    unencodable: Option<StoreError>,
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
            unencodable: None,
        }
    }

    /// `value` as JSON text for an argument. Should it not encode, [`Change::apply`] fails
    /// with [`StoreError::Encode`] and writes nothing: an empty text is never stored.
    pub fn json<T: Serialize + ?Sized>(&mut self, what: &'static str, value: &T) -> String {
        match serde_json::to_string(value) {
            Ok(text) => text,
            Err(error) => {
                self.unencodable
                    .get_or_insert(StoreError::encode(what, error));
                String::new()
            }
        }
    }

    /// The 1-based `KEYS` index of `key`, adding it once. A key outside the audit log's slot
    /// would fail the script on a cluster (and break its atomicity anywhere): the change then
    /// fails without writing, on one Redis as on a cluster.
    fn key(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(i) => i + 1,
            None => {
                if super::conn::slot(key.as_bytes()) != super::conn::slot(self.keys[0].as_bytes()) {
                    self.unencodable
                        .get_or_insert(StoreError::from(RedisError::from((
                            ErrorKind::CrossSlot,
                            "a change's key lies outside the audit log's hash tag",
                            key.to_owned(),
                        ))));
                }
                self.keys.push(key.to_owned());
                self.keys.len()
            }
        }
    }

    /// Requires the string key `key` not to exist. Returns the precondition's index.
    pub fn require_absent(&mut self, key: &str) -> usize {
        let k = self.key(key);
        self.checks.push(vec!["absent".to_owned(), k.to_string()]);
        self.checks.len()
    }

    /// Requires hash field `field` of `key` to be one of `values` (`""` matches a missing
    /// field). Returns the precondition's index.
    pub fn require_field_in(&mut self, key: &str, field: &str, values: &[&str]) -> usize {
        let k = self.key(key);
        let mut check = vec!["field_in".to_owned(), k.to_string(), field.to_owned()];
        check.extend(values.iter().map(|v| (*v).to_owned()));
        self.checks.push(check);
        self.checks.len()
    }

    /// Adds a write: `command key args…`.
    pub fn op<I, A>(&mut self, command: Cmd, key: &str, args: I) -> &mut Change
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        self.raw_op(command.as_str(), key, args)
    }

    /// Adds `command key args…` for any command the script knows, the internal ones
    /// (`INDEX`, `COUNTER`) included.
    fn raw_op<I, A>(&mut self, command: &'static str, key: &str, args: I) -> &mut Change
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let k = self.key(key);
        let mut op = vec![command.to_owned(), k.to_string()];
        op.extend(args.into_iter().map(Into::into));
        self.ops.push(op);
        self
    }

    /// Adds `member` with score 0 to the sorted set `key` (a lexical index). Within a group,
    /// the adds to one index are made in one `ZADD` when the group ends, or before anything
    /// else in the group reads or writes that index, so no command can tell them from adds
    /// made in place; what they save is Redis's work per command.
    pub fn index_add(&mut self, key: &str, member: &str) -> &mut Change {
        self.raw_op("INDEX", key, [member])
    }

    /// Increments the counter `key` and names the new value: an argument of a later
    /// [`Change::op`] equal to the returned placeholder is replaced by it.
    pub fn counter(&mut self, key: &str, name: &str) -> String {
        let placeholder = format!("\u{0}{name}");
        let k = self.key(key);
        self.ops.push(vec![
            "COUNTER".to_owned(),
            k.to_string(),
            placeholder.clone(),
        ]);
        placeholder
    }

    /// Adds an audit entry.
    pub fn audit<'a>(
        &mut self,
        actor: impl Into<Actor<'a>>,
        action: &str,
        subject: &str,
        agency: Option<&str>,
        details: &Value,
    ) -> &mut Change {
        let actor = actor.into();
        let body = AuditBody {
            at: Utc::now(),
            actor: actor.name,
            key: actor.key,
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
    pub async fn apply(mut self, store: &Store) -> StoreResult<Applied> {
        if let Some(error) = self.unencodable {
            return Err(error);
        }
        let (reply, answer) = oneshot::channel();
        let body = self.body();
        let job = Job {
            keys: self.keys,
            body,
            audits: self.audits,
            reply,
        };
        if store.appender.sender(store).send(job).await.is_err() {
            return Err(appender_stopped()).map_err(op("change.apply"));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(appender_stopped()))
            .map_err(op("change.apply"))
    }

    /// The checks and ops as the script reads them: the count of checks, each check as its
    /// length and items, the count of ops, each op as its length and items.
    fn body(&mut self) -> Vec<String> {
        let items = |lists: &[Vec<String>]| lists.iter().map(|l| l.len() + 1).sum::<usize>();
        let mut body = Vec::with_capacity(2 + items(&self.checks) + items(&self.ops));
        for lists in [&mut self.checks, &mut self.ops] {
            body.push(lists.len().to_string());
            for list in lists.drain(..) {
                body.push(list.len().to_string());
                body.extend(list);
            }
        }
        body
    }
}

/// A change handed to the appender.
struct Job {
    keys: Vec<String>,
    /// [`Change::body`]: checks and ops, key indices into `keys`.
    body: Vec<String>,
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

/// Groups sent to Redis before the first of them is answered.
const IN_FLIGHT: usize = 2;

/// Whether a group goes on the wire now, with `on_wire` groups there and `queued` changes to
/// send: into an empty pipeline, anything; behind a group, only a full one (the rest waits for
/// that answer, taking in what arrives meanwhile, see the module documentation).
fn sends_now(on_wire: usize, queued: usize) -> bool {
    queued > 0 && on_wire < IN_FLIGHT && (on_wire == 0 || queued >= MAX_GROUP)
}

/// A group sent and not yet answered.
struct Sent {
    group: VecDeque<Job>,
    /// The audit seq each change is answered with when made.
    done_seqs: Vec<u64>,
    reply: std::pin::Pin<Box<dyn std::future::Future<Output = RedisResult<RedisValue>> + Send>>,
}

/// The appender's loop: keeps up to [`IN_FLIGHT`] groups on the wire, each chained from the
/// head the one before it will leave. Redis checks that head for every group, so a group sent
/// after one that was not wholly made (or that arrived out of order) writes nothing and is
/// sent again: pipelining never forks the chain, it only saves round trips.
async fn run_appender(conn: super::Conn, queue: mpsc::Receiver<Job>) {
    let mut task = AppenderTask {
        conn,
        queue,
        head: None,
        in_flight: VecDeque::new(),
        again: VecDeque::new(),
        waiting: VecDeque::new(),
        draining: false,
        conflicts: 0,
        conflicted_since: None,
        open: true,
    };
    loop {
        task.fill_pipeline().await;
        match task.next_event().await {
            Event::Stop => return,
            Event::Received => continue,
            Event::Answered(answer, sent) => task.settle(answer, sent),
        }
        task.after_answer().await;
    }
}

/// The appender task between its steps.
struct AppenderTask {
    conn: super::Conn,
    queue: mpsc::Receiver<Job>,
    /// The head the groups on the wire will leave if they are all made; `None`: read it.
    head: Option<Head>,
    in_flight: VecDeque<Sent>,
    /// Changes to send before anything new: the rest of groups that were not wholly made.
    again: VecDeque<Job>,
    /// Changes received and not yet sent.
    waiting: VecDeque<Job>,
    /// A group on the wire was not wholly made: send nothing new until all are answered.
    draining: bool,
    /// Groups in a row that found the head moved by another writer.
    conflicts: u32,
    /// When the head was first found moved, in the present run of conflicts.
    conflicted_since: Option<tokio::time::Instant>,
    /// Whether changes may still arrive (some clone of the store is alive).
    open: bool,
}

/// What the appender waited for.
enum Event {
    /// Nothing is on the wire, nothing can arrive: the task ends.
    Stop,
    /// A change arrived (or the queue closed), or draining ended: fill the pipeline again.
    Received,
    /// The oldest group on the wire was answered.
    Answered(RedisResult<RedisValue>, Sent),
}

impl AppenderTask {
    /// Sends groups until [`IN_FLIGHT`] are on the wire, there is nothing to send, what there
    /// is to send would not fill a group behind one on the wire, or a group was not wholly
    /// made.
    async fn fill_pipeline(&mut self) {
        while !self.draining && self.in_flight.len() < IN_FLIGHT {
            self.take_arrived();
            if !sends_now(self.in_flight.len(), self.again.len() + self.waiting.len()) {
                break;
            }
            // Not empty: `sends_now` asked for changes queued.
            let group = self.next_group();
            let from = match self.head.clone() {
                Some(head) => head,
                None => match read_head(&mut self.conn.clone()).await {
                    Ok(head) => head,
                    Err(error) => {
                        fail_all(group, error);
                        continue;
                    }
                },
            };
            self.send(group, &from);
        }
    }

    /// Moves the changes that arrived meanwhile to `waiting`, up to a group's worth.
    fn take_arrived(&mut self) {
        if !self.open {
            return;
        }
        while self.waiting.len() < MAX_GROUP {
            match self.queue.try_recv() {
                Ok(job) => self.waiting.push_back(job),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.open = false;
                    break;
                }
            }
        }
    }

    /// The next group: what must go again first, then what waits, up to [`MAX_GROUP`].
    fn next_group(&mut self) -> VecDeque<Job> {
        let mut group = VecDeque::with_capacity(MAX_GROUP);
        while group.len() < MAX_GROUP {
            match self.again.pop_front().or_else(|| self.waiting.pop_front()) {
                Some(job) => group.push_back(job),
                None => break,
            }
        }
        group
    }

    /// Puts `group`, chained from `from`, on the wire.
    fn send(&mut self, group: VecDeque<Job>, from: &Head) {
        let (invocation, done_seqs, after) = prepare(from, group.iter());
        self.head = Some(after);
        let mut connection = self.conn.clone();
        let mut sent = Sent {
            group,
            done_seqs,
            reply: Box::pin(
                async move { invocation.invoke_async::<RedisValue>(&mut connection).await },
            ),
        };
        // Poll once so that the call is queued on the connection now, in order.
        let waker = futures::task::noop_waker();
        let mut context = std::task::Context::from_waker(&waker);
        if let std::task::Poll::Ready(answer) = sent.reply.as_mut().poll(&mut context) {
            sent.reply = Box::pin(std::future::ready(answer));
        }
        self.in_flight.push_back(sent);
    }

    /// Waits for the oldest group's answer, or (with room on the wire) for new changes.
    async fn next_event(&mut self) -> Event {
        let room = self.open && !self.draining && self.in_flight.len() < IN_FLIGHT;
        let Some(oldest) = self.in_flight.front_mut() else {
            if self.draining {
                self.draining = false;
                return Event::Received;
            }
            if !self.open {
                return Event::Stop;
            }
            match self.queue.recv().await {
                Some(job) => self.waiting.push_back(job),
                None => self.open = false,
            }
            return Event::Received;
        };
        let answer = tokio::select! {
            answer = &mut oldest.reply => answer,
            job = self.queue.recv(), if room => {
                match job {
                    Some(job) => self.waiting.push_back(job),
                    None => self.open = false,
                }
                return Event::Received;
            }
        };
        match self.in_flight.pop_front() {
            Some(sent) => Event::Answered(answer, sent),
            None => Event::Received,
        }
    }

    /// Answers the changes of an answered group that were made (or refused, or failed), and
    /// keeps the rest to go again. Once a group was not wholly made, the groups after it were
    /// chained from a head that may never be: each answer then tells the real head (in the
    /// order Redis ran them).
    fn settle(&mut self, answer: RedisResult<RedisValue>, sent: Sent) {
        let Sent {
            mut group,
            done_seqs,
            ..
        } = sent;
        match answer.and_then(|value| Outcome::parse(&value)) {
            Err(error) => {
                // Made or not, unknown: the head is read again unless a later answer tells it.
                self.head = None;
                self.draining = true;
                fail_all(group, error);
            }
            Ok(Outcome::HeadMoved(found)) => {
                if !self.draining {
                    self.conflicts += 1;
                    self.conflicted_since
                        .get_or_insert_with(tokio::time::Instant::now);
                }
                self.draining = true;
                self.head = Some(found);
                self.again.extend(group);
            }
            Ok(Outcome::Ran {
                done,
                stopped,
                head: after,
            }) => {
                // The head was the one expected: whatever the group came to, this is progress,
                // so the count of conflicts in a row starts again (a group with a refused
                // change is not wholly made, and with refusals common that may be most groups).
                self.conflicts = 0;
                self.conflicted_since = None;
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
                if !group.is_empty() || self.draining {
                    self.draining = true;
                    self.head = Some(after);
                }
                self.again.extend(group);
            }
        }
    }

    /// Once every group on the wire is answered after one was not wholly made: gives up on
    /// the changes left when other writers have kept the head moving for
    /// [`MAX_HEAD_CONFLICT_TIME`], or pauses (growing, random) before they go again.
    async fn after_answer(&mut self) {
        if !self.draining || !self.in_flight.is_empty() {
            return;
        }
        if self
            .conflicted_since
            .is_some_and(|since| since.elapsed() > MAX_HEAD_CONFLICT_TIME)
        {
            fail_all(std::mem::take(&mut self.again), head_kept_moving());
            self.conflicts = 0;
            self.conflicted_since = None;
        } else if self.conflicts > 1 {
            tokio::time::sleep(conflict_pause(self.conflicts)).await;
        }
    }
}

/// The script call for `group` chained from `head`, the audit seq each change will be
/// answered with if it is made, and the head once they all are.
fn prepare<'a>(
    head: &Head,
    group: impl ExactSizeIterator<Item = &'a Job>,
) -> (redis::ScriptInvocation<'static>, Vec<u64>, Head) {
    let mut invocation = scripts::CHANGE.prepare_invoke();
    let mut key_index: HashMap<&str, usize> = HashMap::new();
    let mut group_keys: Vec<&str> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut done_seqs = Vec::with_capacity(group.len());
    let (mut seq, mut prev) = (head.seq, head.hash.clone());
    args.push(group.len().to_string());
    for job in group {
        args.push(job.keys.len().to_string());
        for key in &job.keys {
            let index = *key_index.entry(key.as_str()).or_insert_with(|| {
                group_keys.push(key.as_str());
                group_keys.len()
            });
            args.push(index.to_string());
        }
        args.extend(job.body.iter().cloned());
        args.push(job.audits.len().to_string());
        for body in &job.audits {
            seq += 1;
            // The body is a JSON object (`{"at":…`): the stored text puts `seq` first.
            let text = format!("{{\"seq\":{seq},{}", body.get(1..).unwrap_or_default());
            prev = chain_hash(&prev, &text);
            args.push(seq.to_string());
            args.push(text);
            args.push(prev.clone());
        }
        done_seqs.push(seq);
    }
    for key in group_keys {
        invocation.key(key);
    }
    invocation.arg(head.seq).arg(&head.hash).arg(args);
    (invocation, done_seqs, Head { seq, hash: prev })
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
async fn read_head(conn: &mut super::Conn) -> RedisResult<Head> {
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

#[cfg(test)]
mod tests {
    use super::{keys, sends_now, Change, Cmd, IN_FLIGHT, MAX_GROUP};

    #[test]
    fn behind_a_group_on_the_wire_only_a_full_group_goes() {
        // Nothing on the wire: whatever there is goes at once, even one change.
        assert!(sends_now(0, 1));
        assert!(sends_now(0, MAX_GROUP));
        assert!(!sends_now(0, 0));
        // Behind a group: a partial group waits for its answer, a full one goes.
        assert!(!sends_now(1, 1));
        assert!(!sends_now(1, MAX_GROUP - 1));
        assert!(sends_now(1, MAX_GROUP));
        assert!(sends_now(1, MAX_GROUP + 5));
        // The pipeline is full: nothing goes.
        assert!(!sends_now(IN_FLIGHT, MAX_GROUP));
    }

    #[test]
    fn a_change_refuses_a_key_outside_the_audit_slot() {
        let mut change = Change::new();
        change.op(Cmd::Hset, &keys::takedown("t1"), ["state", "received"]);
        assert!(change.unencodable.is_none());
        change.op(Cmd::Set, &keys::product("08935049500018"), ["{}"]);
        let error = change.unencodable.expect("refused");
        assert!(error.to_string().contains("store"), "{error}");
    }

    #[test]
    fn the_script_allows_exactly_the_typed_commands() {
        let script = include_str!("lua/change.lua");
        let start = script.find("local allowed = {").expect("the allowed table");
        let end = start + script[start..].find('}').expect("its end");
        let mut allowed: Vec<&str> = script[start + "local allowed = {".len()..end]
            .split(',')
            .filter_map(|item| item.split('=').next())
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .collect();
        allowed.sort_unstable();
        let mut typed: Vec<&str> = Cmd::ALL.iter().map(|c| c.as_str()).collect();
        typed.extend(["COUNTER", "INDEX"]);
        typed.sort_unstable();
        assert_eq!(allowed, typed);
    }
}

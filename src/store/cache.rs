//! Reference records served from memory, kept right by Redis itself.
//!
//! Look-ups of reference data (products, recalled lots, taxpayers, invoices) run on one
//! dedicated RESP3 connection with `CLIENT TRACKING ON`. Redis remembers which keys that
//! connection read and pushes an `invalidate` message when any client changes one of them;
//! the entry is then dropped here. So a cached record is never kept past a change that Redis
//! has told us of:
//!
//! - A read that raced an invalidation is not cached: every invalidation bumps an epoch, and a
//!   read stores its answer only if the epoch it started under is still current.
//! - When the tracking connection closes (Redis restarted, network error), everything is
//!   forgotten and reads go straight to Redis until a new tracking connection is up.
//! - Writes made by this process ([`super::reference::put_records`]) forget everything before
//!   they answer, so a load is visible to this process's next check at once; other processes
//!   see it as soon as Redis's invalidation message arrives.
//! - Entries older than [`MAX_AGE`] are read again, as a safety net for a connection that
//!   stalls without closing.
//!
//! The cache holds at most [`MAX_ENTRIES`] answers; when full, an arbitrary eighth of them is
//! dropped.

use super::StoreResult;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

use super::conn::Conn;
use redis::{PushKind, Value};

/// Most answers held at once.
pub const MAX_ENTRIES: usize = 50_000;
/// Oldest answer served without asking Redis again.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// First wait between attempts to open the tracking connection; it doubles while they fail.
const RECONNECT_DELAY: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(8);

type Shared = Arc<dyn Any + Send + Sync>;

/// The cache of one [`super::Store`]; cheap to clone. The tracking connection is opened on first use.
#[derive(Clone)]
pub struct ReadCache {
    inner: Arc<Inner>,
}

struct Inner {
    /// The Redis to open the tracking connection to; `None` when the cache is off (a
    /// cluster: see [`ReadCache::reading_through`]).
    client: Option<redis::Client>,
    /// The store's shared connection, for reads while tracking is down.
    shared: Conn,
    state: Mutex<State>,
    started: std::sync::Once,
}

#[derive(Default)]
struct State {
    /// The tracking connection, while it is up.
    conn: Option<MultiplexedConnection>,
    /// Bumped by every invalidation and by every change of connection.
    epoch: u64,
    /// Per Redis key: the decoded value of a GET, and answers of SISMEMBER per member.
    slots: HashMap<String, Slot>,
    /// Answers held (values and members).
    held: usize,
    hits: u64,
    misses: u64,
}

#[derive(Default)]
struct Slot {
    value: Option<(Instant, Shared)>,
    members: HashMap<String, (Instant, bool)>,
}

/// How many reads were answered from memory and how many went to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheFigures {
    /// Answered from memory.
    pub hits: u64,
    /// Sent to Redis.
    pub misses: u64,
    /// Answers held now.
    pub held: usize,
    /// Whether the tracking connection is up.
    pub tracking: bool,
}

impl ReadCache {
    /// A cache for the Redis that `client` connects to, reading through `shared` while it
    /// cannot track; nothing is opened yet.
    pub fn new(client: &redis::Client, shared: Conn) -> ReadCache {
        let mut info = client.get_connection_info().clone();
        info.redis.protocol = redis::ProtocolVersion::RESP3;
        let client = redis::Client::open(info).unwrap_or_else(|_| client.clone());
        ReadCache::with(Some(client), shared)
    }

    /// A cache that holds nothing: every read goes to Redis through `shared`. For a Redis
    /// Cluster, where tracking would have to be switched on for every node connection the
    /// cluster client opens, also after a failover, or records could be served stale.
    pub fn reading_through(shared: Conn) -> ReadCache {
        ReadCache::with(None, shared)
    }

    fn with(client: Option<redis::Client>, shared: Conn) -> ReadCache {
        ReadCache {
            inner: Arc::new(Inner {
                client,
                shared,
                state: Mutex::new(State::default()),
                started: std::sync::Once::new(),
            }),
        }
    }

    /// GET `key`, decoded by `decode`; from memory when Redis has not said it changed.
    pub async fn get<T, F>(&self, key: &str, decode: F) -> StoreResult<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: FnOnce(Option<String>) -> T,
    {
        let held = self.held(key, |slot| {
            let (at, value) = slot.value.as_ref()?;
            fresh(*at).then(|| Arc::clone(value).downcast::<T>().ok())?
        });
        let epoch = match held {
            Held::Hit(value) => return Ok(value),
            Held::Miss(epoch) => epoch,
        };
        let (text, tracked) = self.query(redis::cmd("GET").arg(key)).await?;
        let value = Arc::new(decode(text));
        if tracked {
            let shared: Shared = value.clone();
            self.keep(key, epoch, |slot| {
                slot.value.replace((Instant::now(), shared)).is_none()
            });
        }
        Ok(value)
    }

    /// SISMEMBER `key` `member`; from memory when Redis has not said the set changed.
    pub async fn is_member(&self, key: &str, member: &str) -> StoreResult<bool> {
        let held = self.held(key, |slot| {
            let (at, found) = slot.members.get(member)?;
            fresh(*at).then_some(*found)
        });
        let epoch = match held {
            Held::Hit(found) => return Ok(found),
            Held::Miss(epoch) => epoch,
        };
        let command = redis::cmd("SISMEMBER").arg(key).arg(member).to_owned();
        let (found, tracked) = self.query(&command).await?;
        if tracked {
            self.keep(key, epoch, |slot| {
                slot.members
                    .insert(member.to_owned(), (Instant::now(), found))
                    .is_none()
            });
        }
        Ok(found)
    }

    /// What `pick` finds held for `key`, or the epoch a read from Redis starts under.
    fn held<R>(&self, key: &str, pick: impl FnOnce(&Slot) -> Option<R>) -> Held<R> {
        self.start();
        let mut state = self.inner.lock();
        match state.slots.get(key).and_then(pick) {
            Some(found) => {
                state.hits += 1;
                Held::Hit(found)
            }
            None => {
                state.misses += 1;
                Held::Miss(state.epoch)
            }
        }
    }

    /// Runs `command` on the tracking connection (answer, `true`), or on the shared
    /// connection when tracking is down or failed (answer, `false`: not to be kept).
    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> StoreResult<(T, bool)> {
        let tracking = self.inner.lock().conn.clone();
        if let Some(mut conn) = tracking {
            if let Ok(answer) = command.query_async(&mut conn).await {
                return Ok((answer, true));
            }
        }
        let mut conn = self.inner.shared.clone();
        Ok((command.query_async(&mut conn).await?, false))
    }

    /// Keeps a tracked answer for `key` (`put` says whether it added one), unless an
    /// invalidation or a change of connection came since the read started at `epoch`.
    fn keep(&self, key: &str, epoch: u64, put: impl FnOnce(&mut Slot) -> bool) {
        let mut state = self.inner.lock();
        if state.epoch != epoch {
            return;
        }
        state.make_room();
        if put(state.slots.entry(key.to_owned()).or_default()) {
            state.held += 1;
        }
    }

    /// Drops every answer held (after this process wrote reference data).
    pub fn forget_all(&self) {
        self.inner.lock().forget_all();
    }

    /// Hits, misses and size so far.
    pub fn figures(&self) -> CacheFigures {
        let state = self.inner.lock();
        CacheFigures {
            hits: state.hits,
            misses: state.misses,
            held: state.held,
            tracking: state.conn.is_some(),
        }
    }

    fn start(&self) {
        if self.inner.client.is_none() {
            return;
        }
        self.inner.started.call_once(|| {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(track(weak));
        });
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves at worst a missing or extra entry that the
        // next invalidation corrects; the cache stays usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn forget_all(&mut self) {
        self.slots.clear();
        self.held = 0;
        self.epoch += 1;
    }

    fn forget(&mut self, key: &[u8]) {
        let Ok(key) = std::str::from_utf8(key) else {
            // Keys this cache reads are UTF-8; anything else was never held.
            return;
        };
        if let Some(slot) = self.slots.remove(key) {
            self.held -= usize::from(slot.value.is_some()) + slot.members.len();
        }
    }

    fn make_room(&mut self) {
        if self.held < MAX_ENTRIES {
            return;
        }
        let victims: Vec<String> = self
            .slots
            .keys()
            .take(self.slots.len() / 8 + 1)
            .cloned()
            .collect();
        for key in victims {
            self.forget(key.as_bytes());
        }
    }

    fn invalidate(&mut self, data: &[Value]) {
        self.epoch += 1;
        match data.first() {
            Some(Value::Array(keys)) | Some(Value::Set(keys)) => {
                for key in keys {
                    match key {
                        Value::BulkString(bytes) => self.forget(bytes),
                        Value::SimpleString(text) => self.forget(text.as_bytes()),
                        _ => self.forget_all(),
                    }
                }
            }
            // A null key list means FLUSHALL/FLUSHDB (or memory pressure): everything goes.
            _ => self.forget_all(),
        }
    }
}

/// Keeps a tracking connection open for as long as the cache exists, and applies Redis's
/// invalidation messages to it.
async fn track(weak: Weak<Inner>) {
    let mut delay = RECONNECT_DELAY;
    let mut failing = false;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let (sender, mut pushes) = tokio::sync::mpsc::unbounded_channel();
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(super::CONNECT_TIMEOUT)
            .set_response_timeout(super::RESPONSE_TIMEOUT)
            .set_push_sender(sender);
        let Some(client) = inner.client.as_ref() else {
            return;
        };
        let opened = async {
            let mut conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("CLIENT")
                .arg("TRACKING")
                .arg("ON")
                .query_async::<()>(&mut conn)
                .await?;
            Ok::<_, redis::RedisError>(conn)
        }
        .await;
        match opened {
            Ok(conn) => {
                {
                    let mut state = inner.lock();
                    state.forget_all();
                    state.conn = Some(conn);
                }
                tracing::info!("reference cache: tracking connection open");
                (delay, failing) = (RECONNECT_DELAY, false);
                drop(inner);
                while let Some(push) = pushes.recv().await {
                    let Some(inner) = weak.upgrade() else { return };
                    match push.kind {
                        PushKind::Invalidate => inner.lock().invalidate(&push.data),
                        PushKind::Disconnection => break,
                        _ => {}
                    }
                }
                let Some(inner) = weak.upgrade() else { return };
                let mut state = inner.lock();
                state.conn = None;
                state.forget_all();
                tracing::warn!("reference cache: tracking connection closed; reading through");
            }
            // Redis answered, and the answer is no (no RESP3 before Redis 6, CLIENT denied by
            // an ACL, a proxy that does not pass push messages): asking again will not help.
            Err(error) if !error.is_io_error() && !error.is_timeout() => {
                tracing::warn!(%error, "reference cache off: Redis refused client-side tracking; every look-up reads Redis");
                return;
            }
            Err(error) => {
                // Logged once per outage, not on every attempt.
                if !failing {
                    tracing::warn!(%error, "reference cache: cannot open the tracking connection; reading through until it opens");
                    failing = true;
                }
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
        tokio::time::sleep(delay).await;
    }
}

/// A look-up answered from memory, or the epoch its read from Redis starts under.
enum Held<R> {
    Hit(R),
    Miss(u64),
}

fn fresh(at: Instant) -> bool {
    at.elapsed() < MAX_AGE
}

//! Waiting for replicas before a takedown's 202.
//!
//! A request answered 202 must survive the death of the master that stored it. Redis
//! replicates asynchronously, so after the write the service asks the master to `WAIT` until
//! enough replicas hold it. `WAIT` counts what the asking client wrote, so every round writes a
//! small marker ([`super::keys::replication_probe`]) on the barrier's own connection and waits
//! for that: the master's replication stream is one ordered stream, so once replicas hold the
//! marker they hold everything written before it, whichever connection or process wrote it.
//!
//! Waiters are served in rounds by one task per [`super::Store`]: every waiter that asked
//! before a round's marker was sent is answered by that round, so a burst of submissions costs
//! one marker and one `WAIT`, not one each. The barrier has its own connection because a
//! `WAIT` holds the connection it runs on until the replicas answer (up to the timeout).
//!
//! How many replicas: [`WaitReplicas::Auto`] waits for one when the master has any (read with
//! `INFO replication`, at most once a second), so a master that lost its replicas, or a promoted
//! replica with none yet, does not stall intake; [`WaitReplicas::Exactly`] always waits for
//! that many, and `Exactly(0)` turns the wait off. While the count last read (less than a
//! second ago) is none, a waiter returns at once without going through the task: a round would
//! send nothing either.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::conn::{slot, Conn};
use super::{keys, StoreError, StoreResult};

/// How many replicas must hold a takedown before its 202.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitReplicas {
    /// One when the master has replicas, none otherwise.
    #[default]
    Auto,
    /// This many (0: do not wait).
    Exactly(u32),
}

impl std::str::FromStr for WaitReplicas {
    type Err = String;

    fn from_str(text: &str) -> Result<WaitReplicas, String> {
        match text {
            "auto" => Ok(WaitReplicas::Auto),
            n => n.parse().map(WaitReplicas::Exactly).map_err(|_| {
                format!(
                    "{text:?} is neither `auto` nor a number of replicas (0 turns the wait off)"
                )
            }),
        }
    }
}

/// The replication wait of a store: what to wait for and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// How many replicas.
    pub replicas: WaitReplicas,
    /// Longest wait before the answer is 503.
    pub timeout: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            replicas: WaitReplicas::Auto,
            timeout: Duration::from_millis(1000),
        }
    }
}

/// How often [`WaitReplicas::Auto`] reads the master's number of replicas again.
const REPLICA_COUNT_AGE: Duration = Duration::from_secs(1);
/// Waiters queued before [`Barrier::wait`] waits for room.
const QUEUE: usize = 4096;

type Waiter = oneshot::Sender<StoreResult<()>>;

/// The replication barrier of one store; cheap to clone. Its task and connection start on the
/// first wait.
#[derive(Clone)]
pub struct Barrier {
    policy: WaitPolicy,
    queue: Arc<OnceLock<mpsc::Sender<Waiter>>>,
    /// The master's number of replicas and when it was read ([`WaitReplicas::Auto`]).
    replicas: Arc<ReplicaCount>,
}

/// The master's number of replicas as the barrier's task last read it, shared with waiters so
/// that they need not queue while it is fresh and none.
#[derive(Default)]
struct ReplicaCount(Mutex<Option<(Instant, u32)>>);

impl ReplicaCount {
    /// The count, if read less than [`REPLICA_COUNT_AGE`] ago.
    fn fresh(&self) -> Option<u32> {
        let known = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        known
            .filter(|(at, _)| at.elapsed() < REPLICA_COUNT_AGE)
            .map(|(_, count)| count)
    }

    fn set(&self, count: Option<u32>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
            count.map(|count| (Instant::now(), count));
    }
}

impl Barrier {
    /// A barrier with `policy`; nothing is opened yet.
    pub fn new(policy: WaitPolicy) -> Barrier {
        Barrier {
            policy,
            queue: Arc::new(OnceLock::new()),
            replicas: Arc::default(),
        }
    }

    /// The policy it follows.
    pub fn policy(&self) -> WaitPolicy {
        self.policy
    }

    /// Returns once the replicas the policy asks for hold everything written before this
    /// call; an error when they do not within the timeout ([`StoreError::NotReplicated`]) or
    /// Redis fails. `open` opens the barrier's own connection: on the first wait, and again
    /// after a failure (Redis restarted, a failover).
    pub async fn wait<F, Fut>(&self, open: F) -> StoreResult<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = redis::RedisResult<Conn>> + Send + 'static,
    {
        let none_needed = match self.policy.replicas {
            WaitReplicas::Exactly(n) => n == 0,
            WaitReplicas::Auto => self.replicas.fresh() == Some(0),
        };
        if none_needed {
            return Ok(());
        }
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            let replicas = Arc::clone(&self.replicas);
            tokio::spawn(run(open, self.policy, replicas, receiver));
            sender
        });
        let (answer, answered) = oneshot::channel();
        if queue.send(answer).await.is_err() {
            return Err(StoreError::not_replicated(0, 0));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::not_replicated(0, 0)))
    }
}

/// Serves waiters in rounds until every [`Barrier`] clone is gone.
async fn run<F, Fut>(
    open: F,
    policy: WaitPolicy,
    replicas: Arc<ReplicaCount>,
    mut waiters: mpsc::Receiver<Waiter>,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = redis::RedisResult<Conn>>,
{
    let mut conn: Option<Conn> = None;
    while let Some(first) = waiters.recv().await {
        let mut round = vec![first];
        while let Ok(more) = waiters.try_recv() {
            round.push(more);
        }
        let outcome = match conn.as_mut() {
            Some(open_conn) => one_round(open_conn, policy, &replicas).await,
            None => match open().await {
                Ok(opened) => one_round(conn.insert(opened), policy, &replicas).await,
                Err(error) => Err(RoundError::Redis(error)),
            },
        };
        if let Err(RoundError::Redis(_)) = &outcome {
            // Open a new connection and read the count again: the master may have changed.
            conn = None;
            replicas.set(None);
        }
        for waiter in round {
            let _ = waiter.send(match &outcome {
                Ok(()) => Ok(()),
                Err(RoundError::Short { wanted, acked }) => {
                    Err(StoreError::not_replicated(*wanted, *acked))
                }
                Err(RoundError::Redis(error)) => Err(StoreError::from(redis::RedisError::from((
                    error.kind(),
                    "replication wait",
                    error.to_string(),
                )))),
            });
        }
    }
}

enum RoundError {
    Short { wanted: u32, acked: u32 },
    Redis(redis::RedisError),
}

async fn one_round(
    conn: &mut Conn,
    policy: WaitPolicy,
    replicas: &ReplicaCount,
) -> Result<(), RoundError> {
    let enforce = slot(keys::replication_probe().as_bytes());
    let wanted = match policy.replicas {
        WaitReplicas::Exactly(n) => n,
        WaitReplicas::Auto => {
            let count = match replicas.fresh() {
                Some(count) => count,
                None => {
                    let info: String = conn
                        .on_master_of(enforce, redis::cmd("INFO").arg("replication"))
                        .await
                        .map_err(RoundError::Redis)?;
                    let count = connected_replicas(&info);
                    replicas.set(Some(count));
                    count
                }
            };
            count.min(1)
        }
    };
    if wanted == 0 {
        return Ok(());
    }
    let timeout_ms = u64::try_from(policy.timeout.as_millis()).unwrap_or(u64::MAX);
    // One after the other on the master's connection: WAIT counts this connection's writes.
    let _: u64 = conn
        .on_master_of(enforce, redis::cmd("INCR").arg(keys::replication_probe()))
        .await
        .map_err(RoundError::Redis)?;
    let acked: u32 = conn
        .on_master_of(enforce, redis::cmd("WAIT").arg(wanted).arg(timeout_ms))
        .await
        .map_err(RoundError::Redis)?;
    if acked >= wanted {
        Ok(())
    } else {
        tracing::warn!(
            wanted,
            acked,
            timeout_ms,
            "replicas did not acknowledge in time: takedown intake answers 503 until they do"
        );
        Err(RoundError::Short { wanted, acked })
    }
}

/// `connected_slaves` of an `INFO replication` answer (0 when absent).
fn connected_replicas(info: &str) -> u32 {
    info.lines()
        .find_map(|line| line.trim().strip_prefix("connected_slaves:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replica_count_is_read_from_info() {
        let info = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=127.0.0.1\r\n";
        assert_eq!(connected_replicas(info), 2);
        assert_eq!(connected_replicas("role:slave\r\n"), 0);
    }

    #[test]
    fn a_replica_count_is_fresh_for_a_second_after_it_was_read() {
        let count = ReplicaCount::default();
        assert_eq!(count.fresh(), None);
        count.set(Some(0));
        assert_eq!(count.fresh(), Some(0));
        *count.0.lock().unwrap() = Some((Instant::now() - REPLICA_COUNT_AGE, 0));
        assert_eq!(count.fresh(), None, "too old: read again");
        count.set(Some(2));
        assert_eq!(count.fresh(), Some(2));
        count.set(None);
        assert_eq!(count.fresh(), None);
    }

    #[test]
    fn the_flag_reads_auto_or_a_count() {
        assert_eq!("auto".parse(), Ok(WaitReplicas::Auto));
        assert_eq!("0".parse(), Ok(WaitReplicas::Exactly(0)));
        assert_eq!("2".parse(), Ok(WaitReplicas::Exactly(2)));
        assert!("two".parse::<WaitReplicas>().is_err());
    }
}

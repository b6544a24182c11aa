//! Redis: the connection every process shares, the managed child, key names and the small
//! named operations the rest of the service calls.
//!
//! Everything that touches Redis lives under this module, behind functions named for what they
//! do. Keys are built only in [`keys`], so the layout (and its hash tags, for Redis Cluster)
//! is visible in one place.

pub mod audit;
pub mod blocklist;
pub mod cache;
pub mod change;
pub mod claims;
pub mod conn;
pub mod console;
pub mod error;
pub mod health;
pub mod keys;
pub mod limits;
pub mod managed;
pub mod platforms;
pub mod queue;
pub mod reference;
pub mod replication;
pub mod scripts;
pub mod shop_view;
pub mod takedowns;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};

pub use conn::Conn;
pub use error::{StoreError, StoreResult};
pub use managed::{ManagedRedis, ManagedRedisError};
pub use replication::{WaitPolicy, WaitReplicas};

/// Time allowed to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time allowed for one ordinary command's answer.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed to reach a cluster's seeds and read its slot map at start.
pub const CLUSTER_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors opening the store.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL does not parse, or the first connection failed.
    #[error("redis at {url}: {source}")]
    Connect {
        /// The URL, without credentials.
        url: String,
        /// The cause.
        source: redis::RedisError,
    },
    /// No seed could be reached, or the seeds are not a cluster.
    #[error("redis cluster seeds {seeds}: {reason}")]
    Cluster {
        /// The seeds, without credentials, comma-separated.
        seeds: String,
        /// What went wrong.
        reason: String,
    },
}

/// Which Redis the store uses.
#[derive(Clone)]
enum Backend {
    Single(redis::Client),
    Cluster(ClusterClient),
}

/// A shared, self-reconnecting connection to Redis or a Redis Cluster; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Conn,
    backend: Backend,
    /// The task that makes this store's [`change::Change`]s, shared by its clones.
    appender: change::Appender,
    /// Reference records held in memory under Redis's client-side tracking.
    reads: cache::ReadCache,
    /// Whether Redis is known to be unreachable.
    health: health::Health,
    /// The wait for replicas before a takedown's 202.
    replication: replication::Barrier,
    /// On a cluster: the enforcement state claims check shops against, held in memory.
    shops: shop_view::ShopView,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to the one Redis at `url`. Fails when the first connection cannot be made.
    pub async fn connect(url: &str) -> Result<Store, ConnectError> {
        let connect_error = |source| ConnectError::Connect {
            url: redact(url),
            source,
        };
        let client = redis::Client::open(url).map_err(connect_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(2)
            .set_max_delay(1000);
        let manager = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(connect_error)?;
        let conn = Conn::Single(manager);
        Ok(Store::with(
            conn.clone(),
            Backend::Single(client.clone()),
            cache::ReadCache::new(&client, conn),
        ))
    }

    /// Connects to the Redis Cluster that `seeds` (`redis://host:port`, any of its nodes)
    /// belong to and reads its slot map. Fails within [`CLUSTER_START_TIMEOUT`] when no seed
    /// answers or the seeds are not a cluster.
    pub async fn connect_cluster(seeds: &[String]) -> Result<Store, ConnectError> {
        let named = seeds
            .iter()
            .map(|s| redact(s))
            .collect::<Vec<_>>()
            .join(",");
        let failed = |reason: String| ConnectError::Cluster {
            seeds: named.clone(),
            reason,
        };
        if seeds.is_empty() {
            return Err(failed("no seed given".to_owned()));
        }
        let client = cluster_client(seeds, RESPONSE_TIMEOUT).map_err(|e| failed(e.to_string()))?;
        // The slot map, then every slot served by a master, all within the start bound.
        let opening = async {
            let mut conn = Conn::Cluster(client.get_async_connection().await?);
            let coverage = health::cluster_state(&mut conn).await?;
            Ok::<_, redis::RedisError>((conn, coverage))
        };
        let (conn, coverage) = tokio::time::timeout(CLUSTER_START_TIMEOUT, opening)
            .await
            .map_err(|_| failed(format!("no answer within {CLUSTER_START_TIMEOUT:?}")))?
            .map_err(|e| failed(e.to_string()))?;
        if let Err(state) = coverage {
            return Err(failed(format!(
                "the cluster is not serving every slot ({state})"
            )));
        }
        tracing::info!(
            seeds = %named,
            "Redis Cluster: reference cache off (client-side tracking would have to follow every node through failovers); look-ups read Redis"
        );
        Ok(Store::with(
            conn.clone(),
            Backend::Cluster(client),
            cache::ReadCache::reading_through(conn),
        ))
    }

    fn with(conn: Conn, backend: Backend, reads: cache::ReadCache) -> Store {
        let health = health::Health::default();
        health.watch(conn.clone());
        Store {
            reads,
            conn,
            backend,
            appender: change::Appender::default(),
            health,
            replication: replication::Barrier::new(WaitPolicy::default()),
            shops: shop_view::ShopView::default(),
        }
    }

    /// The shop view (see [`shop_view`]).
    pub fn shops(&self) -> &shop_view::ShopView {
        &self.shops
    }

    /// A clone whose shop view is its own, unstarted one: for the view's task, which must not
    /// keep its own view alive.
    fn without_shop_view(&self) -> Store {
        Store {
            shops: shop_view::ShopView::default(),
            ..self.clone()
        }
    }

    /// This store with `policy` for the wait for replicas before a takedown's 202.
    pub fn with_wait(mut self, policy: WaitPolicy) -> Store {
        self.replication = replication::Barrier::new(policy);
        self
    }

    /// Whether this store is on a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.backend, Backend::Cluster(_))
    }

    /// Whether Redis is known not to answer now (see [`health`]).
    pub fn is_down(&self) -> bool {
        self.health.is_down()
    }

    /// The shared multiplexed connection.
    pub fn conn(&self) -> Conn {
        self.conn.clone()
    }

    /// The in-memory cache of reference records.
    pub fn reads(&self) -> &cache::ReadCache {
        &self.reads
    }

    /// A dedicated connection for blocking reads (XREADGROUP BLOCK), which must not hold up
    /// the shared one and need a longer response timeout.
    pub async fn dedicated(&self, response_timeout: Duration) -> redis::RedisResult<Conn> {
        dedicated(&self.backend, response_timeout).await
    }

    /// Returns once the replicas that the wait policy asks for hold everything written
    /// before the call (see [`replication`]).
    pub async fn replicated(&self) -> StoreResult<()> {
        let timeout = self.replication.policy().timeout + RESPONSE_TIMEOUT;
        let backend = self.backend.clone();
        self.replication
            .wait(move || {
                let backend = backend.clone();
                async move { dedicated(&backend, timeout).await }
            })
            .await
    }

    /// Whether the store can take requests: PING answered (on a cluster: by every master, and
    /// every slot has a master), bounded by [`CONNECT_TIMEOUT`].
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn();
        let check = async {
            conn.on_masters(&redis::cmd("PING"), conn::Masters::Every)
                .await?;
            if !self.is_cluster() {
                return Ok(());
            }
            health::cluster_state(&mut conn).await?.map_err(|state| {
                redis::RedisError::from((
                    redis::ErrorKind::ClusterDown,
                    "a slot has no master",
                    state,
                ))
            })
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, check).await {
            Ok(result) => result,
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "PING timed out",
            ))),
        }
    }
}

/// A connection of its own to `backend`, waiting up to `response_timeout` for answers.
async fn dedicated(backend: &Backend, response_timeout: Duration) -> redis::RedisResult<Conn> {
    match backend {
        Backend::Single(client) => {
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(CONNECT_TIMEOUT)
                .set_response_timeout(response_timeout);
            client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map(Conn::Direct)
        }
        Backend::Cluster(client) => {
            let config = redis::cluster::ClusterConfig::new()
                .set_connection_timeout(CONNECT_TIMEOUT)
                .set_response_timeout(response_timeout);
            client
                .get_async_connection_with_config(config)
                .await
                .map(Conn::Cluster)
        }
    }
}

/// A cluster client for `seeds` whose connections wait up to `response_timeout` for answers.
fn cluster_client(
    seeds: &[String],
    response_timeout: Duration,
) -> redis::RedisResult<ClusterClient> {
    ClusterClientBuilder::new(seeds.to_vec())
        .connection_timeout(CONNECT_TIMEOUT)
        .response_timeout(response_timeout)
        .retries(3)
        .build()
}

/// `url` with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("redis://:secret@h:6379/0"),
            "redis://***@h:6379/0"
        );
        assert_eq!(super::redact("redis://h:6379"), "redis://h:6379");
    }
}

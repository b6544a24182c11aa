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
pub mod console;
pub mod error;
pub mod health;
pub mod keys;
pub mod limits;
pub mod managed;
pub mod platforms;
pub mod queue;
pub mod reference;
pub mod scripts;
pub mod takedowns;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use error::{StoreError, StoreResult};
pub use managed::{ManagedRedis, ManagedRedisError};

/// Time allowed to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time allowed for one ordinary command's answer.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

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
}

/// A shared, self-reconnecting connection to Redis; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: ConnectionManager,
    client: redis::Client,
    /// The task that makes this store's [`change::Change`]s, shared by its clones.
    appender: change::Appender,
    /// Reference records held in memory under Redis's client-side tracking.
    reads: cache::ReadCache,
    /// Whether Redis is known to be unreachable.
    health: health::Health,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url`. Fails when the first connection cannot be made.
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
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(connect_error)?;
        let health = health::Health::default();
        health.watch(conn.clone());
        Ok(Store {
            reads: cache::ReadCache::new(&client, conn.clone()),
            conn,
            client,
            appender: change::Appender::default(),
            health,
        })
    }

    /// Whether Redis is known not to answer now (see [`health`]).
    pub fn is_down(&self) -> bool {
        self.health.is_down()
    }

    /// The shared multiplexed connection.
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The in-memory cache of reference records.
    pub fn reads(&self) -> &cache::ReadCache {
        &self.reads
    }

    /// A dedicated connection for blocking reads (XREADGROUP BLOCK), which must not hold up
    /// the shared one and need a longer response timeout.
    pub async fn dedicated(
        &self,
        response_timeout: Duration,
    ) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(response_timeout);
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// PING, bounded by [`CONNECT_TIMEOUT`].
    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut conn);
        match tokio::time::timeout(CONNECT_TIMEOUT, ping).await {
            Ok(result) => result.map(|_| ()),
            Err(_) => Err(redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "PING timed out",
            ))),
        }
    }
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

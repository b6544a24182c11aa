//! What went wrong in the store, for a maintainer: the Redis error together with where the
//! store was (the source line of the `?` that met it) and, where a function names it, the
//! operation.

use std::panic::Location;

/// A failure of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis failed or answered something unexpected.
    #[error("redis failed in {op} at {at}")]
    Redis {
        /// The operation (`"store"` when the function did not name it).
        op: &'static str,
        /// The source line that met the error.
        at: &'static Location<'static>,
        /// Redis's error.
        #[source]
        source: redis::RedisError,
    },
    /// A value could not be encoded for storing; nothing was written.
    #[error("encoding {what} for the store failed")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Fewer replicas than required acknowledged a write in time; the write itself is stored
    /// on the master.
    #[error("{acked} of {wanted} replicas acknowledged the write in time")]
    NotReplicated {
        /// Replicas required.
        wanted: u32,
        /// Replicas that acknowledged.
        acked: u32,
    },
}

/// A store operation's result.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// A value that could not be encoded.
    pub fn encode(what: &'static str, source: serde_json::Error) -> StoreError {
        StoreError::Encode { what, source }
    }

    /// Replicas did not acknowledge a write in time.
    pub fn not_replicated(wanted: u32, acked: u32) -> StoreError {
        StoreError::NotReplicated { wanted, acked }
    }

    /// Whether Redis could not be reached or cannot take the command now (as opposed to a
    /// refused or malformed command): the client may try again. On a cluster this includes a
    /// slot without a master, a failover under way and a write that reached a replica. A
    /// script unknown to the node that got it (`NOSCRIPT`: a replica just promoted, whose
    /// script cache is empty, before the client's `SCRIPT LOAD` reached it) ran nothing, so it
    /// is the same: the next attempt loads it there.
    pub fn is_unreachable(&self) -> bool {
        use redis::ErrorKind;
        match self {
            StoreError::Redis { source, .. } => {
                source.is_io_error()
                    || source.is_timeout()
                    || source.is_connection_dropped()
                    || source.is_cluster_error()
                    || matches!(
                        source.kind(),
                        ErrorKind::ClusterDown
                            | ErrorKind::MasterDown
                            | ErrorKind::TryAgain
                            | ErrorKind::BusyLoadingError
                            | ErrorKind::ReadOnly
                            | ErrorKind::NoScriptError
                            | ErrorKind::ClusterConnectionNotFound
                    )
                    || is_cluster_client_transient(source)
            }
            StoreError::NotReplicated { .. } => true,
            StoreError::Encode { .. } => false,
        }
    }
}

/// What the cluster client says about its own state while a failover or a slot move is under
/// way, with generic kinds: a request dropped while the client reconnects (`ResponseError`),
/// a node's connection not open yet (`ClientError`). Either may or may not have reached Redis,
/// like a connection lost mid-request, and the same request may be tried again. Also a `WAIT`
/// that reached a node which is a replica now (`ResponseError`): the client's map still named
/// it the master, so the write's copy to replicas is simply not confirmed yet, as with
/// `READONLY` for a write.
fn is_cluster_client_transient(error: &redis::RedisError) -> bool {
    const TRANSIENT: [&str; 3] = [
        "request wasn't handled due to internal failure",
        "Requested connection not found",
        "WAIT cannot be used with replica instances",
    ];
    let text = error.to_string();
    TRANSIENT.iter().any(|known| text.contains(known))
}

impl From<redis::RedisError> for StoreError {
    /// Records where the error met the store: `?` calls this at that line.
    #[track_caller]
    fn from(source: redis::RedisError) -> StoreError {
        StoreError::Redis {
            op: "store",
            at: Location::caller(),
            source,
        }
    }
}

/// Names the operation a Redis error belongs to: `.map_err(op("queue.claim"))`.
#[track_caller]
pub fn op(name: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    let at = Location::caller();
    move |source| StoreError::Redis {
        op: name,
        at,
        source,
    }
}

/// Encodes `value` as JSON for storing; a failure is an error, never an empty string.
pub fn json<T: serde::Serialize + ?Sized>(what: &'static str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::encode(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails() -> StoreResult<()> {
        Err(redis::RedisError::from((
            redis::ErrorKind::TypeError,
            "bad reply",
        )))?;
        Ok(())
    }

    #[test]
    fn an_error_names_the_line_it_met_the_store_at() {
        let error = fails().unwrap_err();
        let text = error.to_string();
        assert!(text.contains("src/store/error.rs:"), "{text}");
        assert!(!error.is_unreachable());
        let named: StoreResult<()> =
            Err(redis::RedisError::from((redis::ErrorKind::TypeError, "x")))
                .map_err(op("queue.claim"));
        assert!(named.unwrap_err().to_string().contains("queue.claim"));
    }

    #[test]
    fn the_cluster_clients_own_transient_failures_are_unreachable_and_others_are_not() {
        use redis::ErrorKind;
        let store =
            |kind, text: &'static str| StoreError::from(redis::RedisError::from((kind, text)));
        for (kind, text) in [
            (
                ErrorKind::ResponseError,
                "request wasn't handled due to internal failure",
            ),
            (ErrorKind::ClientError, "Requested connection not found"),
            (ErrorKind::NoScriptError, "NOSCRIPT No matching script"),
            (
                ErrorKind::ResponseError,
                "WAIT cannot be used with replica instances.",
            ),
        ] {
            assert!(store(kind, text).is_unreachable(), "{kind:?} {text}");
        }
        // The appender copies an error into each change of its group: still recognised.
        let copied = StoreError::from(redis::RedisError::from((
            ErrorKind::ResponseError,
            "change failed",
            "request wasn't handled due to internal failure".to_owned(),
        )));
        assert!(copied.is_unreachable());
        // As the replication barrier passes a failed round on to each of its waiters.
        let waited = StoreError::from(redis::RedisError::from((
            ErrorKind::ResponseError,
            "replication wait",
            "An error was signalled by the server - ResponseError: WAIT cannot be used with \
             replica instances."
                .to_owned(),
        )));
        assert!(waited.is_unreachable());
        for (kind, text) in [
            (ErrorKind::ResponseError, "ERR wrong number of arguments"),
            (ErrorKind::ClientError, "a split pipeline lost an answer"),
        ] {
            assert!(!store(kind, text).is_unreachable(), "{kind:?} {text}");
        }
    }
}

//! The connection every store function talks through: one Redis, or a Redis Cluster.
//!
//! [`Conn`] is a `redis::aio::ConnectionLike`, so commands, scripts and pipelines run on it
//! the same way whichever it is. On a cluster, a command goes to the master of its key's slot
//! (the client follows `MOVED`/`ASK` and refreshes its slot map after a failover), and a
//! pipeline whose commands' keys fall in several slots is split: one sub-pipeline per slot,
//! sent together, the answers put back in the order the commands were given. Commands of one
//! slot keep their order, so `SADD k` then `SCARD k` still answers the count after the add.
//! (Only non-atomic pipelines are split; a `MULTI`/`EXEC` pipeline must name keys of one slot,
//! as a Lua script must.)

use std::collections::BTreeMap;

use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, ResponsePolicy, Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr,
};
use redis::{Arg, Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// Slots of a Redis Cluster.
pub const SLOTS: u16 = 16384;

/// A connection to one Redis or to a cluster; cheap to clone (clones share their sockets).
#[derive(Clone)]
pub enum Conn {
    /// One Redis, through a self-reconnecting multiplexed connection.
    Single(ConnectionManager),
    /// One Redis, through a dedicated connection that does not reconnect (its user opens a
    /// new one after an error).
    Direct(MultiplexedConnection),
    /// A Redis Cluster: one multiplexed connection per node, routed by slot.
    Cluster(ClusterConnection),
}

impl Conn {
    /// Sends `command` to the master serving `slot` (a cluster), or to the one Redis. For
    /// commands without a key that must reach a given master, such as `WAIT` after a write.
    pub async fn on_master_of<T: redis::FromRedisValue>(
        &mut self,
        slot: u16,
        command: &Cmd,
    ) -> RedisResult<T> {
        match self {
            Conn::Single(conn) => command.query_async(conn).await,
            Conn::Direct(conn) => command.query_async(conn).await,
            Conn::Cluster(conn) => {
                let route = SingleNodeRoutingInfo::SpecificNode(Route::new(slot, SlotAddr::Master));
                let value = conn
                    .route_command(command, RoutingInfo::SingleNode(route))
                    .await?;
                redis::from_redis_value(&value)
            }
        }
    }

    /// Sends `command` to the masters of a cluster and succeeds when `needed` of them answer
    /// (every one, or any one), or to the one Redis.
    pub async fn on_masters(&mut self, command: &Cmd, needed: Masters) -> RedisResult<()> {
        match self {
            Conn::Single(conn) => command.query_async(conn).await,
            Conn::Direct(conn) => command.query_async(conn).await,
            Conn::Cluster(conn) => {
                let policy = match needed {
                    Masters::Every => ResponsePolicy::AllSucceeded,
                    Masters::Any => ResponsePolicy::OneSucceeded,
                };
                let routing =
                    RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, Some(policy)));
                conn.route_command(command, routing).await.map(|_| ())
            }
        }
    }
}

/// How many of a cluster's masters must answer [`Conn::on_masters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Masters {
    /// Every master (readiness).
    Every,
    /// At least one (is Redis there at all).
    Any,
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(conn) => conn.req_packed_command(cmd),
            Conn::Direct(conn) => conn.req_packed_command(cmd),
            Conn::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Conn::Direct(conn) => conn.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(conn) => Box::pin(cluster_pipeline(conn, pipeline, offset, count)),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(conn) => conn.get_db(),
            Conn::Direct(conn) => conn.get_db(),
            Conn::Cluster(conn) => conn.get_db(),
        }
    }
}

/// Runs `pipeline` on the cluster: as it is when its keys share one slot (or it is atomic),
/// otherwise split by slot.
async fn cluster_pipeline(
    conn: &mut ClusterConnection,
    pipeline: &Pipeline,
    offset: usize,
    count: usize,
) -> RedisResult<Vec<Value>> {
    let by_slot = group_by_slot(pipeline.cmd_iter());
    if pipeline.is_transaction() || by_slot.len() <= 1 {
        return conn.req_packed_commands(pipeline, offset, count).await;
    }
    let parts = by_slot.into_values().map(|positions| {
        let mut part = redis::pipe();
        for &at in &positions {
            if let Some(command) = pipeline.cmd_iter().nth(at) {
                part.add_command(command.clone());
            }
        }
        let mut conn = conn.clone();
        async move {
            let len = part.len();
            let values = conn.req_packed_commands(&part, 0, len).await?;
            Ok::<_, redis::RedisError>((positions, values))
        }
    });
    let mut answers: Vec<Option<Value>> = vec![None; pipeline.len()];
    for (positions, values) in futures::future::try_join_all(parts).await? {
        for (at, value) in positions.into_iter().zip(values) {
            answers[at] = Some(value);
        }
    }
    answers
        .into_iter()
        .map(|value| {
            value.ok_or_else(|| {
                redis::RedisError::from((
                    redis::ErrorKind::ClientError,
                    "a split pipeline lost an answer",
                ))
            })
        })
        .collect()
}

/// Commands whose first argument is not a key.
const KEYLESS: [&[u8]; 8] = [
    b"WAIT", b"PING", b"INFO", b"MULTI", b"EXEC", b"CLUSTER", b"SCRIPT", b"CLIENT",
];

/// The positions of `commands` grouped by the slot of each one's key (its first argument
/// after the command name; keyless commands go with the first group).
fn group_by_slot<'a>(commands: impl Iterator<Item = &'a Cmd>) -> BTreeMap<u16, Vec<usize>> {
    let mut groups: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    let mut keyless = Vec::new();
    for (at, command) in commands.enumerate() {
        let mut args = command.args_iter();
        let name = match args.next() {
            Some(Arg::Simple(name)) => name.to_ascii_uppercase(),
            _ => Vec::new(),
        };
        match args.next() {
            Some(Arg::Simple(key)) if !KEYLESS.contains(&name.as_slice()) => {
                groups.entry(slot(key)).or_default().push(at)
            }
            _ => keyless.push(at),
        }
    }
    if !keyless.is_empty() {
        let first = groups.keys().next().copied().unwrap_or(0);
        let group = groups.entry(first).or_default();
        group.extend(keyless);
        group.sort_unstable();
    }
    groups
}

/// The cluster slot of `key`: CRC16 (XMODEM) of its hash tag (the text between the first `{`
/// and the next `}`, when not empty) or of the whole key, modulo 16384.
pub fn slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16::State::<crc16::XMODEM>::calculate(tagged.unwrap_or(key)) % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values of CLUSTER KEYSLOT on Redis 7.
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"123456789"), 12739);
        assert_eq!(slot(b"og:{enforce}:audit:log"), slot(b"enforce"));
        assert_eq!(slot(b"{user1000}.following"), slot(b"{user1000}.followers"));
        // An empty tag does not count: the whole key is hashed.
        assert_eq!(
            slot(b"foo{}{bar}"),
            crc16::State::<crc16::XMODEM>::calculate(b"foo{}{bar}") % SLOTS
        );
        assert_eq!(slot(b"foo{{bar}}zap"), slot(b"{bar"));
    }

    #[test]
    fn a_pipeline_splits_by_slot_keeping_order_within_each() {
        let mut pipe = redis::pipe();
        pipe.get("og:ref:product:1")
            .sadd("og:serial:1:2", "x")
            .scard("og:serial:1:2")
            .get("og:{enforce}:bl:version")
            .hget("og:{enforce}:bl:active", "a")
            .cmd("WAIT")
            .arg(1)
            .arg(100);
        let groups = group_by_slot(pipe.cmd_iter());
        let serial = &groups[&slot(b"og:serial:1:2")];
        assert_eq!(serial, &vec![1, 2]);
        assert_eq!(groups[&slot(b"enforce")], vec![3, 4]);
        let all: usize = groups.values().map(Vec::len).sum();
        assert_eq!(all, 6);
        // The keyless WAIT goes with the first group, not to the slot of "1".
        assert!(groups.values().next().expect("a group").contains(&5));
    }
}

//! Whether Redis is known to be unreachable, so that requests fail at once with 503 instead
//! of each waiting out the command timeout.
//!
//! One watcher task per [`super::Store`] pings Redis every [`UP_INTERVAL`] while it answers
//! and every [`DOWN_INTERVAL`] while it does not; a ping that fails or takes longer than
//! [`PING_TIMEOUT`] marks Redis down, the next that succeeds marks it up. The watcher ends
//! when the store's last clone is dropped.
//!
//! On a cluster the watcher asks every master and counts the cluster down only when none
//! answers: while one master is missing, requests whose keys live on the others still work
//! (readiness, [`super::Store::ping`], asks more: every master, every slot served).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::conn::{Conn, Masters};

/// Pause between pings while Redis answers.
pub const UP_INTERVAL: Duration = Duration::from_millis(500);
/// Pause between pings while Redis does not answer.
pub const DOWN_INTERVAL: Duration = Duration::from_millis(200);
/// Longest a ping may take before Redis counts as unreachable.
pub const PING_TIMEOUT: Duration = Duration::from_millis(500);

/// The shared flag; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<AtomicBool>);

impl Health {
    /// Whether the last ping failed.
    pub fn is_down(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Starts the watcher of `conn` (on the current Tokio runtime).
    pub fn watch(&self, conn: Conn) {
        let flag = Arc::downgrade(&self.0);
        tokio::spawn(watch(flag, conn));
    }
}

async fn watch(flag: Weak<AtomicBool>, mut conn: Conn) {
    let mut down = false;
    loop {
        tokio::time::sleep(if down { DOWN_INTERVAL } else { UP_INTERVAL }).await;
        let Some(flag) = flag.upgrade() else {
            return;
        };
        let answered = matches!(
            tokio::time::timeout(
                PING_TIMEOUT,
                conn.on_masters(&redis::cmd("PING"), Masters::Any)
            )
            .await,
            Ok(Ok(()))
        );
        if answered == down {
            down = !answered;
            flag.store(down, Ordering::Release);
            if down {
                tracing::warn!("Redis does not answer: requests get 503 at once until it does");
            } else {
                tracing::info!("Redis answers again");
            }
        }
    }
}

/// `CLUSTER INFO` of a cluster node: `Ok(Ok(()))` while every slot is served
/// (`cluster_state:ok`), `Ok(Err(state line))` otherwise.
pub async fn cluster_state(conn: &mut Conn) -> redis::RedisResult<Result<(), String>> {
    let info: String = redis::cmd("CLUSTER").arg("INFO").query_async(conn).await?;
    Ok(parse_cluster_state(&info))
}

fn parse_cluster_state(info: &str) -> Result<(), String> {
    let state = |name: &str| {
        info.lines()
            .find_map(|line| line.trim().strip_prefix(name).map(str::to_owned))
    };
    match (state("cluster_state:"), state("cluster_slots_ok:")) {
        (Some(ok), Some(slots)) if ok == "ok" && slots == "16384" => Ok(()),
        (ok, slots) => Err(format!(
            "cluster_state:{} cluster_slots_ok:{}",
            ok.unwrap_or_default(),
            slots.unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cluster_is_ready_only_with_every_slot_served() {
        let ok = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n";
        assert_eq!(super::parse_cluster_state(ok), Ok(()));
        let failing = "cluster_state:fail\r\ncluster_slots_ok:10923\r\n";
        assert_eq!(
            super::parse_cluster_state(failing),
            Err("cluster_state:fail cluster_slots_ok:10923".to_owned())
        );
        let pfail = "cluster_state:ok\r\ncluster_slots_ok:10923\r\ncluster_slots_pfail:5461\r\n";
        assert!(super::parse_cluster_state(pfail).is_err());
    }
}

//! Whether Redis is known to be unreachable, so that requests fail at once with 503 instead
//! of each waiting out the command timeout.
//!
//! One watcher task per [`super::Store`] pings Redis every [`UP_INTERVAL`] while it answers
//! and every [`DOWN_INTERVAL`] while it does not; a ping that fails or takes longer than
//! [`PING_TIMEOUT`] marks Redis down, the next that succeeds marks it up. The watcher ends
//! when the store's last clone is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::ConnectionManager;

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
    pub fn watch(&self, conn: ConnectionManager) {
        let flag = Arc::downgrade(&self.0);
        tokio::spawn(watch(flag, conn));
    }
}

async fn watch(flag: Weak<AtomicBool>, mut conn: ConnectionManager) {
    let mut down = false;
    loop {
        tokio::time::sleep(if down { DOWN_INTERVAL } else { UP_INTERVAL }).await;
        let Some(flag) = flag.upgrade() else {
            return;
        };
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut conn);
        let answered = matches!(tokio::time::timeout(PING_TIMEOUT, ping).await, Ok(Ok(_)));
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

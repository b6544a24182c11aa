//! Log output that can never stop the service: lines go through a bounded queue to one
//! thread that writes them to stderr.
//!
//! A closed log pipe (the reader of `serve 2>&1 | tee log` killed) makes every write fail, and
//! a stopped reader makes every write block. Neither reaches a request: a write to a full
//! queue drops the line (and counts it), and the writer thread discards what it cannot write.
//! This module must never panic, block a caller or print with `eprintln!` (which panics when
//! stderr is gone).

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Lines that may wait for the writer thread; more are dropped.
pub const QUEUE_LINES: usize = 16_384;

struct Queue {
    sender: SyncSender<Vec<u8>>,
    /// Lines queued and not yet written (or discarded) by the thread.
    pending: AtomicUsize,
    /// Lines dropped because the queue was full.
    dropped: AtomicU64,
}

static QUEUE: OnceLock<Queue> = OnceLock::new();

fn queue() -> &'static Queue {
    QUEUE.get_or_init(|| {
        let (sender, receiver) = sync_channel::<Vec<u8>>(QUEUE_LINES);
        // Should the thread not start, the receiver is dropped with the closure and every send
        // fails: lines are dropped rather than blocking anyone.
        let _ = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut stderr = std::io::stderr();
                for line in receiver {
                    // A failed write (closed pipe) loses the line, never the service.
                    let _ = stderr.write_all(&line);
                    if let Some(queue) = QUEUE.get() {
                        queue.pending.fetch_sub(1, Ordering::Release);
                    }
                }
            });
        Queue {
            sender,
            pending: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    })
}

/// Queues `bytes` for stderr; drops them when the queue is full or the writer is gone.
pub fn write(bytes: &[u8]) {
    let queue = queue();
    queue.pending.fetch_add(1, Ordering::AcqRel);
    match queue.sender.try_send(bytes.to_vec()) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
            queue.pending.fetch_sub(1, Ordering::AcqRel);
            queue.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Lines dropped since start because the log reader did not keep up.
pub fn dropped() -> u64 {
    QUEUE.get().map_or(0, |q| q.dropped.load(Ordering::Relaxed))
}

/// Waits at most `limit` for the queued lines to be written (at exit).
pub fn flush(limit: Duration) {
    let Some(queue) = QUEUE.get() else {
        return;
    };
    let deadline = Instant::now() + limit;
    while queue.pending.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The `tracing` writer: each event is one queued write.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueuedStderr;

impl Write for QueuedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for QueuedStderr {
    type Writer = QueuedStderr;

    fn make_writer(&'a self) -> QueuedStderr {
        QueuedStderr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_lines_instead_of_blocking() {
        // Far more lines than the queue holds, faster than any writer: none of these calls
        // may block, and whatever did not fit is counted.
        for _ in 0..(QUEUE_LINES * 4) {
            write(b"");
        }
        flush(Duration::from_secs(5));
        assert_eq!(
            queue().pending.load(Ordering::Acquire),
            0,
            "the writer drains"
        );
    }
}

//! The managed Redis: a private `redis-server` child for the zero-configuration setup.
//!
//! When `REDIS_URL` is unset, `serve` starts Redis listening on a unix socket only (no TCP
//! port, so two services in different folders never collide), with AOF on and
//! `appendfsync always`, its files under `<data dir>/redis/`. A lock file keeps two services
//! from sharing one data directory. The child is stopped when [`ManagedRedis`] is dropped or
//! [`ManagedRedis::stop`] is called, and the kernel sends it SIGTERM if this process dies
//! without either (`PR_SET_PDEATHSIG`).

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the child may take to answer PING.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the child may take to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest unix socket path the kernel accepts (`sun_path` less the terminating NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Why the managed Redis could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ManagedRedisError {
    /// redis-server is not on the PATH.
    #[error("redis-server was not found ({binary}): install it (apt-get install redis-server) or set REDIS_URL to an existing Redis")]
    NotInstalled {
        /// The binary looked for.
        binary: String,
    },
    /// Another originguard already uses this data directory.
    #[error("another originguard process is using the data directory {0}; stop it or choose another ORIGINGUARD_DATA_DIR")]
    Locked(PathBuf),
    /// The socket path would be too long for the kernel.
    #[error("the data directory path is too long for a unix socket ({0}); choose a shorter ORIGINGUARD_DATA_DIR")]
    PathTooLong(PathBuf),
    /// A file or process operation failed.
    #[error("managed redis: {0}")]
    Io(#[from] std::io::Error),
    /// The child exited or did not answer in time.
    #[error("managed redis did not start: {0}")]
    Failed(String),
}

/// A running private redis-server.
#[derive(Debug)]
pub struct ManagedRedis {
    child: Option<Child>,
    socket: PathBuf,
    _lock: File,
}

impl ManagedRedis {
    /// Starts redis-server under `data_dir/redis` and waits until it answers.
    pub async fn start(binary: &Path, data_dir: &Path) -> Result<ManagedRedis, ManagedRedisError> {
        std::fs::create_dir_all(data_dir)?;
        let data_dir = data_dir.canonicalize()?;
        let lock = lock_data_dir(&data_dir)?;
        let dir = data_dir.join("redis");
        std::fs::create_dir_all(&dir)?;
        let socket = socket_path(&data_dir);
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(ManagedRedisError::PathTooLong(socket));
        }
        let log = dir.join("redis.log");
        let mut command = Command::new(binary);
        command
            .arg("--port")
            .arg("0")
            .arg("--unixsocket")
            .arg(&socket)
            .arg("--unixsocketperm")
            .arg("700")
            .arg("--dir")
            .arg(&dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--logfile")
            .arg(&log)
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C in the terminal reaches the service only, and
            // the service decides when Redis stops (after in-flight requests are done).
            .process_group(0);
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => ManagedRedisError::NotInstalled {
                binary: binary.display().to_string(),
            },
            _ => ManagedRedisError::Io(error),
        })?;
        let mut managed = ManagedRedis {
            child: Some(child),
            socket,
            _lock: lock,
        };
        managed.wait_until_ready(&log).await?;
        tracing::info!(socket = %managed.socket.display(), "managed redis started");
        Ok(managed)
    }

    /// The URL clients connect with.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    /// The URL of the managed Redis of the (canonical) data directory `data_dir`.
    pub fn url_for(data_dir: &Path) -> String {
        format!("redis+unix://{}", socket_path(data_dir).display())
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    async fn wait_until_ready(&mut self, log: &Path) -> Result<(), ManagedRedisError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let client = redis::Client::open(self.url())
            .map_err(|e| ManagedRedisError::Failed(e.to_string()))?;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        let _ = pipe.read_to_string(&mut stderr);
                    }
                    let log_tail = std::fs::read_to_string(log).unwrap_or_default();
                    let tail: Vec<&str> = log_tail.lines().rev().take(5).collect();
                    self.child = None;
                    return Err(ManagedRedisError::Failed(format!(
                        "redis-server exited with {status}: {} {}",
                        stderr.trim(),
                        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                    )));
                }
            }
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let pong: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if pong.is_ok() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                self.stop();
                return Err(ManagedRedisError::Failed(format!(
                    "no answer on {} within {:?}",
                    self.socket.display(),
                    START_TIMEOUT
                )));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the child: SIGTERM (Redis flushes its AOF and exits), then SIGKILL after
    /// [`STOP_TIMEOUT`]. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        let _ = std::fs::remove_file(&self.socket);
        tracing::info!("managed redis stopped");
    }
}

impl Drop for ManagedRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("redis").join("redis.sock")
}

/// Takes an exclusive advisory lock on `data_dir/originguard.lock`, held for the process's life.
fn lock_data_dir(data_dir: &Path) -> Result<File, ManagedRedisError> {
    use std::os::fd::AsRawFd;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("originguard.lock"))?;
    // SAFETY: flock on a file descriptor we own.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if locked {
        Ok(file)
    } else {
        Err(ManagedRedisError::Locked(data_dir.to_owned()))
    }
}

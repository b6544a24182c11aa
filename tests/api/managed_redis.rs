//! `originguard serve` as a process: without REDIS_URL it starts its own redis-server on a
//! unix socket, and no redis-server outlives it, whichever way it stops; a Ctrl-C reaches the
//! service, not its Redis; and a log reader that goes away or stops reading never stops it.

use crate::common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::free_port;

struct Service {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Service {
    fn start(dir: &Path) -> Service {
        Service::start_logging_to(dir, Stdio::null())
    }

    /// A service whose log (stderr) goes to a pipe the test holds.
    fn start_piped(dir: &Path) -> (Service, std::process::ChildStderr) {
        let mut service = Service::start_logging_to(dir, Stdio::piped());
        let stderr = service.child.stderr.take().expect("stderr pipe");
        (service, stderr)
    }

    fn start_logging_to(dir: &Path, stderr: Stdio) -> Service {
        let port = free_port();
        let child = serve_command(dir, port)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            // A group of its own, as a shell gives a foreground job, so that a Ctrl-C can be
            // sent the way a terminal sends it: to the whole group.
            .process_group(0)
            .spawn()
            .expect("service starts");
        Service {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("service exited early: {status}");
            }
            if http_status(self.port, "/readyz") == Some(200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("service did not become ready");
    }

    fn signal(&self, signal: i32) {
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Signals the service's whole process group, as a terminal's Ctrl-C does.
    fn signal_group(&self, signal: i32) {
        unsafe { libc::kill(-(self.child.id() as i32), signal) };
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "service did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir
            .canonicalize()
            .expect("dir")
            .join("data/redis/redis.sock")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `originguard serve` in `dir` with no REDIS_URL and no keys file.
fn serve_command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_originguard"));
    command
        .arg("serve")
        .env_remove("REDIS_URL")
        .env_remove("ORIGINGUARD_KEYS_FILE")
        .env_remove("ORIGINGUARD_DATA_DIR")
        .env("ORIGINGUARD_LISTEN", format!("127.0.0.1:{port}"))
        .env("ORIGINGUARD_NO_SAMPLE_DATA", "true")
        .current_dir(dir);
    command
}

/// A minimal HTTP/1.1 GET on loopback, returning the status code.
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split(' ').nth(1)?.parse().ok()
}

/// Pids of redis-server processes whose command line names `socket`.
fn redis_pids_for(socket: &Path) -> Vec<u32> {
    let needle = socket.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let zombie = stat
            .split(") ")
            .nth(1)
            .is_some_and(|rest| rest.starts_with('Z'));
        if !zombie && cmdline.contains("redis-server") && cmdline.contains(&needle) {
            pids.push(pid);
        }
    }
    pids
}

fn wait_no_redis(socket: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if redis_pids_for(socket).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn managed_redis_starts_with_the_service_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path());
    service.wait_ready();
    let socket = service.socket();
    assert_eq!(
        redis_pids_for(&socket).len(),
        1,
        "one private redis-server on {socket:?}"
    );
    assert!(
        dir.path().join("data/dev-keys.toml").exists(),
        "development keys are written"
    );
    let appendonly = std::fs::read_dir(dir.path().join("data/redis"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("appendonly"));
    assert!(appendonly, "AOF is on");
    service.signal(libc::SIGTERM);
    assert!(service.wait_exit().success());
    assert!(
        wait_no_redis(&socket),
        "no orphan redis-server after SIGTERM"
    );
}

#[test]
fn managed_redis_stops_on_ctrl_c_and_when_the_service_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path());
    service.wait_ready();
    let socket = service.socket();
    service.signal(libc::SIGINT);
    service.wait_exit();
    assert!(
        wait_no_redis(&socket),
        "no orphan redis-server after Ctrl-C"
    );

    let mut service = Service::start(dir.path());
    service.wait_ready();
    assert_eq!(redis_pids_for(&socket).len(), 1);
    service.signal(libc::SIGKILL);
    service.wait_exit();
    assert!(
        wait_no_redis(&socket),
        "no orphan redis-server even after SIGKILL of the service"
    );
}

#[test]
fn a_ctrl_c_reaches_the_service_which_then_stops_its_redis() {
    let dir = tempfile::tempdir().unwrap();
    let mut service = Service::start(dir.path());
    service.wait_ready();
    let socket = service.socket();
    service.signal_group(libc::SIGINT);
    assert!(service.wait_exit().success());
    assert!(wait_no_redis(&socket), "no orphan redis-server");
    let log = std::fs::read_to_string(dir.path().join("data/redis/redis.log")).unwrap();
    assert!(
        !log.contains("SIGINT"),
        "the terminal's SIGINT reached Redis directly:\n{log}"
    );
    assert!(
        log.contains("SIGTERM"),
        "the service did not stop Redis itself:\n{log}"
    );
}

#[test]
fn a_closed_log_pipe_never_stops_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let (mut service, log) = Service::start_piped(dir.path());
    service.wait_ready();
    // The log's reader goes away (`serve 2>&1 | tee log`, then tee is killed).
    drop(log);
    for _ in 0..50 {
        assert_eq!(http_status(service.port, "/healthz"), Some(200));
        assert_eq!(http_status(service.port, "/no-such-page"), Some(404));
    }
    service.signal(libc::SIGTERM);
    assert!(service.wait_exit().success(), "SIGTERM still stops it");
}

#[test]
fn a_log_reader_that_stops_reading_never_stops_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let (mut service, log) = Service::start_piped(dir.path());
    service.wait_ready();
    // Nobody reads `log`: the pipe's buffer fills after a few hundred lines, and each request
    // logs one. Every request is still answered.
    for i in 0..3000 {
        assert_eq!(
            http_status(service.port, "/no-such-page"),
            Some(404),
            "request {i}"
        );
    }
    service.signal(libc::SIGTERM);
    assert!(service.wait_exit().success(), "SIGTERM still stops it");
    drop(log);
}

#[test]
fn two_services_in_different_folders_do_not_collide() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = Service::start(a.path());
    let mut second = Service::start(b.path());
    first.wait_ready();
    second.wait_ready();
    assert_ne!(first.socket(), second.socket());
    assert_eq!(redis_pids_for(&first.socket()).len(), 1);
    assert_eq!(redis_pids_for(&second.socket()).len(), 1);
}

#[test]
fn a_second_service_in_the_same_folder_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Service::start(dir.path());
    first.wait_ready();
    let second = serve_command(dir.path(), free_port())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(
        stderr.contains("another originguard process is using the data directory"),
        "{stderr}"
    );
    assert_eq!(
        http_status(first.port, "/readyz"),
        Some(200),
        "the first service is untouched"
    );
}

#[test]
fn missing_redis_server_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = serve_command(dir.path(), free_port())
        .env("ORIGINGUARD_REDIS_SERVER", "/nonexistent/redis-server")
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr}");
    assert!(
        lines[0].contains("install it") && lines[0].contains("REDIS_URL"),
        "{stderr}"
    );
}

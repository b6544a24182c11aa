//! Takedown durability: a request that got its 202 is routed exactly once even when the worker
//! holding it is SIGKILLed mid-flight (another worker takes the entries over after the
//! visibility timeout) and when Redis itself is killed and restarted (AOF replays it).
//!
//! Workers here run as real `originguard worker` child processes (SIGKILL is a real process
//! death, not a cancelled task) or in-process after a Redis restart. Every address used is on
//! loopback: the app, Redis, the name servers (a silent socket, or the fixture zones).

use crate::common;

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::takedowns::{audit_actions, dead_letters, request, submit_target as submit, takedown};
use common::{dns_server, eventually, test_network, TestApp};
use originguard::app::Settings;
use originguard::auth::Role;
use originguard::store::keys;
use originguard::takedown::TakedownSettings;
use originguard::worker::WorkerConfig;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Generous bound for anything the workers do (nothing here measures speed).
const WAIT: Duration = Duration::from_secs(30);
/// The consumer group of the workers.
const GROUP: &str = "workers";

/// Targets that the fixture zones answer with an A record: three `.vn` names for the registry
/// and three others for the operators.
const TARGETS: [(&str, &str, &str); 6] = [
    ("shop.example.vn", "pending_review", "registry"),
    ("www.example.com", "blocked", "operators"),
    ("mail.example.vn", "pending_review", "registry"),
    ("mail2.example.com", "blocked", "operators"),
    ("ns1.example.vn", "pending_review", "registry"),
    ("ns1.example.com", "blocked", "operators"),
];

fn takedown_settings() -> TakedownSettings {
    TakedownSettings {
        resolve_tls: false,
        ..TakedownSettings::default()
    }
}

fn settings() -> Settings {
    Settings {
        takedowns: takedown_settings(),
        ..Settings::default()
    }
}

fn count_state(takedown: &Value, state: &str) -> usize {
    takedown["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["state"] == state).count())
        .unwrap_or(0)
}

/// Entries delivered and not acknowledged, by consumer (empty when the group does not exist).
fn pending_by_consumer(conn: &mut common::TestConn) -> HashMap<String, usize> {
    let reply: redis::RedisResult<redis::streams::StreamPendingReply> =
        redis::Commands::xpending(conn, keys::intake_stream(), GROUP);
    match reply {
        Ok(redis::streams::StreamPendingReply::Data(data)) => data
            .consumers
            .into_iter()
            .map(|c| (c.name, c.pending))
            .collect(),
        _ => HashMap::new(),
    }
}

fn stream_len(conn: &mut common::TestConn, key: &str) -> usize {
    redis::Commands::xlen(conn, key).expect("XLEN")
}

/// Waits until one consumer holds `count` entries unacknowledged; returns its name.
async fn wait_until_one_holds(
    conn: &mut common::TestConn,
    count: usize,
    worker: &WorkerProcess,
) -> String {
    let mut holder = None;
    let held = eventually(WAIT, || {
        let full = pending_by_consumer(conn)
            .into_iter()
            .find(|(_, pending)| *pending == count)
            .map(|(name, _)| name);
        let found = full.is_some();
        if found {
            holder = full;
        }
        async move { found }
    })
    .await;
    assert!(
        held,
        "no worker ever held all {count} entries: {:?}\n{}",
        pending_by_consumer(conn),
        worker.log()
    );
    holder.expect("holder")
}

/// An `originguard worker` child process; SIGKILLed and reaped when dropped.
struct WorkerProcess {
    child: Child,
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts `originguard worker` against `redis_url`, resolving with `nameserver`.
    fn start(redis_url: &str, nameserver: SocketAddr, visibility_ms: u64, log: &Path) -> Self {
        assert!(nameserver.ip().is_loopback(), "loopback name servers only");
        let stderr = std::fs::File::create(log).expect("worker log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_originguard"));
        // Nothing from the caller's environment may point the worker elsewhere.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("ORIGINGUARD_") {
                command.env_remove(&name);
            }
        }
        let child = command
            .arg("worker")
            .env("REDIS_URL", redis_url)
            .env("ORIGINGUARD_NAMESERVERS", nameserver.to_string())
            .env("ORIGINGUARD_ALLOW_LOOPBACK_TARGETS", "true")
            .env("ORIGINGUARD_TAKEDOWN_NO_TLS", "true")
            .env(
                "ORIGINGUARD_VISIBILITY_TIMEOUT_MS",
                visibility_ms.to_string(),
            )
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start originguard worker");
        WorkerProcess {
            child,
            log: log.to_owned(),
        }
    }

    /// Whether the process is still running.
    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, then reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (a graceful stop: in-flight entries are finished first), then waits up to
    /// `within` for the exit; returns whether it exited successfully.
    async fn terminate(&mut self, within: Duration) -> bool {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid, which is not reaped yet.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM not delivered");
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// What it logged, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_held_by_a_sigkilled_worker_are_routed_exactly_once_by_another() {
    // A name server that never answers: the first worker's lookups hang until their timeout,
    // so it holds its entries unacknowledged when it is killed.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind silent name server");
    let silent_addr = silent.local_addr().expect("addr");
    let app = TestApp::builder()
        .settings(settings())
        .network(test_network(vec![silent_addr]))
        .spawn()
        .await;
    let logs = tempfile::tempdir().expect("log dir");
    let mut conn = app.redis.connection();

    let mut ids = Vec::new();
    for (target, _, _) in TARGETS {
        ids.push(submit(&app, target).await);
    }
    assert_eq!(stream_len(&mut conn, &keys::intake_stream()), TARGETS.len());

    let mut first = WorkerProcess::start(
        &app.redis.url(),
        silent_addr,
        60_000,
        &logs.path().join("first.log"),
    );
    let holder = wait_until_one_holds(&mut conn, TARGETS.len(), &first).await;
    assert!(first.running(), "the first worker died by itself");
    first.kill();
    let first_log = first.log();

    // Killed mid-flight: its entries stay pending under its name, the requests unrouted.
    let pending = pending_by_consumer(&mut conn);
    assert_eq!(
        pending.get(&holder).copied(),
        Some(TARGETS.len()),
        "{pending:?}"
    );
    let mut unrouted = Vec::new();
    for id in &ids {
        if takedown(&app, id).await["state"] == "received" {
            unrouted.push(id.clone());
        }
    }
    assert!(
        !unrouted.is_empty(),
        "the first worker routed everything before it was killed; nothing was taken over\n{first_log}"
    );

    // A second worker with a short visibility timeout takes the stalled entries over.
    let dns = dns_server::start().await;
    let mut second = WorkerProcess::start(
        &app.redis.url(),
        dns.addr,
        300,
        &logs.path().join("second.log"),
    );
    for (id, (target, state, channel)) in ids.iter().zip(TARGETS) {
        let done = eventually(WAIT, || async {
            takedown(&app, id).await["state"] == state
        })
        .await;
        let last = takedown(&app, id).await;
        assert!(
            done,
            "{target} never reached {state}: {last}\n{}",
            second.log()
        );
        assert_eq!(last["channel"], channel, "{last}");
        assert_eq!(
            count_state(&last, "routed"),
            1,
            "{target} routed more than once: {last}"
        );
        assert_eq!(count_state(&last, state), 1, "{last}");
        if unrouted.contains(id) {
            // Routed by the second worker: its snapshot comes from the fixture zones.
            assert!(
                last["resolution"]["records"]["a"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()),
                "{target}: {last}"
            );
        }
    }
    let drained = eventually(WAIT, || {
        let pending = pending_by_consumer(&mut conn);
        let left = stream_len(&mut conn, &keys::intake_stream());
        async move { pending.values().sum::<usize>() == 0 && left == 0 }
    })
    .await;
    assert!(
        drained,
        "entries left in the intake stream: pending {:?}, length {}\n{}",
        pending_by_consumer(&mut conn),
        stream_len(&mut conn, &keys::intake_stream()),
        second.log()
    );
    for id in &ids {
        let actions = audit_actions(&app, id).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "takedown.route").count(),
            1,
            "{id}: {actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| *a == "takedown.submit").count(),
            1,
            "{id}: {actions:?}"
        );
    }
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
    assert_eq!(stream_len(&mut conn, &keys::dead_letters()), 0);
    let verified = app.get_as(Role::Admin, "/v1/audit/verify").send().await;
    assert_eq!(verified.json["valid"], true, "{}", verified.text);

    assert!(second.running(), "the second worker died: {}", second.log());
    second.kill();
    assert!(!second.running());
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_worker_and_the_one_that_takes_over_route_each_request_only_once() {
    // The first worker is alive but stuck on a silent name server; the second takes its
    // entries over after 300 ms. Both end up routing the same requests: one must lose.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind silent name server");
    let silent_addr = silent.local_addr().expect("addr");
    let app = TestApp::builder()
        .settings(settings())
        .network(test_network(vec![silent_addr]))
        .spawn()
        .await;
    let logs = tempfile::tempdir().expect("log dir");
    let mut conn = app.redis.connection();
    let mut ids = Vec::new();
    for (target, _, _) in TARGETS {
        ids.push(submit(&app, target).await);
    }
    let mut stalled = WorkerProcess::start(
        &app.redis.url(),
        silent_addr,
        60_000,
        &logs.path().join("stalled.log"),
    );
    let holder = wait_until_one_holds(&mut conn, TARGETS.len(), &stalled).await;

    let dns = dns_server::start().await;
    let mut successor = WorkerProcess::start(
        &app.redis.url(),
        dns.addr,
        300,
        &logs.path().join("successor.log"),
    );
    for (id, (target, state, _)) in ids.iter().zip(TARGETS) {
        let done = eventually(WAIT, || async {
            takedown(&app, id).await["state"] == state
        })
        .await;
        assert!(
            done,
            "{target} never reached {state}: {}\n{}",
            takedown(&app, id).await,
            successor.log()
        );
    }
    // A graceful stop lets the stalled worker finish its in-flight entries first, so once it
    // has exited, its late attempts to route them have been made.
    assert!(
        stalled.running(),
        "the stalled worker died: {}",
        stalled.log()
    );
    assert!(
        stalled.terminate(WAIT).await,
        "the stalled worker did not stop cleanly on SIGTERM: {}",
        stalled.log()
    );
    assert!(
        stalled.log().contains("workers stopped"),
        "{}",
        stalled.log()
    );

    for (id, (target, state, channel)) in ids.iter().zip(TARGETS) {
        let last = takedown(&app, id).await;
        assert_eq!(last["state"], state, "{target}: {last}");
        assert_eq!(last["channel"], channel, "{target}: {last}");
        assert_eq!(
            count_state(&last, "routed"),
            1,
            "{target} routed twice: {last}"
        );
        let actions = audit_actions(&app, id).await;
        assert_eq!(
            actions,
            ["takedown.submit", "takedown.route"],
            "{target}: {actions:?}"
        );
    }
    let pending = pending_by_consumer(&mut conn);
    assert_eq!(pending.values().sum::<usize>(), 0, "{holder}: {pending:?}");
    assert_eq!(stream_len(&mut conn, &keys::intake_stream()), 0);
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
    assert!(
        successor.running(),
        "the successor died: {}",
        successor.log()
    );
    successor.kill();
    drop(silent);
}

/// Waits until the app answers for `id` again after a Redis restart; returns the request.
async fn reachable(app: &TestApp, id: &str) -> Value {
    let back = eventually(WAIT, || async { !takedown(app, id).await.is_null() }).await;
    assert!(back, "the app never answered for {id} after the restart");
    takedown(app, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_request_survives_a_redis_kill_and_is_then_routed() {
    let dns = dns_server::start().await;
    let network = test_network(vec![dns.addr]);
    let mut app = TestApp::builder()
        .settings(settings())
        .network(network.clone())
        .spawn()
        .await;
    let vn = submit(&app, "shop.example.vn").await;
    let other = submit(&app, "www.example.com").await;

    app.redis.kill();
    app.redis.restart().await;

    // Still there after the AOF replay, with its history and audit entry, not yet routed.
    for id in [&vn, &other] {
        let back = reachable(&app, id).await;
        assert_eq!(back["state"], "received", "{back}");
        assert_eq!(count_state(&back, "received"), 1, "{back}");
        assert_eq!(audit_actions(&app, id).await, ["takedown.submit"]);
    }
    let mut conn = app.redis.connection();
    assert_eq!(stream_len(&mut conn, &keys::intake_stream()), 2);

    let store = app.redis.store().await;
    let mut config = WorkerConfig::new(takedown_settings());
    config.poll_interval = Duration::from_millis(50);
    let shutdown = CancellationToken::new();
    let workers = tokio::spawn(originguard::worker::run(
        store,
        network,
        config,
        shutdown.clone(),
    ));

    for (id, state, channel) in [
        (&vn, "pending_review", "registry"),
        (&other, "blocked", "operators"),
    ] {
        let done = eventually(WAIT, || async {
            takedown(&app, id).await["state"] == state
        })
        .await;
        let last = takedown(&app, id).await;
        assert!(done, "{id} never reached {state}: {last}");
        assert_eq!(last["channel"], channel, "{last}");
        assert_eq!(count_state(&last, "routed"), 1, "{last}");
        assert_eq!(
            audit_actions(&app, id).await,
            ["takedown.submit", "takedown.route"]
        );
    }
    let drained = eventually(WAIT, || {
        let left = stream_len(&mut conn, &keys::intake_stream());
        async move { left == 0 }
    })
    .await;
    assert!(drained, "the intake stream was not drained");
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
    let verified = app.get_as(Role::Admin, "/v1/audit/verify").send().await;
    assert_eq!(verified.json["valid"], true, "{}", verified.text);

    shutdown.cancel();
    assert!(
        tokio::time::timeout(WAIT, workers).await.is_ok(),
        "the workers did not stop on shutdown"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_workers_reconnect_after_a_redis_restart_and_route_new_requests() {
    let dns = dns_server::start().await;
    let mut config = WorkerConfig::new(takedown_settings());
    config.poll_interval = Duration::from_millis(50);
    config.visibility_timeout = Duration::from_secs(5);
    let mut app = TestApp::builder()
        .settings(settings())
        .network(test_network(vec![dns.addr]))
        .workers(config)
        .spawn()
        .await;
    let before = submit(&app, "shop.example.vn").await;
    let routed = eventually(WAIT, || async {
        takedown(&app, &before).await["state"] == "pending_review"
    })
    .await;
    assert!(routed, "{}", takedown(&app, &before).await);

    app.redis.kill();
    app.redis.restart().await;
    let back = reachable(&app, &before).await;
    assert_eq!(back["state"], "pending_review", "{back}");

    // The app may need a moment to reconnect; a 202 means the request is in Redis.
    let deadline = std::time::Instant::now() + WAIT;
    let mut after = None;
    while after.is_none() && std::time::Instant::now() < deadline {
        let answer = app
            .post_as(
                Role::Authority,
                "/v1/takedowns",
                &request("www.example.com"),
            )
            .send()
            .await;
        if answer.status == 202 {
            after = answer.json["id"].as_str().map(str::to_owned);
        } else {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let after = after.expect("id");
    let done = eventually(WAIT, || async {
        takedown(&app, &after).await["state"] == "blocked"
    })
    .await;
    let last = takedown(&app, &after).await;
    assert!(done, "the running workers never routed {after}: {last}");
    assert_eq!(count_state(&last, "routed"), 1, "{last}");
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
    app.stop().await;
}

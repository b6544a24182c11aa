//! The wait for replicas before a takedown's 202, on one Redis: with fewer replicas than asked
//! for, intake answers 503 with `Retry-After` and keeps the request; once a replica holds it,
//! the same `Idempotency-Key` answers 202 with the same request.

use crate::common;

use std::process::Child;
use std::time::Duration;

use common::takedowns::request;
use common::{eventually, free_port, redis_server, TestApp};
use originguard::auth::Role;
use originguard::store::{WaitPolicy, WaitReplicas};

/// A replica of the Redis on `master`, stopped on drop (its directory goes with it).
struct Replica {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(master: u16) -> (Replica, u16) {
    let dir = tempfile::tempdir().expect("replica dir");
    let port = free_port();
    let child = redis_server(port, dir.path())
        .arg("--replicaof")
        .arg("127.0.0.1")
        .arg(master.to_string())
        .spawn()
        .expect("redis-server");
    (Replica { child, _dir: dir }, port)
}

/// A replica of `app`'s Redis, once it is in sync with it.
async fn synced_replica(app: &TestApp) -> (Replica, u16) {
    let (replica, port) = start_replica(app.redis.port());
    assert!(
        eventually(Duration::from_secs(20), || async { replica_in_sync(port) }).await,
        "the replica syncs"
    );
    (replica, port)
}

/// `POST /v1/takedowns` of a request for `target`, without an idempotency key.
async fn submit(app: &TestApp, target: &str) -> common::Answer {
    app.post_as(Role::Authority, "/v1/takedowns", &request(target))
        .send()
        .await
}

fn replica_in_sync(port: u16) -> bool {
    common::node_command(port, &["INFO", "replication"])
        .is_some_and(|info| info.contains("master_link_status:up"))
}

#[tokio::test]
async fn without_the_replica_asked_for_intake_is_503_and_the_same_key_is_202_once_replicated() {
    let app = TestApp::builder()
        .wait(WaitPolicy {
            replicas: WaitReplicas::Exactly(1),
            // Long enough for a replica's acknowledgement on a loaded machine (the whole suite
            // runs in parallel); the first request waits it out once, with no replica yet.
            timeout: Duration::from_secs(2),
        })
        .spawn()
        .await;
    let body = request("www.example.com");
    let send = || {
        app.post_as(Role::Authority, "/v1/takedowns", &body)
            .header("idempotency-key", "replica-wait-1")
            .send()
    };
    let refused = send().await;
    let problem = refused.assert_problem(503, "unavailable");
    assert!(refused.header("retry-after").is_some(), "{}", refused.text);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Idempotency-Key")),
        "{problem}"
    );
    // Stored all the same.
    let listed = app.get_as(Role::Admin, "/v1/takedowns").send().await;
    let stored = listed.json["takedowns"]
        .as_array()
        .expect("listing")
        .clone();
    assert_eq!(stored.len(), 1, "{}", listed.text);

    let (_replica, _) = synced_replica(&app).await;
    let accepted = send().await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    assert_eq!(accepted.json["id"], stored[0]["id"], "the same request");
    let listed = app.get_as(Role::Admin, "/v1/takedowns").send().await;
    assert_eq!(listed.json["takedowns"].as_array().map(Vec::len), Some(1));

    // A new request now waits for the replica and is answered 202 at once.
    let other = submit(&app, "ns1.example.com").await;
    assert_eq!(other.status, 202, "{}", other.text);
}

#[tokio::test]
async fn auto_waits_for_a_replica_only_when_the_master_has_one() {
    let app = TestApp::spawn().await;
    // No replica: auto does not wait, intake answers 202.
    let alone = submit(&app, "www.example.com").await;
    assert_eq!(alone.status, 202, "{}", alone.text);
    let (replica, replica_port) = synced_replica(&app).await;
    // `auto` reads the master's number of replicas at most once a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let replicated = submit(&app, "ns1.example.com").await;
    assert_eq!(replicated.status, 202, "{}", replicated.text);
    // The replica holds it when the 202 is sent.
    let id = replicated.json["id"].as_str().expect("id").to_owned();
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{replica_port}/"))
        .and_then(|c| c.get_connection())
        .expect("replica connection");
    let state: Option<String> = redis::cmd("HGET")
        .arg(originguard::store::keys::takedown(&id))
        .arg("state")
        .query(&mut conn)
        .expect("HGET on the replica");
    assert_eq!(state.as_deref(), Some("received"));
    drop(replica);
}

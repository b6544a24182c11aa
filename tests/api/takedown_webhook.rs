//! The registry webhook: each new registry request is POSTed, signed with HMAC-SHA256 of the
//! exact body, retried with backoff until the receiver takes it, and moved to the dead letters
//! (with an audit entry) when it never does. Addresses the guard refuses are never dialled.
//!
//! The receiver is a small axum server on loopback that records every request and answers
//! from a script; the app and its workers run in-process against a real Redis.

use crate::common;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use common::takedowns::{dead_letters, submit_target as submit, takedown};
use common::{dns_server, eventually, test_network, TestApp};
use hmac::{Hmac, Mac};
use originguard::app::Settings;
use originguard::auth::Role;
use originguard::network::guard::AddressGuard;
use originguard::store::keys;
use originguard::takedown::TakedownSettings;
use originguard::worker::webhook::WebhookConfig;
use originguard::worker::WorkerConfig;
use serde_json::Value;
use sha2::Sha256;

/// Generous bound for anything the workers do (nothing here measures speed).
const WAIT: Duration = Duration::from_secs(20);
/// The shared secret of the webhook.
const SECRET: &str = "s3cret";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }
}

/// The status to answer the `n`th request with (counting from 0).
type Script = Arc<dyn Fn(usize) -> StatusCode + Send + Sync>;

#[derive(Clone)]
struct ReceiverState {
    seen: Arc<Mutex<Vec<Delivery>>>,
    script: Script,
    delay: Duration,
}

/// A webhook receiver on loopback; stops when dropped.
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Delivery>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(script: impl Fn(usize) -> StatusCode + Send + Sync + 'static) -> Receiver {
        Receiver::start_slow(Duration::ZERO, script).await
    }

    /// A receiver that takes `delay` to answer each request.
    async fn start_slow(
        delay: Duration,
        script: impl Fn(usize) -> StatusCode + Send + Sync + 'static,
    ) -> Receiver {
        async fn hook(
            State(state): State<ReceiverState>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let n = {
                let mut seen = state.seen.lock().expect("lock");
                seen.push(Delivery { headers, body });
                seen.len() - 1
            };
            tokio::time::sleep(state.delay).await;
            (state.script)(n)
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            seen: seen.clone(),
            script: Arc::new(script),
            delay,
        };
        let app = Router::new().route("/hook", post(hook)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, seen, task }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.seen.lock().expect("lock").clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn takedown_settings() -> TakedownSettings {
    TakedownSettings {
        resolve_tls: false,
        webhook_enabled: true,
        ..TakedownSettings::default()
    }
}

fn webhook_config(url: &str, max_attempts: u64) -> WebhookConfig {
    WebhookConfig {
        url: url.parse().expect("webhook URL"),
        secret: SECRET.into(),
        max_attempts,
        backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
    }
}

/// Worker settings for these tests, pushing to `webhook` when given.
fn worker_config(webhook: Option<WebhookConfig>) -> WorkerConfig {
    let mut workers = WorkerConfig::new(takedown_settings());
    workers.poll_interval = Duration::from_millis(50);
    workers.visibility_timeout = Duration::from_secs(5);
    workers.webhook = webhook;
    workers
}

/// The app with in-process workers pushing registry requests to `url`, resolving targets
/// against the fixture zones.
async fn app_with_webhook(url: &str, max_attempts: u64) -> (TestApp, dns_server::DnsServer) {
    let dns = dns_server::start().await;
    let settings = Settings {
        takedowns: takedown_settings(),
        ..Settings::default()
    };
    let workers = worker_config(Some(webhook_config(url, max_attempts)));
    let app = TestApp::builder()
        .settings(settings)
        .network(test_network(vec![dns.addr]))
        .workers(workers)
        .spawn()
        .await;
    (app, dns)
}

/// Waits until the request is in `state`; returns it.
async fn wait_for(app: &TestApp, id: &str, state: &str) -> Value {
    let reached = eventually(WAIT, || async { takedown(app, id).await["state"] == state }).await;
    let last = takedown(app, id).await;
    assert!(reached, "never reached {state}: {last}");
    last
}

/// Waits until there is at least one dead letter; returns them all.
async fn wait_for_dead_letter(app: &TestApp) -> Vec<Value> {
    let found = eventually(WAIT, || async { !dead_letters(app).await.is_empty() }).await;
    assert!(found, "no dead letter appeared");
    dead_letters(app).await
}

async fn audit_entries(app: &TestApp, id: &str) -> Vec<Value> {
    let answer = app
        .get_as(Role::Admin, &format!("/v1/audit?subject={id}"))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["entries"].as_array().expect("entries").clone()
}

/// `sha256=` and the hex HMAC-SHA256 of `body`, computed here independently of the service.
fn expected_signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn signature(delivery: &Delivery) -> &str {
    delivery
        .headers
        .get("x-originguard-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Whether the webhook schedule still holds a delivery for `id` (due or leased).
fn scheduled(app: &TestApp, id: &str) -> bool {
    let mut conn = app.redis.connection();
    let score: Option<f64> =
        redis::Commands::zscore(&mut conn, keys::webhook_due(), id).expect("ZSCORE");
    score.is_some()
}

/// Waits until nothing is scheduled for `id` any more.
async fn wait_unscheduled(app: &TestApp, id: &str) {
    let gone = eventually(WAIT, || {
        let left = scheduled(app, id);
        async move { !left }
    })
    .await;
    assert!(gone, "the webhook delivery of {id} is still scheduled");
}

/// Several poll intervals and backoffs: time for any further attempt to show up.
const QUIET: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn a_registry_request_is_posted_once_with_a_signature_of_its_exact_body() {
    let receiver = Receiver::start(|_| StatusCode::OK).await;
    let (app, _dns) = app_with_webhook(&receiver.url(), 3).await;
    let vn = submit(&app, "shop.example.vn").await;
    let other = submit(&app, "www.example.com").await;

    let routed = wait_for(&app, &vn, "pending_review").await;
    assert_eq!(routed["channel"], "registry", "{routed}");
    let blocked = wait_for(&app, &other, "blocked").await;
    assert_eq!(blocked["channel"], "operators", "{blocked}");
    // An operators request is never scheduled for the registry's webhook.
    assert!(
        !scheduled(&app, &other),
        "{other} was scheduled for the webhook"
    );

    let arrived = eventually(WAIT, || async { receiver.count() >= 1 }).await;
    assert!(arrived, "the receiver never got the registry request");
    wait_unscheduled(&app, &vn).await;
    tokio::time::sleep(QUIET).await;

    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let delivery = &deliveries[0];
    assert_eq!(signature(delivery), expected_signature(&delivery.body));
    let mut verifier = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    verifier.update(&delivery.body);
    let hex_signature = signature(delivery)
        .strip_prefix("sha256=")
        .expect("sha256= prefix");
    verifier
        .verify_slice(&hex::decode(hex_signature).expect("hex"))
        .expect("the signature verifies with the shared secret");
    assert_eq!(
        delivery
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body = delivery.json();
    assert_eq!(body["id"], vn.as_str(), "{body}");
    assert_eq!(body["state"], "pending_review", "{body}");
    assert_eq!(body["channel"], "registry", "{body}");
    assert_eq!(body["target_value"], "shop.example.vn", "{body}");
    assert_eq!(
        body["legal_basis"]["document_number"], "123/QĐ-QLTT",
        "{body}"
    );
    // The receiver sees the request as the API shows it.
    let shown = takedown(&app, &vn).await;
    for field in [
        "id",
        "state",
        "channel",
        "agency",
        "target_value",
        "legal_basis",
        "evidence",
        "resolution",
        "history",
        "created_at",
    ] {
        assert_eq!(body[field], shown[field], "{field}: {body} vs {shown}");
    }
    assert!(
        deliveries.iter().all(|d| d.json()["id"] != other.as_str()),
        "the operators request was posted"
    );
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_request_again_until_it_accepts_it() {
    let receiver = Receiver::start(|n| {
        if n < 2 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    })
    .await;
    let (app, _dns) = app_with_webhook(&receiver.url(), 5).await;
    let id = submit(&app, "shop.example.vn").await;
    wait_for(&app, &id, "pending_review").await;

    let accepted = eventually(WAIT, || async { receiver.count() >= 3 }).await;
    assert!(
        accepted,
        "only {} deliveries arrived: {:?}",
        receiver.count(),
        receiver.deliveries()
    );
    wait_unscheduled(&app, &id).await;
    tokio::time::sleep(QUIET).await;

    let deliveries = receiver.deliveries();
    assert_eq!(
        deliveries.len(),
        3,
        "deliveries after the receiver accepted: {deliveries:?}"
    );
    for delivery in &deliveries {
        assert_eq!(delivery.json()["id"], id.as_str());
        assert_eq!(signature(delivery), expected_signature(&delivery.body));
    }
    let mut conn = app.redis.connection();
    let attempts: Option<u64> =
        redis::Commands::hget(&mut conn, keys::webhook_attempts(), &id).expect("HGET");
    assert_eq!(attempts, None, "the attempt counter was not cleared");
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
    assert!(
        audit_entries(&app, &id)
            .await
            .iter()
            .all(|e| e["action"] != "queue.dead_letter"),
        "a delivered request has a dead-letter audit entry"
    );
}

#[tokio::test]
async fn a_receiver_that_always_fails_gets_max_attempts_then_a_dead_letter() {
    let receiver = Receiver::start(|_| StatusCode::INTERNAL_SERVER_ERROR).await;
    let (app, _dns) = app_with_webhook(&receiver.url(), 3).await;
    let id = submit(&app, "shop.example.vn").await;
    wait_for(&app, &id, "pending_review").await;

    let letters = wait_for_dead_letter(&app).await;
    wait_unscheduled(&app, &id).await;
    tokio::time::sleep(QUIET).await;

    assert_eq!(
        receiver.count(),
        3,
        "attempts made: {:?}",
        receiver.deliveries()
    );
    assert!(receiver
        .deliveries()
        .iter()
        .all(|d| d.json()["id"] == id.as_str()));
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["queue"], "webhook", "{letter}");
    assert_eq!(letter["takedown"], id.as_str(), "{letter}");
    assert_eq!(letter["attempts"], 3, "{letter}");
    assert!(
        letter["error"].as_str().is_some_and(|e| e.contains("500")),
        "{letter}"
    );
    assert_eq!(dead_letters(&app).await.len(), 1, "more dead letters later");

    let entries = audit_entries(&app, &id).await;
    let dead: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "queue.dead_letter")
        .collect();
    assert_eq!(dead.len(), 1, "{entries:?}");
    assert_eq!(dead[0]["details"]["queue"], "webhook", "{}", dead[0]);
    assert_eq!(dead[0]["details"]["attempts"], 3, "{}", dead[0]);
    // Giving up on the push does not touch the request itself.
    assert_eq!(takedown(&app, &id).await["state"], "pending_review");
    let verified = app.get_as(Role::Admin, "/v1/audit/verify").send().await;
    assert_eq!(verified.json["valid"], true, "{}", verified.text);
}

#[tokio::test]
async fn a_webhook_on_a_documentation_address_is_never_dialled_and_ends_as_a_dead_letter() {
    // Checked first, so that a broken guard fails here instead of sending packets off the
    // machine.
    let documentation: IpAddr = "192.0.2.10".parse().expect("ip");
    assert!(
        AddressGuard {
            allow_loopback: true
        }
        .check(documentation)
        .is_err(),
        "the guard must refuse {documentation}"
    );
    let (app, _dns) = app_with_webhook("http://192.0.2.10/hook", 2).await;
    let id = submit(&app, "shop.example.vn").await;
    wait_for(&app, &id, "pending_review").await;

    let letters = wait_for_dead_letter(&app).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(letter["queue"], "webhook", "{letter}");
    assert_eq!(letter["takedown"], id.as_str(), "{letter}");
    assert_eq!(letter["attempts"], 2, "{letter}");
    let error = letter["error"].as_str().unwrap_or_default();
    assert!(error.contains("blocked_address"), "{letter}");
    // Refused before connecting: no connection error, no timeout.
    assert!(
        !error.contains("connect") && !error.contains("timed out"),
        "{letter}"
    );
    assert!(audit_entries(&app, &id)
        .await
        .iter()
        .any(|e| e["action"] == "queue.dead_letter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_never_post_the_same_request_twice_to_a_slow_receiver() {
    // Every answer is a 200 within the attempt's timeout, so no request has any reason to be
    // posted twice, however many workers share the schedule.
    const REQUESTS: usize = 10;
    let receiver = Receiver::start_slow(Duration::from_millis(600), |_| StatusCode::OK).await;
    let dns = dns_server::start().await;
    let network = test_network(vec![dns.addr]);
    let settings = Settings {
        takedowns: takedown_settings(),
        ..Settings::default()
    };
    // Routing workers without the webhook first, so every delivery is due at once.
    let app = TestApp::builder()
        .settings(settings)
        .network(network.clone())
        .workers(worker_config(None))
        .spawn()
        .await;
    let mut ids = Vec::new();
    for i in 0..REQUESTS {
        ids.push(submit(&app, &format!("shop{i}.example.vn")).await);
    }
    for id in &ids {
        wait_for(&app, id, "pending_review").await;
        assert!(scheduled(&app, id), "{id} is not scheduled for the webhook");
    }

    // Two more worker processes' worth of workers, both pushing to the receiver.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut running = Vec::new();
    for _ in 0..2 {
        let store = app.redis.store().await;
        running.push(tokio::spawn(originguard::worker::run(
            store,
            network.clone(),
            worker_config(Some(webhook_config(&receiver.url(), 3))),
            shutdown.clone(),
        )));
    }
    let mut all_delivered = true;
    for id in &ids {
        let gone = eventually(Duration::from_secs(60), || {
            let left = scheduled(&app, id);
            async move { !left }
        })
        .await;
        all_delivered &= gone;
    }
    tokio::time::sleep(QUIET).await;
    shutdown.cancel();
    for worker in running {
        let _ = tokio::time::timeout(WAIT, worker).await;
    }

    let deliveries = receiver.deliveries();
    let mut per_id = std::collections::BTreeMap::<String, usize>::new();
    for delivery in &deliveries {
        let id = delivery.json()["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *per_id.entry(id).or_default() += 1;
    }
    assert!(all_delivered, "deliveries left scheduled: {per_id:?}");
    for id in &ids {
        assert!(per_id.contains_key(id), "{id} was never posted: {per_id:?}");
    }
    let twice: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "requests posted more than once although every attempt succeeded: {twice:?} \
         ({} posts for {REQUESTS} requests): each lease must cover its one attempt",
        deliveries.len()
    );
    assert_eq!(dead_letters(&app).await, Vec::<Value>::new());
}

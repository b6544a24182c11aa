//! Takedown helpers shared by the takedown and blocklist tests: an app with in-process
//! workers resolving against the fixture zones, a valid request body, submitting, waiting for
//! a state.

#![allow(dead_code)]

use std::time::Duration;

use originguard::app::Settings;
use originguard::auth::Role;
use originguard::takedown::TakedownSettings;
use originguard::worker::WorkerConfig;
use serde_json::{json, Value};

use super::{dns_server, eventually, test_network, Answer, TestApp};

/// How long a test waits for the workers.
pub const WAIT: Duration = Duration::from_secs(30);

/// Takedown settings for tests: no TLS peeks, a suspension "day" of `day`.
pub fn settings(day: Duration) -> TakedownSettings {
    TakedownSettings {
        suspension_day: day,
        resolve_tls: false,
        ..TakedownSettings::default()
    }
}

/// An app with in-process workers (polling every 50 ms) whose suspension "day" lasts `day`,
/// resolving against the fixture zones on a loopback DNS server.
pub async fn app_with(takedowns: TakedownSettings) -> (TestApp, dns_server::DnsServer) {
    app_with_settings(Settings {
        takedowns,
        ..Settings::default()
    })
    .await
}

/// An app with `app_settings` and in-process workers (polling every 50 ms), resolving against
/// the fixture zones on a loopback DNS server.
pub async fn app_with_settings(app_settings: Settings) -> (TestApp, dns_server::DnsServer) {
    let dns = dns_server::start().await;
    let mut workers = WorkerConfig::new(app_settings.takedowns.clone());
    workers.poll_interval = Duration::from_millis(50);
    workers.visibility_timeout = Duration::from_secs(5);
    let app = TestApp::builder()
        .settings(app_settings)
        .network(test_network(vec![dns.addr]))
        .workers(workers)
        .spawn()
        .await;
    (app, dns)
}

/// An app with workers and a day-long suspension day.
pub async fn app() -> (TestApp, dns_server::DnsServer) {
    app_with(settings(Duration::from_secs(86_400))).await
}

/// A valid request body for `target`.
pub fn request(target: &str) -> Value {
    json!({
        "target": target,
        "category": "counterfeit",
        "legal_basis": {"document_number": "123/QĐ-QLTT", "issued_on": "2026-11-02", "issuer": "Cục QLTT Hà Nội"},
        "evidence": [{
            "url": format!("https://{}/p/1", target.trim_start_matches("https://")),
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "captured_at": "2026-11-01T08:00:00Z",
            "description": "Listing of fake shoes"
        }],
        "notes": "Repeat offender"
    })
}

/// Submits as the authority; asserts 202 `received`; returns the answer.
pub async fn submit(app: &TestApp, body: &Value) -> Value {
    let answer = app
        .post_as(Role::Authority, "/v1/takedowns", body)
        .send()
        .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.json["state"], "received", "{}", answer.text);
    answer.json
}

/// Submits a request for `target` and waits until it is in `state`; returns its id.
pub async fn submit_until(app: &TestApp, target: &str, state: &str) -> String {
    let id = submit(app, &request(target)).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    wait_for(app, &id, state).await;
    id
}

/// `GET /v1/takedowns/{id}` as `role`.
pub async fn get(app: &TestApp, role: Role, id: &str) -> Answer {
    app.get_as(role, &format!("/v1/takedowns/{id}"))
        .send()
        .await
}

/// Waits until the request is in `state`; returns it.
pub async fn wait_for(app: &TestApp, id: &str, state: &str) -> Value {
    let reached = eventually(WAIT, || async {
        get(app, Role::Admin, id).await.json["state"] == state
    })
    .await;
    let last = get(app, Role::Admin, id).await.json;
    assert!(reached, "never reached {state}: {last}");
    last
}

/// Withdraws as the authority; returns the answer.
pub async fn withdraw(app: &TestApp, id: &str) -> Answer {
    app.post_as(
        Role::Authority,
        &format!("/v1/takedowns/{id}/withdraw"),
        &json!({"reason": "lifted by court order"}),
    )
    .send()
    .await
}

/// Submits a request for `target` as the authority; returns its id.
pub async fn submit_target(app: &TestApp, target: &str) -> String {
    submit(app, &request(target)).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// The request as an admin sees it (`Null` when the app cannot answer right now).
pub async fn takedown(app: &TestApp, id: &str) -> Value {
    let answer = get(app, Role::Admin, id).await;
    if answer.status == 200 {
        answer.json
    } else {
        Value::Null
    }
}

/// The audit actions recorded about `id`, oldest first.
pub async fn audit_actions(app: &TestApp, id: &str) -> Vec<String> {
    let answer = app
        .get_as(Role::Admin, &format!("/v1/audit?subject={id}"))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every dead letter, as admin.
pub async fn dead_letters(app: &TestApp) -> Vec<Value> {
    let answer = app
        .get_as(Role::Admin, "/v1/queue/dead-letters")
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["dead_letters"]
        .as_array()
        .expect("dead_letters")
        .clone()
}

//! Takedown requests through the HTTP API, with real Redis, in-process workers and a real
//! authoritative DNS server on loopback: both channels end to end, idempotency, illegal
//! transitions, visibility between agencies, suspension expiry and the audit trail.

use crate::common;

use std::time::Duration;

use common::takedowns::{self, app, audit_actions, get, request, submit, wait_for, WAIT};
use common::{dns_server, eventually, Answer, TestApp};
use originguard::auth::{new_key_stanza, Caller, Role};
use serde_json::{json, Value};

async fn app_with_day(day: Duration) -> (TestApp, dns_server::DnsServer) {
    takedowns::app_with(takedowns::settings(day)).await
}

fn history_states(takedown: &Value) -> Vec<String> {
    takedown["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn decide(app: &TestApp, id: &str, body: Value) -> Answer {
    app.post_as(
        Role::Registry,
        &format!("/v1/registry/requests/{id}/decision"),
        &body,
    )
    .send()
    .await
}

#[tokio::test]
async fn a_vn_domain_goes_to_the_registry_which_suspends_then_revokes_it() {
    let (app, _dns) = app().await;
    let created = submit(&app, &request("https://shop.example.vn/p/1")).await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["target_value"], "shop.example.vn");
    assert_eq!(created["is_vn"], true);

    let routed = wait_for(&app, &id, "pending_review").await;
    assert_eq!(routed["channel"], "registry");
    assert_eq!(
        history_states(&routed),
        ["received", "routed", "pending_review"]
    );
    // The snapshot comes from the loopback name server's zone.
    assert_eq!(routed["resolution"]["records"]["a"], json!(["192.0.2.10"]));
    assert_eq!(
        routed["resolution"]["records"]["ns"],
        json!(["ns1.example.vn", "ns2.example.vn"])
    );

    let queue = app
        .get_as(Role::Registry, "/v1/registry/requests?state=pending_review")
        .send()
        .await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    let listed = &queue.json["requests"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["legal_basis"]["document_number"], "123/QĐ-QLTT");
    assert_eq!(
        listed["evidence"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert!(listed["resolution"]["records"].is_object());

    let suspended = decide(
        &app,
        &id,
        json!({"decision": "suspend", "reason": "counterfeit shoes", "suspend_days": 30}),
    )
    .await;
    assert_eq!(suspended.status, 200, "{}", suspended.text);
    assert_eq!(suspended.json["state"], "suspended");
    assert_eq!(suspended.json["suspension"]["days"], 30);
    let revoked = decide(
        &app,
        &id,
        json!({"decision": "revoke", "reason": "repeat offence"}),
    )
    .await;
    assert_eq!(revoked.json["state"], "revoked", "{}", revoked.text);
    assert_eq!(
        history_states(&revoked.json),
        [
            "received",
            "routed",
            "pending_review",
            "suspended",
            "revoked"
        ]
    );
    let last = &revoked.json["history"][4];
    assert_eq!(last["actor"], "test-registry");
    assert_eq!(last["reason"], "repeat offence");

    // Final: nothing moves it on.
    decide(
        &app,
        &id,
        json!({"decision": "reinstate", "reason": "appeal"}),
    )
    .await
    .assert_problem(409, "conflict");
    app.post_as(
        Role::Authority,
        &format!("/v1/takedowns/{id}/withdraw"),
        &json!({"reason": "changed our mind"}),
    )
    .send()
    .await
    .assert_problem(409, "conflict");

    assert_eq!(
        audit_actions(&app, &id).await,
        [
            "takedown.submit",
            "takedown.route",
            "takedown.decision",
            "takedown.decision"
        ]
    );
    let verified = app.get_as(Role::Admin, "/v1/audit/verify").send().await;
    assert_eq!(verified.json["valid"], true, "{}", verified.text);
}

#[tokio::test]
async fn other_domains_and_addresses_go_to_the_operators_and_a_withdrawal_lifts_the_block() {
    let (app, _dns) = app().await;
    let mut ids = Vec::new();
    for target in ["giay.example.com", "203.0.113.7", "2001:db8::/48"] {
        let created = submit(&app, &request(target)).await;
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        let blocked = wait_for(&app, id, "blocked").await;
        assert_eq!(blocked["channel"], "operators");
        assert_eq!(history_states(&blocked), ["received", "routed", "blocked"]);
    }
    // Not the registry's business.
    let queue = app
        .get_as(Role::Registry, "/v1/registry/requests")
        .send()
        .await;
    assert_eq!(queue.json["requests"], json!([]), "{}", queue.text);
    decide(
        &app,
        &ids[0],
        json!({"decision": "suspend", "reason": "x", "suspend_days": 3}),
    )
    .await
    .assert_problem(404, "not_found");

    let path = format!("/v1/takedowns/{}/withdraw", ids[1]);
    let lifted = app
        .post_as(
            Role::Authority,
            &path,
            &json!({"reason": "court order lifted"}),
        )
        .send()
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    assert_eq!(lifted.json["state"], "lifted");
    app.post_as(Role::Authority, &path, &json!({"reason": "again"}))
        .send()
        .await
        .assert_problem(409, "conflict");
    app.post_as(Role::Authority, &path, &json!({}))
        .send()
        .await
        .assert_problem(422, "invalid_request");
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_answer_and_refuses_another_body() {
    let (app, _dns) = app().await;
    let body = request("giay.example.com");
    let send = |body: &Value, role: Role, key: &str| {
        app.post_as(role, "/v1/takedowns", body)
            .header("idempotency-key", key)
            .send()
    };
    let first = send(&body, Role::Authority, "k-1").await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = send(&body, Role::Authority, "k-1").await;
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(again.json["id"], first.json["id"]);
    // Key order and spacing do not make another body.
    let mut reordered = serde_json::Map::new();
    for (k, v) in body.as_object().expect("object").iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let same = send(&Value::Object(reordered), Role::Authority, "k-1").await;
    assert_eq!(same.json["id"], first.json["id"], "{}", same.text);

    let mut other = body.clone();
    other["notes"] = json!("something else");
    send(&other, Role::Authority, "k-1")
        .await
        .assert_problem(409, "conflict");
    // Keys belong to their caller.
    let admin = send(&body, Role::Admin, "k-1").await;
    assert_eq!(admin.status, 202);
    assert_ne!(admin.json["id"], first.json["id"]);

    let listed = app
        .get_as(Role::Admin, "/v1/takedowns?target=giay.example.com")
        .send()
        .await;
    assert_eq!(
        listed.json["takedowns"].as_array().map(Vec::len),
        Some(2),
        "one request per key and caller: {}",
        listed.text
    );
}

#[tokio::test]
async fn bad_requests_get_field_level_errors_and_wrong_callers_are_refused() {
    let (app, _dns) = app().await;
    let bad = json!({
        "target": "not a target",
        "category": "fake",
        "legal_basis": {"document_number": "", "issued_on": "02/11/2026", "issuer": "QLTT"},
        "evidence": [{"url": "ftp://x", "sha256": "abc", "captured_at": "2026-11-01T08:00:00Z"}]
    });
    let answer = app
        .post_as(Role::Authority, "/v1/takedowns", &bad)
        .send()
        .await;
    let problem = answer.assert_problem(422, "invalid_request");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for field in [
        "target",
        "category",
        "legal_basis.document_number",
        "legal_basis.issued_on",
        "evidence[0].url",
        "evidence[0].sha256",
    ] {
        assert!(fields.contains(&field), "{field} missing in {fields:?}");
    }
    app.request(reqwest::Method::POST, "/v1/takedowns")
        .key(&app.keys[&Role::Authority])
        .header("content-type", "application/json")
        .body("{\"target\": ")
        .send()
        .await
        .assert_problem(400, "malformed_request");
    let mut unknown = request("giay.example.com");
    unknown["priority"] = json!("high");
    app.post_as(Role::Authority, "/v1/takedowns", &unknown)
        .send()
        .await
        .assert_problem(422, "invalid_request");
    app.post_as(
        Role::Platform,
        "/v1/takedowns",
        &request("giay.example.com"),
    )
    .send()
    .await
    .assert_problem(403, "forbidden");
    app.request(reqwest::Method::POST, "/v1/takedowns")
        .json(&request("giay.example.com"))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    get(&app, Role::Authority, "td_000000000000000000000000")
        .await
        .assert_problem(404, "not_found");
    get(&app, Role::Authority, "nonsense")
        .await
        .assert_problem(404, "not_found");
    app.get_as(Role::Registry, "/v1/registry/requests?state=blocked")
        .send()
        .await
        .assert_problem(422, "invalid_request");
}

#[tokio::test]
async fn an_authority_sees_only_its_own_agencys_requests() {
    let (app, _dns) = app().await;
    let other = Caller {
        name: "ca-hcm".into(),
        role: Role::Authority,
        agency: Some("Công an TP.HCM".into()),
        operator: None,
        platform: None,
        key_id: None,
    };
    let (secret, stanza) = new_key_stanza(&other).expect("stanza");
    let mut keys = std::fs::read_to_string(&app.keys_file).expect("keys");
    keys.push_str(&stanza);
    std::fs::write(&app.keys_file, keys).expect("write keys");
    assert!(
        eventually(WAIT, || async {
            app.get("/v1/takedowns").key(&secret).send().await.status == 200
        })
        .await,
        "the new key was never loaded"
    );

    let ours = submit(&app, &request("giay.example.com")).await;
    let id = ours["id"].as_str().expect("id");
    assert_eq!(ours["agency"], "Cục QLTT Hà Nội");
    let theirs = app
        .get(&format!("/v1/takedowns/{id}"))
        .key(&secret)
        .send()
        .await;
    theirs.assert_problem(404, "not_found");
    app.request(
        reqwest::Method::POST,
        &format!("/v1/takedowns/{id}/withdraw"),
    )
    .key(&secret)
    .json(&json!({"reason": "not ours"}))
    .send()
    .await
    .assert_problem(404, "not_found");
    let their_list = app.get("/v1/takedowns").key(&secret).send().await;
    assert_eq!(
        their_list.json["takedowns"],
        json!([]),
        "{}",
        their_list.text
    );
    let their_audit = app.get("/v1/audit").key(&secret).send().await;
    assert_eq!(
        their_audit.json["entries"],
        json!([]),
        "{}",
        their_audit.text
    );

    let our_list = app.get_as(Role::Authority, "/v1/takedowns").send().await;
    assert_eq!(our_list.json["takedowns"][0]["id"], id);
    assert_eq!(get(&app, Role::Admin, id).await.status, 200);
    let our_audit = app.get_as(Role::Authority, "/v1/audit").send().await;
    assert!(
        our_audit.json["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["subject"] == id)),
        "{}",
        our_audit.text
    );
}

#[tokio::test]
async fn suspensions_end_on_schedule_and_a_withdrawn_suspension_is_reinstated_by_the_registry() {
    // One suspension "day" is 300 ms here.
    let (app, _dns) = app_with_day(Duration::from_millis(300)).await;
    let mut plain = request("shop.example.vn");
    plain["requested_action"] = json!("suspend");
    let mut revoke = request("example.vn");
    revoke["requested_action"] = json!("revoke");
    let withdrawn = request("www.example.vn");
    let mut ids = Vec::new();
    for body in [&plain, &revoke, &withdrawn] {
        let id = submit(&app, body).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        wait_for(&app, &id, "pending_review").await;
        let suspended = decide(&app, &id, json!({"decision": "suspend", "reason": "pending investigation", "suspend_days": if ids.len() == 2 { 1000 } else { 1 }})).await;
        assert!(
            suspended.status == 200 || ids.len() == 2,
            "{}",
            suspended.text
        );
        ids.push(id);
    }
    // Over the configured maximum (90 days).
    let over = decide(
        &app,
        &ids[2],
        json!({"decision": "suspend", "reason": "x", "suspend_days": 1000}),
    )
    .await;
    over.assert_problem(422, "invalid_request");
    decide(
        &app,
        &ids[2],
        json!({"decision": "suspend", "reason": "x", "suspend_days": 60}),
    )
    .await;

    let reinstated = wait_for(&app, &ids[0], "reinstated").await;
    let ended = reinstated["history"]
        .as_array()
        .expect("history")
        .last()
        .cloned();
    assert_eq!(
        ended.as_ref().map(|h| &h["actor"]),
        Some(&json!("scheduler"))
    );
    wait_for(&app, &ids[1], "revoked").await;
    assert!(audit_actions(&app, &ids[1])
        .await
        .contains(&"takedown.suspension_ended".to_owned()));

    // The 60-day suspension is still running; its authority withdraws it.
    let still = get(&app, Role::Admin, &ids[2]).await;
    assert_eq!(still.json["state"], "suspended");
    let answer = app
        .post_as(
            Role::Authority,
            &format!("/v1/takedowns/{}/withdraw", ids[2]),
            &json!({"reason": "settled"}),
        )
        .send()
        .await;
    assert_eq!(answer.json["state"], "withdrawn", "{}", answer.text);
    assert_eq!(answer.json["registry_task"], "reinstate");
    let tasks = app
        .get_as(Role::Registry, "/v1/registry/requests?state=withdrawn")
        .send()
        .await;
    assert_eq!(
        tasks.json["requests"][0]["id"],
        ids[2].as_str(),
        "{}",
        tasks.text
    );
    let done = decide(
        &app,
        &ids[2],
        json!({"decision": "reinstate", "reason": "withdrawn by the authority"}),
    )
    .await;
    assert_eq!(done.json["state"], "reinstated", "{}", done.text);
    assert_eq!(done.json["registry_task"], Value::Null);
    let tasks = app
        .get_as(Role::Registry, "/v1/registry/requests?state=withdrawn")
        .send()
        .await;
    assert_eq!(tasks.json["requests"], json!([]));
}

#[tokio::test]
async fn a_batch_accepts_and_rejects_each_line_on_its_own() {
    let (app, _dns) = app().await;
    let good = request("giay.example.com").to_string();
    let mut bad = request("giay.example.com");
    bad["category"] = json!("nope");
    let body = format!("{good}\n{}\n{{not json\n{good}\n", bad);
    let answer = app
        .request(reqwest::Method::POST, "/v1/takedowns/batch")
        .key(&app.keys[&Role::Authority])
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let lines: Vec<Value> = answer
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["line"], 1);
    assert!(lines[0]["id"].as_str().is_some(), "{}", answer.text);
    assert_eq!(lines[1]["errors"][0]["field"], "category");
    assert_eq!(lines[2]["errors"][0]["code"], "malformed_json");
    assert_ne!(lines[3]["id"], lines[0]["id"]);
    for line in [&lines[0], &lines[3]] {
        wait_for(&app, line["id"].as_str().expect("id"), "blocked").await;
    }
}

#[tokio::test]
async fn the_listing_filters_and_pages_newest_first() {
    let (app, _dns) = app().await;
    let a = submit(&app, &request("shop.example.vn")).await;
    let b = submit(&app, &request("giay.example.com")).await;
    let c = submit(&app, &request("203.0.113.9")).await;
    wait_for(&app, a["id"].as_str().expect("id"), "pending_review").await;
    wait_for(&app, b["id"].as_str().expect("id"), "blocked").await;
    wait_for(&app, c["id"].as_str().expect("id"), "blocked").await;

    let page = app
        .get_as(Role::Authority, "/v1/takedowns?limit=2")
        .send()
        .await;
    assert_eq!(page.json["takedowns"][0]["id"], c["id"], "{}", page.text);
    assert_eq!(page.json["takedowns"][1]["id"], b["id"]);
    let cursor = page.json["next_cursor"].as_str().expect("cursor");
    let rest = app
        .get_as(
            Role::Authority,
            &format!("/v1/takedowns?limit=2&cursor={cursor}"),
        )
        .send()
        .await;
    assert_eq!(rest.json["takedowns"][0]["id"], a["id"], "{}", rest.text);
    assert_eq!(rest.json["takedowns"].as_array().map(Vec::len), Some(1));

    let registry = app
        .get_as(Role::Authority, "/v1/takedowns?channel=registry")
        .send()
        .await;
    assert_eq!(registry.json["takedowns"].as_array().map(Vec::len), Some(1));
    let blocked = app
        .get_as(
            Role::Authority,
            "/v1/takedowns?state=blocked&target=203.0.113.9",
        )
        .send()
        .await;
    assert_eq!(
        blocked.json["takedowns"][0]["id"], c["id"],
        "{}",
        blocked.text
    );
    assert_eq!(blocked.json["takedowns"].as_array().map(Vec::len), Some(1));
    // Typed parameters: a wrong value is told by the parameter's name.
    for (query, field) in [
        ("state=bogus", "state"),
        ("channel=pigeon", "channel"),
        ("limit=ten", "limit"),
    ] {
        let answer = app
            .get_as(Role::Authority, &format!("/v1/takedowns?{query}"))
            .send()
            .await;
        let problem = answer.assert_problem(422, "invalid_request");
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
        assert_eq!(problem["errors"][0]["code"], "invalid_value", "{query}");
    }
    app.get_as(Role::Authority, "/v1/takedowns?cursor=xyz")
        .send()
        .await
        .assert_problem(422, "invalid_request");
}

/// An intake entry delivered more often than allowed (its consumers kept dying) becomes a dead
/// letter: listed for admin, counted in /metrics, audited, and gone from the queue.
#[tokio::test]
async fn an_entry_delivered_too_often_becomes_a_dead_letter() {
    use originguard::worker::WorkerConfig;
    let dns = dns_server::start().await;
    let app = TestApp::builder()
        .network(common::test_network(vec![dns.addr]))
        .spawn()
        .await;
    let id = submit(&app, &request("giay.example.com")).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // A consumer that dies after each delivery: read, then claimed again and again.
    let mut conn = app.redis.connection();
    let stream = "og:{enforce}:queue:intake";
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg("workers")
        .arg("0")
        .query(&mut conn)
        .expect("group");
    let read: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg("ghost")
        .arg("STREAMS")
        .arg(stream)
        .arg(">")
        .query(&mut conn)
        .expect("read");
    assert_ne!(read, redis::Value::Nil);
    let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
        .arg(stream)
        .arg("workers")
        .arg("-")
        .arg("+")
        .arg(10)
        .query(&mut conn)
        .expect("pending");
    let entry = pending[0].0.clone();
    for _ in 0..3 {
        let _: redis::Value = redis::cmd("XCLAIM")
            .arg(stream)
            .arg("workers")
            .arg("ghost")
            .arg(0)
            .arg(&entry)
            .query(&mut conn)
            .expect("claim");
    }

    let mut config = WorkerConfig::new(takedowns::settings(Duration::from_secs(86_400)));
    config.max_deliveries = 3;
    config.visibility_timeout = Duration::from_millis(200);
    let token = tokio_util::sync::CancellationToken::new();
    let store = app.redis.store().await;
    let workers = tokio::spawn(originguard::worker::run(
        store,
        common::test_network(vec![dns.addr]),
        config,
        token.clone(),
    ));
    let dead = eventually(WAIT, || async {
        app.get_as(Role::Admin, "/v1/queue/dead-letters")
            .send()
            .await
            .json["dead_letters"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    })
    .await;
    assert!(dead, "no dead letter");
    let letters = app
        .get_as(Role::Admin, "/v1/queue/dead-letters")
        .send()
        .await;
    let letter = &letters.json["dead_letters"][0];
    assert_eq!(letter["queue"], "intake", "{}", letters.text);
    assert_eq!(letter["takedown"], id.as_str());
    assert!(
        letter["attempts"].as_u64().is_some_and(|a| a > 3),
        "{}",
        letters.text
    );
    assert!(audit_actions(&app, &id)
        .await
        .contains(&"queue.dead_letter".to_owned()));
    let left: u64 = redis::cmd("XLEN")
        .arg(stream)
        .query(&mut conn)
        .expect("xlen");
    assert_eq!(left, 0, "the entry left the queue");
    // Never routed: the request waits for a person to look at it.
    assert_eq!(get(&app, Role::Admin, &id).await.json["state"], "received");
    let metrics = app.get("/metrics").send().await.text;
    assert!(
        metrics.lines().any(|l| l == "originguard_dead_letters 1"),
        "{metrics}"
    );
    app.get_as(Role::Authority, "/v1/queue/dead-letters")
        .send()
        .await
        .assert_problem(403, "forbidden");
    token.cancel();
    let _ = workers.await;
}

#[tokio::test]
async fn a_batch_sent_again_with_its_idempotency_key_files_nothing_twice() {
    let (app, _dns) = app().await;
    let send = |body: String| {
        app.request(reqwest::Method::POST, "/v1/takedowns/batch")
            .key(&app.keys[&Role::Authority])
            .header("content-type", "application/x-ndjson")
            .header("idempotency-key", "list-2026-11-23")
            .body(body)
            .send()
    };
    let lines = |answer: &Answer| -> Vec<Value> {
        answer
            .text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    };
    let one = request("one.example").to_string();
    let two = request("two.example").to_string();
    let first = lines(&send(format!("{one}\n{two}\n")).await);
    let again = lines(&send(format!("{one}\n{two}\n")).await);
    assert!(first[0]["id"].as_str().is_some(), "{first:?}");
    assert_eq!(first[0]["id"], again[0]["id"]);
    assert_eq!(first[1]["id"], again[1]["id"]);
    let changed = lines(&send(format!("{one}\n{}\n", request("three.example"))).await);
    assert_eq!(changed[0]["id"], first[0]["id"]);
    assert_eq!(changed[1]["errors"][0]["code"], "conflict", "{changed:?}");
    let all = app.get_as(Role::Admin, "/v1/takedowns").send().await;
    assert_eq!(
        all.json["takedowns"].as_array().map(Vec::len),
        Some(2),
        "{}",
        all.text
    );
}

/// Intake writes no history entry: `received` is told from the record (when and by whom it
/// was submitted), first, once, before the state changes the workers record. A request stored
/// with its `received` entry in the list, as earlier versions wrote it, is told the same way.
#[tokio::test]
async fn the_received_entry_comes_from_the_record_and_is_told_once() {
    let (app, _dns) = app().await;
    let created = submit(&app, &request("shop-history.example.com")).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let blocked = wait_for(&app, &id, "blocked").await;
    assert_eq!(history_states(&blocked), ["received", "routed", "blocked"]);
    let received = &blocked["history"][0];
    assert_eq!(received["at"], blocked["created_at"]);
    assert_eq!(received["actor"], blocked["submitted_by"]);
    assert_eq!(received["at"], created["history"][0]["at"]);

    let history = originguard::store::keys::takedown_history(&id);
    let mut conn = app.redis.connection();
    let listed: Vec<String> = redis::cmd("LRANGE")
        .arg(&history)
        .arg(0)
        .arg(-1)
        .query(&mut conn)
        .unwrap();
    assert_eq!(listed.len(), 2, "routed and blocked only: {listed:?}");
    let _: () = redis::cmd("LPUSH")
        .arg(&history)
        .arg(received.to_string())
        .query(&mut conn)
        .unwrap();
    let told = get(&app, Role::Admin, &id).await.json;
    assert_eq!(history_states(&told), ["received", "routed", "blocked"]);
    assert_eq!(told["history"], blocked["history"]);
}

#[tokio::test]
async fn control_characters_in_reasons_are_refused_and_nothing_is_stored() {
    let (app, _dns) = app().await;
    let id = takedowns::submit_until(&app, "https://shop.example.vn/p/1", "pending_review").await;
    for reason in ["lifted\u{0}by court", "bell\u{7}", "escape \u{1b}[31m red"] {
        let decision = decide(&app, &id, json!({"decision": "reject", "reason": reason})).await;
        let problem = decision.assert_problem(422, "invalid_request");
        assert_eq!(problem["errors"][0]["field"], "reason", "{reason:?}");
        assert_eq!(problem["errors"][0]["code"], "bad_character", "{reason:?}");
        let withdrawal = app
            .post_as(
                Role::Authority,
                &format!("/v1/takedowns/{id}/withdraw"),
                &json!({"reason": reason}),
            )
            .send()
            .await;
        let problem = withdrawal.assert_problem(422, "invalid_request");
        assert_eq!(problem["errors"][0]["code"], "bad_character", "{reason:?}");
    }
    let unchanged = get(&app, Role::Admin, &id).await.json;
    assert_eq!(unchanged["state"], "pending_review");
    // Newlines and tabs are text, not control: they stay allowed.
    let decided = decide(
        &app,
        &id,
        json!({"decision": "reject", "reason": "not ours:\n\tsee file 12"}),
    )
    .await;
    assert_eq!(decided.status, 200, "{}", decided.text);
    assert_eq!(decided.json["state"], "rejected");
}

//! The operators' blocklist through the HTTP API, fed by real takedowns routed by in-process
//! workers: full and delta answers after adds and removes, the checksum against an
//! independent computation, 304s, wildcards, acknowledgements and compliance.

use crate::common;

use std::time::Duration;

use common::takedowns::{app, submit_until, withdraw, WAIT};
use common::{eventually, TestApp};
use originguard::auth::Role;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn list(app: &TestApp, query: &str) -> (u16, Value, Option<String>) {
    let answer = app
        .get_as(Role::Operator, &format!("/v1/blocklist{query}"))
        .send()
        .await;
    let etag = answer.header("etag").map(str::to_owned);
    (answer.status, answer.json, etag)
}

fn values(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["value"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// SHA-256 of the values sorted byte-wise, each followed by `\n`, computed here.
fn expected_checksum(values: &[&str]) -> String {
    let mut sorted: Vec<&str> = values.to_vec();
    sorted.sort_unstable();
    let text: String = sorted.iter().map(|v| format!("{v}\n")).collect();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Waits until the workers published the checksum of `version`, so deltas are at it.
async fn published(app: &TestApp, since: u64, version: u64) -> Value {
    let mut last = Value::Null;
    let ok = eventually(WAIT, || {
        let call = app
            .get_as(Role::Operator, &format!("/v1/blocklist?since={since}"))
            .send();
        async { call.await.json["version"] == version }
    })
    .await;
    if ok {
        last = list(app, &format!("?since={since}")).await.1;
    }
    assert!(ok, "version {version} never published");
    last
}

#[tokio::test]
async fn adds_and_removes_give_full_lists_deltas_and_checksums() {
    let (app, _dns) = app().await;
    let (status, empty, etag) = list(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(empty["version"], 0);
    assert_eq!(empty["full"], true);
    assert_eq!(empty["checksum"], expected_checksum(&[]));
    assert_eq!(etag.as_deref(), Some("\"0\""));

    let shop = submit_until(&app, "https://giay-gia.example/p/1", "blocked").await;
    let ip = submit_until(&app, "203.0.113.7", "blocked").await;
    let block = submit_until(&app, "2001:db8:8000::/48", "blocked").await;
    let host = submit_until(&app, "shop.Brand-Fake.example.com", "blocked").await;
    // A .vn domain is the registry's, never the operators'.
    submit_until(&app, "shop.example.vn", "pending_review").await;

    let (_, full, etag) = list(&app, "").await;
    assert_eq!(full["version"], 4, "{full}");
    assert_eq!(full["full"], true);
    assert_eq!(etag.as_deref(), Some("\"4\""));
    let all = [
        "giay-gia.example",
        "203.0.113.7",
        "2001:db8:8000::/48",
        "shop.brand-fake.example.com",
    ];
    let mut sorted = all.to_vec();
    sorted.sort_unstable();
    assert_eq!(values(&full["additions"]), sorted, "byte-wise order");
    assert_eq!(full["checksum"], expected_checksum(&all));
    let by_value = |v: &str| {
        full["additions"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["value"] == v).cloned())
            .expect("entry")
    };
    assert_eq!(by_value("giay-gia.example")["subdomains"], true);
    assert_eq!(by_value("giay-gia.example")["takedown_id"], shop.as_str());
    assert_eq!(by_value("shop.brand-fake.example.com")["subdomains"], false);
    assert_eq!(by_value("203.0.113.7")["type"], "ip");
    assert_eq!(by_value("2001:db8:8000::/48")["type"], "cidr");
    assert_eq!(by_value("203.0.113.7")["category"], "counterfeit");
    assert!(by_value("203.0.113.7")["added_in"]
        .as_u64()
        .is_some_and(|v| (1..=4).contains(&v)));

    // Deltas.
    let delta = published(&app, 0, 4).await;
    assert_eq!(delta["full"], false, "{delta}");
    assert_eq!(values(&delta["additions"]).len(), 4);
    assert_eq!(delta["checksum"], full["checksum"]);
    let none = published(&app, 4, 4).await;
    assert_eq!(none["additions"], json!([]));
    assert_eq!(none["removals"], json!([]));

    // A withdrawal lifts the block: one removal, version 5.
    assert_eq!(withdraw(&app, &ip).await.json["state"], "lifted");
    let after = published(&app, 4, 5).await;
    assert_eq!(values(&after["removals"]), ["203.0.113.7"], "{after}");
    assert_eq!(after["additions"], json!([]));
    let left = [
        "giay-gia.example",
        "2001:db8:8000::/48",
        "shop.brand-fake.example.com",
    ];
    assert_eq!(after["checksum"], expected_checksum(&left));
    // Over the whole range, the IP was added and removed: it appears in neither list.
    let whole = published(&app, 0, 5).await;
    assert_eq!(values(&whole["removals"]), Vec::<String>::new());
    assert_eq!(values(&whole["additions"]).len(), 3);

    // Text and RPZ, same version.
    let text = app
        .get_as(Role::Operator, "/v1/blocklist?format=text")
        .send()
        .await;
    let mut expected_text = String::from("# version 5\n");
    let mut left_sorted = left.to_vec();
    left_sorted.sort_unstable();
    for v in &left_sorted {
        expected_text.push_str(v);
        expected_text.push('\n');
    }
    assert_eq!(text.text, expected_text);
    let body_after_header: String = text
        .text
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        hex::encode(Sha256::digest(body_after_header.as_bytes())),
        after["checksum"].as_str().expect("checksum"),
        "`tail -n +2 | sha256sum` of the text answer is the checksum"
    );
    let rpz = app
        .get("/v1/blocklist")
        .key(&app.keys[&Role::Operator])
        .header("accept", "text/dns")
        .send()
        .await;
    assert_eq!(rpz.header("content-type"), Some("text/dns"));
    for line in [
        "giay-gia.example CNAME .",
        "*.giay-gia.example CNAME .",
        "shop.brand-fake.example.com CNAME .",
        "48.zz.8000.db8.2001.rpz-ip CNAME .",
    ] {
        assert!(
            rpz.text.lines().any(|l| l == line),
            "{line} missing:\n{}",
            rpz.text
        );
    }
    assert!(
        !rpz.text.contains("*.shop.brand-fake"),
        "no wildcard for a host"
    );
    assert!(
        rpz.text.contains(" 5 3600 600 86400 60"),
        "SOA serial is the version"
    );

    // 304 for the current version, 200 for an older one.
    let cached = app
        .get_as(Role::Operator, "/v1/blocklist")
        .header("if-none-match", "\"5\"")
        .send()
        .await;
    assert_eq!(cached.status, 304);
    assert_eq!(cached.header("etag"), Some("\"5\""));
    let stale = app
        .get_as(Role::Operator, "/v1/blocklist")
        .header("if-none-match", "\"4\"")
        .send()
        .await;
    assert_eq!(stale.status, 200);

    // The same takedown never adds twice; another takedown of the same value shares the entry.
    let again = submit_until(&app, "giay-gia.example", "blocked").await;
    assert_eq!(list(&app, "").await.1["version"], 5);
    assert_eq!(withdraw(&app, &shop).await.json["state"], "lifted");
    let (_, still, _) = list(&app, "").await;
    assert_eq!(still["version"], 5, "still held by {again}: {still}");
    assert_eq!(withdraw(&app, &again).await.json["state"], "lifted");
    let (_, gone, _) = list(&app, "").await;
    assert_eq!(gone["version"], 6);
    assert!(!values(&gone["additions"]).contains(&"giay-gia.example".to_owned()));
    let _ = (block, host);

    // Bad input.
    app.get_as(Role::Operator, "/v1/blocklist?since=99")
        .send()
        .await
        .assert_problem(422, "invalid_request");
    let answer = app
        .get_as(Role::Operator, "/v1/blocklist?format=xml")
        .send()
        .await;
    let problem = answer.assert_problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["field"], "format");
    app.get_as(Role::Platform, "/v1/blocklist")
        .send()
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn a_since_older_than_the_retained_log_gets_the_full_list() {
    let (app, _dns) = app().await;
    submit_until(&app, "one.example", "blocked").await;
    submit_until(&app, "two.example", "blocked").await;
    published(&app, 0, 2).await;
    // Retention trimmed the log down to the newest change.
    let _: i64 = redis::cmd("XTRIM")
        .arg("og:{enforce}:bl:log")
        .arg("MAXLEN")
        .arg(1)
        .query(&mut app.redis.connection())
        .expect("xtrim");
    let (_, answer, _) = list(&app, "?since=0").await;
    assert_eq!(answer["full"], true, "{answer}");
    assert_eq!(answer["since"], 0);
    assert_eq!(values(&answer["additions"]), ["one.example", "two.example"]);
    let (_, recent, _) = list(&app, "?since=1").await;
    assert_eq!(recent["full"], false, "{recent}");
    assert_eq!(values(&recent["additions"]), ["two.example"]);
}

#[tokio::test]
async fn operators_acknowledge_for_themselves_and_compliance_shows_who_is_behind() {
    let (app, _dns) = app().await;
    // Before any ack, the operator from the keys file is listed as never having acked.
    let before = app
        .get_as(Role::Authority, "/v1/blocklist/compliance")
        .send()
        .await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(before.json["operators"][0]["operator"], "viettel");
    assert_eq!(before.json["operators"][0]["acked_version"], Value::Null);
    assert_eq!(before.json["deadline_seconds"], 86_400);

    submit_until(&app, "one.example", "blocked").await;
    submit_until(&app, "two.example", "blocked").await;
    let ack = app
        .post_as(Role::Operator, "/v1/blocklist/acks", &json!({"version": 1}))
        .send()
        .await;
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert_eq!(ack.json["operator"], "viettel");
    let report = app
        .get_as(Role::Authority, "/v1/blocklist/compliance")
        .send()
        .await;
    let viettel = &report.json["operators"][0];
    assert_eq!(report.json["version"], 2);
    assert_eq!(viettel["acked_version"], 1);
    assert_eq!(viettel["versions_behind"], 1);
    assert!(viettel["seconds_behind"].as_i64().is_some_and(|s| s >= 0));
    assert_eq!(viettel["overdue_entries"], 0, "nothing is older than 24 h");

    // The operator is the key's, never the body's; versions must exist; others may not ack.
    app.post_as(
        Role::Operator,
        "/v1/blocklist/acks",
        &json!({"version": 2, "operator": "vnpt"}),
    )
    .send()
    .await
    .assert_problem(422, "invalid_request");
    app.post_as(Role::Operator, "/v1/blocklist/acks", &json!({"version": 3}))
        .send()
        .await
        .assert_problem(422, "invalid_request");
    app.post_as(
        Role::Authority,
        "/v1/blocklist/acks",
        &json!({"version": 2}),
    )
    .send()
    .await
    .assert_problem(403, "forbidden");
    // Admin may record an acknowledgement, for an operator it names, under its own name.
    let unnamed = app
        .post_as(Role::Admin, "/v1/blocklist/acks", &json!({"version": 2}))
        .send()
        .await;
    assert_eq!(
        unnamed.assert_problem(422, "invalid_request")["errors"][0]["field"],
        "operator"
    );
    let by_admin = app
        .post_as(
            Role::Admin,
            "/v1/blocklist/acks",
            &json!({"version": 2, "operator": "vnpt"}),
        )
        .send()
        .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.text);
    assert_eq!(by_admin.json["operator"], "vnpt");
    let report = app
        .get_as(Role::Authority, "/v1/blocklist/compliance")
        .send()
        .await;
    let vnpt = report.json["operators"]
        .as_array()
        .and_then(|all| all.iter().find(|o| o["operator"] == "vnpt"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(vnpt["acked_version"], 2, "{}", report.text);
    let audit = app
        .get_as(Role::Admin, "/v1/audit?subject=vnpt")
        .send()
        .await;
    assert_eq!(
        audit.json["entries"][0]["actor"], "test-admin",
        "{}",
        audit.text
    );
    app.get_as(Role::Operator, "/v1/blocklist/compliance")
        .send()
        .await
        .assert_problem(403, "forbidden");
    let audit = app
        .get_as(Role::Admin, "/v1/audit?subject=viettel")
        .send()
        .await;
    assert_eq!(
        audit.json["entries"][0]["action"], "blocklist.ack",
        "{}",
        audit.text
    );

    let metrics = app.get("/metrics").send().await.text;
    assert!(
        metrics.contains("originguard_blocklist_version"),
        "{metrics}"
    );
    assert!(
        metrics.contains("originguard_operator_lag_versions"),
        "{metrics}"
    );
}

fn finding_codes(answer: &Value) -> Vec<String> {
    answer["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn claim_for_shop(app: &TestApp, shop_url: &str) -> Value {
    let body = json!({
        "seller": {"tax_code": "0101248141", "shop_url": shop_url},
        "product": {"code": "08935049500018", "claimed_origin": "VN"},
        "invoices": []
    });
    let answer = app
        .post_as(Role::Platform, "/v1/claims/verify", &body)
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

#[tokio::test]
async fn a_shop_on_the_blocklist_or_under_a_registry_takedown_is_shop_blocked() {
    let (app, _dns) = app().await;
    let shop = submit_until(&app, "giay-gia.example", "blocked").await;
    let vn = submit_until(&app, "shop.example.vn", "pending_review").await;
    // A one-entry list reads back whole.
    let (_, full, _) = list(&app, "").await;
    assert_eq!(values(&full["additions"]), ["giay-gia.example"]);

    for url in [
        "https://giay-gia.example/p/1",
        "https://www.giay-gia.example/p/1",
        "https://shop.example.vn/p/9",
    ] {
        let result = claim_seeing(&app, url, true).await;
        assert_eq!(result["verdict"], "inconsistent", "{url}: {result}");
    }
    for url in ["https://other.example/p/1", "https://example.vn/"] {
        claim_seeing(&app, url, false).await;
    }
    // Lifted and rejected: no longer blocked.
    assert_eq!(withdraw(&app, &shop).await.json["state"], "lifted");
    let rejected = app
        .post_as(
            Role::Registry,
            &format!("/v1/registry/requests/{vn}/decision"),
            &json!({"decision": "reject", "reason": "not enough evidence"}),
        )
        .send()
        .await;
    assert_eq!(rejected.json["state"], "rejected", "{}", rejected.text);
    for url in [
        "https://www.giay-gia.example/p/1",
        "https://shop.example.vn/p/9",
    ] {
        claim_seeing(&app, url, false).await;
    }
}

/// The claim for a shop at `url` once it says `shop_blocked` (or not, as `blocked` asks):
/// at once on one Redis; on a cluster, claims check a view of the enforcement state that
/// follows Redis every 200 ms, so within a few polls.
async fn claim_seeing(app: &TestApp, url: &str, blocked: bool) -> Value {
    let says = |result: &Value| finding_codes(result).contains(&"shop_blocked".to_owned());
    let seen = eventually(Duration::from_secs(5), || async {
        says(&claim_for_shop(app, url).await) == blocked
    })
    .await;
    let result = claim_for_shop(app, url).await;
    assert!(seen && says(&result) == blocked, "{url}: {result}");
    result
}

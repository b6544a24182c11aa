//! Platform helpers for the platforms' channel tests: reference lists of platforms and shared
//! infrastructure, extra keys bound to other platforms, the platform's notice API, the
//! operators' blocklist and the registry's queue as clients see them.

#![allow(dead_code)]

use originguard::auth::{new_key_stanza, Caller, Role};
use serde_json::{json, Value};

use super::takedowns::WAIT;
use super::{eventually, Answer, TestApp};

/// Where the shipped lists live.
pub const PLATFORMS_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/reference/platforms.ndjson"
);
/// Where the shipped shared-infrastructure list lives.
pub const SHARED_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/reference/shared-infrastructure.ndjson"
);

/// One platform record.
pub fn platform(
    id: &str,
    name: &str,
    kind: &str,
    domains: &[&str],
    pattern: Option<&str>,
) -> Value {
    json!({"id": id, "name": name, "kind": kind, "domains": domains, "account_pattern": pattern})
}

/// The platforms most tests need: Shopee, Lazada, Facebook, TikTok and a CDN with no
/// account pattern.
pub fn test_platforms() -> Vec<Value> {
    vec![
        platform(
            "shopee",
            "Shopee",
            "marketplace",
            &["shopee.vn", "shp.ee"],
            Some("/{account}"),
        ),
        platform(
            "lazada",
            "Lazada",
            "marketplace",
            &["lazada.vn"],
            Some("/shop/{account}"),
        ),
        platform(
            "facebook",
            "Facebook",
            "social_network",
            &["facebook.com", "fb.com"],
            Some("/{account}"),
        ),
        platform(
            "tiktok",
            "TikTok",
            "video",
            &["tiktok.com"],
            Some("/@{account}"),
        ),
        platform(
            "cdn-provider",
            "CDN Provider",
            "cdn",
            &["cdn-provider.net"],
            None,
        ),
    ]
}

/// The shared infrastructure most tests need: one CDN over a documentation range.
pub fn test_shared_infrastructure() -> Vec<Value> {
    vec![json!({
        "name": "Example CDN",
        "kind": "cdn",
        "cidrs": ["198.51.100.0/24", "2001:db8:cd::/48"]
    })]
}

/// Records as NDJSON.
pub fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Loads `lines` as `kind` and asserts every line was accepted.
pub async fn load_all(app: &TestApp, kind: &str, lines: &[Value]) {
    let report = app.load(kind, ndjson(lines)).await;
    assert_eq!(report["accepted"], lines.len(), "{report}");
    assert_eq!(report["rejected_count"], 0, "{report}");
}

/// Loads the test platforms and the test shared infrastructure.
pub async fn load_test_lists(app: &TestApp) {
    load_all(app, "platforms", &test_platforms()).await;
    load_all(app, "shared-infrastructure", &test_shared_infrastructure()).await;
}

/// The `(field, code)` pairs of a 422 problem's `errors`.
pub fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The fields named in a 422 problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    field_errors(problem).into_iter().map(|(f, _)| f).collect()
}

/// Adds a key for `caller` to the keys file and waits until the app accepts it; returns its
/// secret.
pub async fn add_key(app: &TestApp, caller: Caller) -> String {
    let (secret, stanza) = new_key_stanza(&caller).expect("stanza");
    let mut keys = std::fs::read_to_string(&app.keys_file).expect("keys");
    keys.push_str(&stanza);
    std::fs::write(&app.keys_file, keys).expect("write keys");
    let loaded = eventually(WAIT, || async {
        app.get("/v1/platform/notices")
            .key(&secret)
            .send()
            .await
            .status
            != 401
    })
    .await;
    assert!(loaded, "the key of {} was never loaded", caller.name);
    secret
}

/// A platform key acting for `platform`.
pub async fn platform_key(app: &TestApp, name: &str, platform: Option<&str>) -> String {
    add_key(
        app,
        Caller {
            name: name.into(),
            role: Role::Platform,
            agency: None,
            operator: None,
            platform: platform.map(str::to_owned),
            key_id: None,
        },
    )
    .await
}

/// The harness's platform key, bound to `shopee`.
pub fn shopee_key(app: &TestApp) -> String {
    app.keys[&Role::Platform].clone()
}

/// `GET /v1/platform/notices{query}` with `key`.
pub async fn notices(app: &TestApp, key: &str, query: &str) -> Answer {
    app.get(&format!("/v1/platform/notices{query}"))
        .key(key)
        .send()
        .await
}

/// The notices `key` sees (asserts 200).
pub async fn notice_list(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let answer = notices(app, key, query).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["notices"].as_array().expect("notices").clone()
}

/// The ids of the notices `key` sees.
pub async fn notice_ids(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    notice_list(app, key, query)
        .await
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The notice `id` as `key` sees it in its list.
pub async fn notice(app: &TestApp, key: &str, id: &str) -> Value {
    notice_list(app, key, "")
        .await
        .into_iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("notice {id} not listed"))
}

/// `POST /v1/platform/notices/{id}/outcome` with `key`.
pub async fn outcome(app: &TestApp, key: &str, id: &str, body: Value) -> Answer {
    app.request(
        reqwest::Method::POST,
        &format!("/v1/platform/notices/{id}/outcome"),
    )
    .key(key)
    .json(&body)
    .send()
    .await
}

/// Records `body` as the outcome of `id` with the shopee key; asserts 200; returns the notice.
pub async fn shopee_outcome(app: &TestApp, id: &str, body: Value) -> Value {
    let answer = outcome(app, &shopee_key(app), id, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

/// `POST /v1/takedowns/{id}/confirm` as `role`.
pub async fn confirm(app: &TestApp, role: Role, id: &str, body: Value) -> Answer {
    app.post_as(role, &format!("/v1/takedowns/{id}/confirm"), &body)
        .send()
        .await
}

/// The full operators' blocklist (JSON).
pub async fn blocklist(app: &TestApp) -> Value {
    let answer = app.get_as(Role::Operator, "/v1/blocklist").send().await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

/// The values of a blocklist answer's additions.
pub fn blocked_values(list: &Value) -> Vec<String> {
    list["additions"]
        .as_array()
        .expect("additions")
        .iter()
        .map(|e| e["value"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The ids in the registry's `pending_review` queue.
pub async fn registry_queue(app: &TestApp) -> Vec<String> {
    let answer = app
        .get_as(Role::Registry, "/v1/registry/requests?state=pending_review")
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `GET /v1/platform/compliance` as `role`.
pub async fn compliance(app: &TestApp, role: Role) -> Answer {
    app.get_as(role, "/v1/platform/compliance").send().await
}

/// One platform's compliance line as admin sees it (`Null` when absent).
pub async fn compliance_of(app: &TestApp, platform: &str) -> Value {
    let answer = compliance(app, Role::Admin).await;
    if answer.status != 200 {
        return Value::Null;
    }
    answer.json["platforms"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["platform"] == platform).cloned())
        .unwrap_or(Value::Null)
}

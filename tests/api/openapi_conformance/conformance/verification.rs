//! Operations, reference loads and the verification and resolution operations, each with the
//! document's request example and with the invalid requests each one refuses.

use originguard::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use super::{expect, field, lines_holding, Client};
use crate::common::platforms::{ndjson, test_platforms, test_shared_infrastructure};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/reference");

/// Liveness, readiness and metrics, without a key.
pub async fn operations(client: &Client<'_>) {
    for path in ["/healthz", "/readyz", "/metrics"] {
        expect(&client.send(Method::GET, path, |c| c).await, 200);
    }
}

/// Loads every kind of reference data: the document's example, the shipped fixtures, the
/// test platforms, a load with bad lines, and an unknown kind.
pub async fn reference(client: &Client<'_>) {
    let path = |kind: &str| format!("/v1/reference/{kind}");
    let put = |kind: &str, body: String| {
        let path = path(kind);
        async move {
            client
                .raw(
                    Role::Steward,
                    Method::PUT,
                    &path,
                    Some("application/x-ndjson"),
                    body,
                )
                .await
        }
    };
    let example = client.example(Method::PUT, "/v1/reference/{kind}");
    let loaded = put("products", example.as_str().expect("text").to_owned()).await;
    assert_eq!(
        expect(&loaded, 200).json["rejected_count"],
        0,
        "{}",
        loaded.text
    );
    for kind in ["products", "recalls", "taxpayers", "invoices"] {
        let body = std::fs::read_to_string(format!("{FIXTURES}/{kind}.ndjson")).expect("fixture");
        let loaded = put(kind, body).await;
        assert_eq!(
            expect(&loaded, 200).json["rejected_count"],
            0,
            "{}",
            loaded.text
        );
    }
    expect(&put("platforms", ndjson(&test_platforms())).await, 200);
    let shared = ndjson(&test_shared_infrastructure());
    expect(&put("shared-infrastructure", shared).await, 200);
    let bad = put("taxpayers", "{\"tax_code\":\"123\"}\nnot json\n".into()).await;
    assert_eq!(expect(&bad, 200).json["rejected_count"], 2, "{}", bad.text);
    expect(&put("brands", String::new()).await, 404);
}

/// `POST /v1/traceability/check`: valid and invalid codes, and the bodies refused before and
/// after parsing.
pub async fn traceability(client: &Client<'_>) {
    let path = "/v1/traceability/check";
    let example = client.example(Method::POST, path);
    let checked = client.post(Role::Platform, path, &example).await;
    assert_eq!(field(&checked, 200, "valid"), true, "{}", checked.text);
    let invalid = client
        .post(Role::Authority, path, &json!({"code": "08935049500019"}))
        .await;
    assert_eq!(expect(&invalid, 200).json["valid"], false);
    let long = json!({"code": "1".repeat(4097)});
    client.post_expect(Role::Platform, path, &long, 422).await;
    client
        .post_expect(Role::Platform, path, &json!({}), 422)
        .await;
    let post = |content_type: Option<&'static str>, body: &str| {
        let body = body.to_owned();
        async move {
            client
                .raw(Role::Platform, Method::POST, path, content_type, body)
                .await
        }
    };
    expect(&post(Some("application/json"), "{\"code\":").await, 400);
    expect(&post(Some("text/plain"), "{\"code\":\"1\"}").await, 415);
    expect(&post(None, "").await, 415);
    let huge = format!("{{\"code\":\"{}\"}}", "1".repeat(super::BODY_LIMIT + 1));
    expect(&post(Some("application/json"), &huge).await, 413);
}

/// `GET /v1/tax-codes/{code}` and `POST /v1/invoices/check`.
pub async fn tax_and_invoices(client: &Client<'_>) {
    for code in ["0100109106-001", "0300588569", "12345"] {
        let answer = client
            .get(Role::Platform, &format!("/v1/tax-codes/{code}"))
            .await;
        expect(&answer, 200);
    }
    client
        .get_expect(Role::Platform, "/v1/tax-codes/%FF%FE", 400)
        .await;
    let path = "/v1/invoices/check";
    let example = client.example(Method::POST, path);
    let checked = client.post(Role::Authority, path, &example).await;
    assert_eq!(
        field(&checked, 200, "valid_format"),
        true,
        "{}",
        checked.text
    );
    let empty = client.post(Role::Platform, path, &json!({})).await;
    assert_eq!(expect(&empty, 200).json["valid_format"], false);
    let wrong = json!({"seller_tax_code": 300588569});
    client.post_expect(Role::Platform, path, &wrong, 422).await;
}

/// `POST /v1/claims/verify` and `POST /v1/claims/verify-batch`.
pub async fn claims(client: &Client<'_>) {
    let path = "/v1/claims/verify";
    let example = client.example(Method::POST, path);
    client
        .post_expect(Role::Platform, path, &example, 200)
        .await;
    let mut foreign = example.clone();
    foreign["product"]["claimed_origin"] = json!("XX");
    client
        .post_expect(Role::Platform, path, &foreign, 422)
        .await;
    let mut crowded = example.clone();
    crowded["invoices"] = Value::Array(vec![example["invoices"][0].clone(); 51]);
    client
        .post_expect(Role::Authority, path, &crowded, 422)
        .await;
    client
        .post_expect(Role::Platform, path, &json!({"seller": {}}), 422)
        .await;

    let batch = "/v1/claims/verify-batch";
    let example = client.example(Method::POST, batch);
    let body = example.as_str().expect("text").to_owned();
    let answer = client.post_ndjson(Role::Platform, batch, body, &[]).await;
    assert_eq!(
        lines_holding(&answer, "verdict").len(),
        2,
        "{}",
        answer.text
    );
    let bad = "not json\n{\"seller\":{}}\n{\"seller\":{\"tax_code\":\"0101248141\"},\"product\":{\"code\":\"1\",\"claimed_origin\":\"XX\"}}\n";
    let answer = client
        .post_ndjson(Role::Authority, batch, bad.into(), &[])
        .await;
    assert_eq!(lines_holding(&answer, "error").len(), 3, "{}", answer.text);
}

/// `POST /v1/resolve` against the loopback name server's zones.
pub async fn resolve(client: &Client<'_>) {
    let path = "/v1/resolve";
    let example = client.example(Method::POST, path);
    let answer = client.post(Role::Registry, path, &example).await;
    let results = expect(&answer, 200).json["results"].as_array().cloned();
    assert_eq!(results.map(|r| r.len()), Some(4), "{}", answer.text);
    let hosts =
        json!({"targets": ["www.example.vn", "2001:db8::10", "203.0.113.0/24", "not a target"]});
    client.post_expect(Role::Platform, path, &hosts, 200).await;
    let many: Vec<String> = (0..1001)
        .map(|i| format!("198.51.100.{}", i % 250))
        .collect();
    client
        .post_expect(Role::Authority, path, &json!({"targets": many}), 422)
        .await;
    client
        .post_expect(Role::Authority, path, &json!({"targets": "x"}), 422)
        .await;
}

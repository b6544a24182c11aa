//! Keys, roles and the problem+json answers for client mistakes, on real routes.

use crate::common;

use std::time::Duration;

use common::{eventually, TestApp};
use originguard::app::Settings;
use originguard::auth::{new_key_stanza, Caller, Role};
use reqwest::Method;
use serde_json::json;

const CHECK: &str = "/v1/traceability/check";

#[tokio::test]
async fn no_key_or_an_unknown_key_is_401() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "4006381333931"});
    let none = app.request(Method::POST, CHECK).json(&body).send().await;
    none.assert_problem(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let unknown = app
        .request(Method::POST, CHECK)
        .key("og_0000000000000000000000000000000000000000000000000000000000000000")
        .json(&body)
        .send()
        .await;
    unknown.assert_problem(401, "unauthorized");
    let wrong_scheme = app
        .request(Method::POST, CHECK)
        .header(
            "authorization",
            &format!("Basic {}", app.keys[&Role::Platform]),
        )
        .json(&body)
        .send()
        .await;
    wrong_scheme.assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_key_of_the_wrong_role_is_403_in_both_languages() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "4006381333931"});
    let english = app.post_as(Role::Operator, CHECK, &body).send().await;
    english.assert_problem(403, "forbidden");
    assert_eq!(english.json["title"], "Forbidden");
    let vietnamese = app
        .post_as(Role::Registry, CHECK, &body)
        .header("accept-language", "vi")
        .send()
        .await;
    vietnamese.assert_problem(403, "forbidden");
    assert_eq!(vietnamese.json["title"], "Không có quyền");
    for role in [Role::Platform, Role::Authority, Role::Admin] {
        assert_eq!(
            app.post_as(role, CHECK, &body).send().await.status,
            200,
            "{role}"
        );
    }
    let load = app
        .put_ndjson_as(Role::Platform, "/v1/reference/products", "")
        .send()
        .await;
    load.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_types_are_422() {
    let app = TestApp::spawn().await;
    let key = app.keys[&Role::Platform].clone();
    let malformed = app
        .request(Method::POST, CHECK)
        .key(&key)
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .await;
    malformed.assert_problem(400, "malformed_request");
    let wrong_type = app
        .post_as(Role::Platform, CHECK, &json!({"code": 42}))
        .send()
        .await;
    let body = wrong_type.assert_problem(422, "invalid_request");
    assert_eq!(body["errors"][0]["code"], "invalid_value");
    let missing = app.post_as(Role::Platform, CHECK, &json!({})).send().await;
    let body = missing.assert_problem(422, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "code");
    assert_eq!(body["errors"][0]["code"], "required");
    // serde's English never reaches the Vietnamese texts: a field and a code instead.
    let claim = app
        .post_as(
            Role::Platform,
            "/v1/claims/verify",
            &json!({"product": {"code": "4006381333931"}}),
        )
        .header("accept-language", "vi")
        .send()
        .await;
    let body = claim.assert_problem(422, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "seller", "{body}");
    assert_eq!(body["errors"][0]["code"], "required");
    assert_eq!(body["errors"][0]["message"], "Trường này là bắt buộc.");
    assert_eq!(claim.header("content-language"), Some("vi"));
    let unknown = app
        .post_as(Role::Platform, CHECK, &json!({"code": "x", "colour": 1}))
        .send()
        .await;
    let body = unknown.assert_problem(422, "invalid_request");
    assert_eq!(body["errors"][0]["field"], "colour", "{body}");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    assert_eq!(unknown.header("content-language"), Some("en"));
    let no_content_type = app
        .request(Method::POST, CHECK)
        .key(&key)
        .body("{}")
        .send()
        .await;
    no_content_type.assert_problem(415, "unsupported_media_type");
    let vietnamese = app
        .request(Method::POST, CHECK)
        .key(&key)
        .header("content-type", "application/json")
        .header("accept-language", "vi")
        .body("[")
        .send()
        .await;
    vietnamese.assert_problem(400, "malformed_request");
    assert_eq!(vietnamese.json["title"], "Yêu cầu sai cú pháp");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::builder()
        .settings(Settings {
            body_limit: 1024,
            ..Settings::default()
        })
        .spawn()
        .await;
    let big = json!({"code": "x".repeat(4000)});
    app.post_as(Role::Platform, CHECK, &big)
        .send()
        .await
        .assert_problem(413, "payload_too_large");
    let small = json!({"code": "4006381333931"});
    assert_eq!(
        app.post_as(Role::Platform, CHECK, &small)
            .send()
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_keys_file_is_reread_when_it_changes() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "4006381333931"});
    let (secret, stanza) = new_key_stanza(&Caller {
        name: "late-platform".into(),
        role: Role::Platform,
        agency: None,
        operator: None,
        platform: None,
        key_id: None,
    })
    .unwrap();
    let call = |key: String| {
        let body = body.clone();
        let app = &app;
        async move {
            app.request(Method::POST, CHECK)
                .key(&key)
                .json(&body)
                .send()
                .await
                .status
        }
    };
    assert_eq!(call(secret.clone()).await, 401);
    let mut text = std::fs::read_to_string(&app.keys_file).unwrap();
    text.push_str(&stanza);
    std::fs::write(&app.keys_file, &text).unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            call(secret.clone()).await == 200
        })
        .await,
        "a key added to the file works without a restart"
    );
    std::fs::write(&app.keys_file, "this is = not [valid toml").unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        call(secret.clone()).await,
        200,
        "an invalid file keeps the keys in force"
    );
    let without: String = text.replace(&stanza, "");
    std::fs::write(&app.keys_file, without).unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            call(secret.clone()).await == 401
        })
        .await,
        "a key removed from the file stops working"
    );
}

#[tokio::test]
async fn only_a_short_plain_request_id_is_echoed() {
    let app = TestApp::spawn().await;
    let plain = "3f2a9c1e-77b4-4d2e-9d53-0c1a2b3c4d5e";
    let echoed = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", plain)
        .send()
        .await;
    assert_eq!(echoed.header("x-request-id"), Some(plain));
    let long = "a".repeat(3000);
    for hostile in [long.as_str(), "abc def\"<script>", "id;drop=1", "a,b"] {
        let answer = app
            .request(Method::GET, "/healthz")
            .header("x-request-id", hostile)
            .send()
            .await;
        let id = answer
            .header("x-request-id")
            .expect("a fresh id")
            .to_owned();
        assert_ne!(id, hostile);
        assert!(
            originguard::http::is_plain_request_id(id.as_bytes()) && id.len() == 36,
            "{id}"
        );
    }
}

//! The service foundation as a client sees it: operations endpoints, request ids,
//! problem+json for every error, Vietnamese texts, readiness against a real Redis.

use crate::common;

use std::time::Duration;

use axum::routing::get;
use common::{eventually, TestApp};
use originguard::auth::Role;
use reqwest::Method;

#[tokio::test]
async fn healthz_answers_ok_with_a_fresh_request_id() {
    let app = TestApp::spawn().await;
    let first = app.get("/healthz").send().await;
    let second = app.get("/healthz").send().await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json["status"], "ok");
    let (a, b) = (first.header("x-request-id"), second.header("x-request-id"));
    assert!(a.is_some_and(|id| id.len() >= 16), "{a:?}");
    assert_ne!(a, b, "each answer gets its own id");
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_kept() {
    let app = TestApp::spawn().await;
    let answer = app
        .get("/nowhere")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await;
    assert_eq!(answer.header("x-request-id"), Some("trace-abc-123"));
    let body = answer.assert_problem(404, "not_found");
    assert_eq!(body["request_id"], "trace-abc-123");
}

#[tokio::test]
async fn unknown_path_is_a_404_problem_in_english_and_vietnamese() {
    let app = TestApp::spawn().await;
    let english = app.get("/v1/does-not-exist").send().await;
    english.assert_problem(404, "not_found");
    assert_eq!(english.json["title"], "Not found");
    let vietnamese = app
        .get("/v1/does-not-exist")
        .header("accept-language", "vi-VN,vi;q=0.9")
        .send()
        .await;
    vietnamese.assert_problem(404, "not_found");
    assert_eq!(vietnamese.json["title"], "Không tìm thấy");
    assert_eq!(
        vietnamese.json["detail"],
        "Không tìm thấy gì tại /v1/does-not-exist."
    );
    assert_eq!(
        english.json["detail"],
        "Nothing is found at /v1/does-not-exist."
    );
    assert_eq!(vietnamese.header("content-language"), Some("vi"));
}

#[tokio::test]
async fn wrong_method_is_a_405_problem() {
    let app = TestApp::spawn().await;
    let answer = app.request(Method::DELETE, "/healthz").send().await;
    let problem = answer.assert_problem(405, "method_not_allowed");
    assert_eq!(problem["detail"], "DELETE is not allowed on /healthz.");
}

#[tokio::test]
async fn readiness_fails_while_redis_is_down_and_recovers_when_it_is_back() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.get("/readyz").send().await.status, 200);
    app.redis.kill();
    let down = eventually(Duration::from_secs(10), || async {
        app.get("/readyz").send().await.status == 503
    })
    .await;
    assert!(down, "readyz must answer 503 while Redis is down");
    app.get("/readyz")
        .send()
        .await
        .assert_problem(503, "unavailable");
    assert_eq!(
        app.get("/healthz").send().await.status,
        200,
        "liveness does not depend on Redis"
    );
    app.redis.restart().await;
    let up = eventually(Duration::from_secs(15), || async {
        app.get("/readyz").send().await.status == 200
    })
    .await;
    assert!(up, "readyz must recover once Redis is back");
}

#[tokio::test]
async fn while_redis_is_known_down_api_requests_get_503_at_once_and_recover_after() {
    let mut app = TestApp::spawn().await;
    let path = "/v1/tax-codes/0100109106";
    assert_eq!(app.get_as(Role::Platform, path).send().await.status, 200);
    app.redis.kill();
    // Once the watcher has seen Redis go, requests are refused before any Redis command:
    // the fast answer says so and names when to come back.
    let fast = eventually(Duration::from_secs(10), || async {
        let answer = app.get_as(Role::Platform, path).send().await;
        answer.status == 503
            && answer.header("retry-after") == Some("1")
            && answer.text.contains("unreachable")
    })
    .await;
    assert!(fast, "no fast 503 while Redis is down");
    let answer = app.get_as(Role::Platform, path).send().await;
    let problem = answer.assert_problem(503, "unavailable");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("unreachable")),
        "{problem}"
    );
    assert_eq!(app.get("/healthz").send().await.status, 200);
    assert_eq!(app.get("/metrics").send().await.status, 200);
    app.redis.restart().await;
    let back = eventually(Duration::from_secs(15), || async {
        app.get_as(Role::Platform, path).send().await.status == 200
    })
    .await;
    assert!(back, "requests are served again once Redis is back");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.get("/healthz").send().await;
    app.get("/no/such/route/42").send().await;
    let metrics = app.get("/metrics").send().await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    assert!(
        metrics.text.contains(
            r#"originguard_http_requests_total{method="GET",route="/healthz",status="200"}"#
        ),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains(r#"route="unmatched",status="404""#),
        "raw paths never become labels"
    );
    assert!(!metrics.text.contains("/no/such/route/42"));
    assert!(metrics
        .text
        .contains("originguard_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn openapi_and_offline_swagger_ui_are_served() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json").send().await;
    assert_eq!(doc.status, 200);
    assert!(doc.json["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1")));
    assert!(doc.json["paths"]["/readyz"].is_object());
    let ui = app.get("/docs/").send().await;
    assert_eq!(ui.status, 200);
    assert!(ui.text.contains("swagger"), "Swagger UI page");
    let bundle = app.get("/docs/swagger-ui-bundle.js").send().await;
    assert_eq!(
        bundle.status, 200,
        "the UI's script is served from the binary"
    );
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_problem_with_the_request_id() {
    let routes = axum::Router::new().route(
        "/boom",
        get(|| async {
            let values: Vec<u8> = Vec::new();
            values[3].to_string()
        }),
    );
    let router = originguard::http::router::with_middleware(routes, 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{addr}/boom"))
        .header("x-request-id", "panic-1")
        .send()
        .await
        .expect("the connection is answered, not dropped");
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "internal");
    assert_eq!(body["request_id"], "panic-1");
    assert!(
        !body.to_string().contains("index out of bounds"),
        "no panic message leaks: {body}"
    );
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut app = TestApp::spawn().await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(receiver));
    let request = app.put_ndjson_as(
        originguard::auth::Role::Steward,
        "/v1/reference/taxpayers",
        body,
    );
    let in_flight = tokio::spawn(request.send());
    sender
        .send(Ok(
            br#"{"tax_code":"0100109106","name":"A","status":"active"}"#.to_vec(),
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = app.addr;
    let stopping = tokio::spawn(async move {
        app.stop().await;
        app
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the request in flight"
    );
    sender
        .send(Ok(
            b"\n{\"tax_code\":\"0300588569\",\"name\":\"B\",\"status\":\"active\"}\n".to_vec(),
        ))
        .await
        .unwrap();
    drop(sender);
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 2);
    let _app = stopping.await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

fn tokio_stream_from<T: Send + 'static>(
    mut receiver: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

#[tokio::test]
async fn every_metric_family_has_help_and_the_build_is_named() {
    let app = TestApp::spawn().await;
    app.get("/healthz").send().await;
    let text = app.get("/metrics").send().await.text;
    let families: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() >= 5, "{text}");
    for family in families {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("# HELP {family} "))),
            "no HELP for {family}"
        );
    }
    assert!(
        text.contains(&format!(
            "originguard_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
}

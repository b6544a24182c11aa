//! The caller and its role are checked before anything else on every route: a key of the
//! wrong role gets 403 whatever the path, query or body, and learns nothing about what the
//! route would accept. Two `Authorization` headers are never resolved by picking one.

use crate::common;

use common::TestApp;
use originguard::auth::Role;
use reqwest::Method;

/// Every authenticated operation and the roles it admits besides admin. The test fails when
/// the OpenAPI document has an operation this table does not list, so a new route is walked
/// too.
const ROUTES: &[(&str, &str, &[Role])] = &[
    (
        "POST",
        "/v1/traceability/check",
        &[Role::Platform, Role::Authority],
    ),
    (
        "GET",
        "/v1/tax-codes/{code}",
        &[Role::Platform, Role::Authority],
    ),
    (
        "POST",
        "/v1/invoices/check",
        &[Role::Platform, Role::Authority],
    ),
    (
        "POST",
        "/v1/claims/verify",
        &[Role::Platform, Role::Authority],
    ),
    (
        "POST",
        "/v1/claims/verify-batch",
        &[Role::Platform, Role::Authority],
    ),
    (
        "POST",
        "/v1/resolve",
        &[Role::Platform, Role::Authority, Role::Registry],
    ),
    ("PUT", "/v1/reference/{kind}", &[Role::Steward]),
    ("GET", "/v1/audit", &[Role::Authority]),
    ("GET", "/v1/audit/verify", &[]),
    ("POST", "/v1/takedowns", &[Role::Authority]),
    ("GET", "/v1/takedowns", &[Role::Authority]),
    ("POST", "/v1/takedowns/batch", &[Role::Authority]),
    ("GET", "/v1/takedowns/{id}", &[Role::Authority]),
    ("POST", "/v1/takedowns/{id}/withdraw", &[Role::Authority]),
    ("POST", "/v1/takedowns/{id}/confirm", &[Role::Authority]),
    ("GET", "/v1/registry/requests", &[Role::Registry]),
    (
        "POST",
        "/v1/registry/requests/{id}/decision",
        &[Role::Registry],
    ),
    ("GET", "/v1/queue/dead-letters", &[]),
    ("GET", "/v1/blocklist", &[Role::Operator, Role::Authority]),
    ("POST", "/v1/blocklist/acks", &[Role::Operator]),
    ("GET", "/v1/blocklist/compliance", &[Role::Authority]),
    ("GET", "/v1/platform/notices", &[Role::Platform]),
    (
        "POST",
        "/v1/platform/notices/{id}/outcome",
        &[Role::Platform],
    ),
    ("GET", "/v1/platform/compliance", &[Role::Authority]),
];

/// A path with every parameter filled with something no route accepts.
fn hostile_path(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        path.push_str("%00..%2F");
        rest = &rest[rest[start..]
            .find('}')
            .map_or(rest.len(), |end| start + end + 1)..];
    }
    path.push_str(rest);
    path + "?limit=0&cursor=%00&state=nonsense&format=zzz&since=-1&unexpected=1"
}

#[tokio::test]
async fn every_route_refuses_the_wrong_role_before_reading_path_query_or_body() {
    let app = TestApp::spawn().await;
    let doc = originguard::http::router::openapi();
    let mut documented = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ] {
            if operation.as_ref().is_some_and(|o| o.security.is_some()) {
                documented.push((method, path.clone()));
            }
        }
    }
    for (method, path) in &documented {
        assert!(
            ROUTES.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is not in the table: add it with its roles"
        );
    }
    assert_eq!(
        documented.len(),
        ROUTES.len(),
        "the table lists a route the API lacks"
    );
    for (method, template, allowed) in ROUTES {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let url = hostile_path(template);
        for role in Role::ALL {
            if role == Role::Admin {
                continue;
            }
            let answer = app
                .request(method.clone(), &url)
                .key(&app.keys[&role])
                .header("content-type", "application/json")
                .body(r#"{"unexpected_field":[1], "#)
                .send()
                .await;
            if allowed.contains(&role) {
                assert!(
                    answer.status != 401 && answer.status != 403,
                    "{role} is refused on {method} {template}: {} {}",
                    answer.status,
                    answer.text
                );
            } else {
                assert_eq!(
                    (answer.status, answer.json["code"].as_str()),
                    (403, Some("forbidden")),
                    "{role} on {method} {template}: {}",
                    answer.text
                );
            }
        }
    }
}

#[tokio::test]
async fn two_authorization_headers_are_refused_even_when_one_is_valid() {
    let app = TestApp::spawn().await;
    let good = format!("Bearer {}", app.keys[&Role::Platform]);
    for pair in [
        [good.as_str(), "Bearer og_not_a_key"],
        ["Bearer og_not_a_key", good.as_str()],
        [good.as_str(), good.as_str()],
    ] {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let mut headers = reqwest::header::HeaderMap::new();
        for value in pair {
            headers.append(
                reqwest::header::AUTHORIZATION,
                value.parse().expect("header value"),
            );
        }
        let answer = client
            .get(app.url("/v1/tax-codes/0100109106"))
            .headers(headers)
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 401, "{pair:?}");
        let body: serde_json::Value = answer.json().await.expect("problem");
        assert_eq!(body["code"], "unauthorized", "{pair:?}");
    }
    let one = app
        .get_as(Role::Platform, "/v1/tax-codes/0100109106")
        .send()
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
}

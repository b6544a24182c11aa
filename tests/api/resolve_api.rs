//! `POST /v1/resolve` over HTTP, against a real authoritative DNS server and a real TLS
//! server on loopback. Nothing leaves the machine: the resolver knows only the loopback
//! server, and documentation addresses are refused by the guard before any connection.

use crate::common;

use common::{dns_server, test_network, tls_server, TestApp};
use originguard::auth::Role;
use serde_json::{json, Value};

async fn app_with_dns() -> (TestApp, dns_server::DnsServer) {
    let server = dns_server::start().await;
    let app = TestApp::builder()
        .network(test_network(vec![server.addr]))
        .spawn()
        .await;
    (app, server)
}

fn codes(result: &Value) -> Vec<String> {
    result["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["code"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_shop_url_resolves_to_records_addresses_and_its_registrable_domain() {
    let (app, _dns) = app_with_dns().await;
    let answer = app
        .post_as(Role::Authority, "/v1/resolve", &json!({"targets": ["https://www.example.vn/p/1", "giay.example.com", "192.0.2.10", "10.1.2.3", "not a target!"]}))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let results = answer.json["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "one result per target, in input order");
    let shop = &results[0];
    assert_eq!(shop["target"], "https://www.example.vn/p/1");
    assert_eq!(shop["kind"], "domain");
    assert_eq!(shop["is_vn"], true);
    assert_eq!(shop["registrable_domain"], "example.vn");
    assert!(
        shop["records"]["cname"]
            .as_array()
            .is_some_and(|c| c.len() == 3),
        "three-hop chain: {shop}"
    );
    assert!(shop["records"]["a"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "192.0.2.10"));
    let address = shop["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["ip"] == "192.0.2.10")
        .expect("address");
    assert_eq!(address["private"], false);
    assert!(
        address["country"].is_string(),
        "country from the allocation sample: {address}"
    );
    assert_eq!(results[1]["is_vn"], false);
    assert!(
        codes(&results[1]).contains(&"nxdomain".to_owned()),
        "{}",
        results[1]
    );
    assert_eq!(results[2]["kind"], "ip");
    assert_eq!(results[3]["kind"], "ip");
    assert_eq!(results[3]["addresses"][0]["private"], true);
    assert!(codes(&results[4]).contains(&"invalid_target".to_owned()));
}

#[tokio::test]
async fn tls_is_peeked_only_where_the_guard_allows() {
    let (app, _dns) = app_with_dns().await;
    let (_tls, tls_addr) = tls_server::start(&["leaf.pem", "ca.pem"], "leaf.key").await;
    let target = format!("https://tls.example.vn:{}/", tls_addr.port());
    let answer = app
        .post_as(
            Role::Registry,
            "/v1/resolve",
            &json!({"targets": [target, "https://shop.example.vn/"], "tls": true}),
        )
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let loopback = &answer.json["results"][0];
    let sha = loopback["tls"]["sha256"]
        .as_str()
        .expect("certificate read from the loopback server");
    assert_eq!(sha.len(), 64);
    assert!(loopback["tls"]["sans"]
        .as_array()
        .is_some_and(|s| s.len() > 1));
    let documentation = &answer.json["results"][1];
    assert!(documentation["tls"].is_null());
    assert!(
        codes(documentation).contains(&"blocked_address".to_owned()),
        "{documentation}"
    );
}

#[tokio::test]
async fn resolution_is_for_platforms_agencies_and_the_registry_and_bounded() {
    let (app, _dns) = app_with_dns().await;
    let body = json!({"targets": ["example.vn"]});
    app.post_as(Role::Operator, "/v1/resolve", &body)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post_as(Role::Steward, "/v1/resolve", &body)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let many: Vec<String> = (0..1001).map(|i| format!("{i}.example.vn")).collect();
    let refused = app
        .post_as(Role::Platform, "/v1/resolve", &json!({"targets": many}))
        .send()
        .await;
    let problem = refused.assert_problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["code"], "too_many_targets");
    let empty = app
        .post_as(Role::Platform, "/v1/resolve", &json!({"targets": []}))
        .send()
        .await;
    assert_eq!(empty.json["results"], json!([]));
}

/// The count of DNS queries by path grows on each: a chain inside one zone is settled on the
/// direct UDP path, one leading into another zone is handed to hickory-resolver.
#[tokio::test]
async fn metrics_count_queries_by_the_path_that_settled_them() {
    let (app, _dns) = app_with_dns().await;
    let count = |text: &str, path: &str| -> f64 {
        let prefix = format!("originguard_dns_queries_total{{path=\"{path}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let before = app.get("/metrics").send().await.text;
    let answer = app
        .post_as(
            Role::Platform,
            "/v1/resolve",
            &json!({"targets": ["www.example.vn", "cross.example.vn"]}),
        )
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.json["results"][1]["records"]["a"],
        json!(["198.51.100.20"]),
        "the chain into example.com was followed"
    );
    let after = app.get("/metrics").send().await.text;
    assert!(
        count(&after, "direct") >= count(&before, "direct") + 4.0,
        "{after}"
    );
    assert!(
        count(&after, "hickory") >= count(&before, "hickory") + 2.0,
        "A and AAAA of the cross-zone chain: {after}"
    );
}

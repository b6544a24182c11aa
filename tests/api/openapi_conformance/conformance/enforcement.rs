//! Takedowns, the registry's queue, the operators' blocklist, the platforms' channel, the audit
//! log and the dead letters: the document's request examples, the requests each operation
//! refuses, and the workers moving requests on in between.

use originguard::auth::Role;
use reqwest::Method;
use serde_json::{json, Value};

use super::access::UNKNOWN_ID;
use super::{expect, lines_holding, Client};
use crate::common::takedowns::{request, wait_for};

/// The requests the later steps work on, by where the workers route them.
pub struct Filed {
    /// A `.vn` domain in the registry's queue.
    pub registry: String,
    /// An address on the operators' blocklist.
    pub blocked: String,
    /// A listing on Shopee: a notice to the platform.
    pub notice: String,
    /// An address of shared infrastructure, held for review.
    pub held: String,
}

fn id_of(answer: &crate::common::Answer) -> String {
    answer.json["id"].as_str().expect("id").to_owned()
}

/// `POST /v1/takedowns` and its batch: the examples, an idempotent retry and its conflict, a
/// request of each channel, and the bodies and keys refused.
pub async fn submit(client: &Client<'_>) -> Filed {
    let path = "/v1/takedowns";
    let example = client.example(Method::POST, path);
    let key = [("idempotency-key", "qltt-hn-2026-11-02-0001")];
    let first = client
        .post_with(Role::Authority, path, &example, &key)
        .await;
    let registry = id_of(expect(&first, 202));
    let again = client
        .post_with(Role::Authority, path, &example, &key)
        .await;
    assert_eq!(id_of(expect(&again, 202)), registry);
    let mut other = example.clone();
    other["notes"] = json!("Another body under the same key.");
    expect(
        &client.post_with(Role::Authority, path, &other, &key).await,
        409,
    );
    let mut filed = Vec::new();
    for target in [
        "203.0.113.7",
        "https://shopee.vn/fake-shop-99",
        "198.51.100.7",
    ] {
        let answer = client.post(Role::Authority, path, &request(target)).await;
        filed.push(id_of(expect(&answer, 202)));
    }
    client
        .post_expect(Role::Authority, path, &json!({}), 422)
        .await;
    let empty_key = [("idempotency-key", "")];
    expect(
        &client
            .post_with(Role::Authority, path, &example, &empty_key)
            .await,
        422,
    );
    let raw = |body: String| async move {
        let json = Some("application/json");
        client
            .raw(Role::Authority, Method::POST, path, json, body)
            .await
    };
    expect(&raw("{\"target\":".into()).await, 400);
    expect(
        &raw(format!(
            "{{\"notes\":\"{}\"}}",
            "n".repeat(super::BODY_LIMIT)
        ))
        .await,
        413,
    );

    let batch = "/v1/takedowns/batch";
    let example = client.example(Method::POST, batch);
    let lines = example.as_str().expect("text").to_owned();
    let answer = client
        .post_ndjson(Role::Authority, batch, lines, &key)
        .await;
    assert_eq!(lines_holding(&answer, "id").len(), 2, "{}", answer.text);
    let bad = "not json\n{}\n{\"target\":7}\n".to_owned();
    let answer = client.post_ndjson(Role::Admin, batch, bad, &[]).await;
    assert_eq!(lines_holding(&answer, "errors").len(), 3, "{}", answer.text);
    let answer = client
        .post_ndjson(Role::Authority, batch, String::new(), &empty_key)
        .await;
    expect(&answer, 422);

    let [blocked, notice, held] = <[String; 3]>::try_from(filed).expect("three");
    for (id, state) in [
        (&registry, "pending_review"),
        (&blocked, "blocked"),
        (&notice, "pending_platform"),
        (&held, "needs_review"),
    ] {
        wait_for(client.app, id, state).await;
    }
    Filed {
        registry,
        blocked,
        notice,
        held,
    }
}

/// `GET /v1/takedowns` with filters and paging, and `GET /v1/takedowns/{id}`.
pub async fn listing(client: &Client<'_>, filed: &Filed) {
    client
        .get_expect(Role::Authority, "/v1/takedowns", 200)
        .await;
    let query = "/v1/takedowns?state=blocked&channel=operators&target=203.0.113.7&limit=10";
    client.lists(Role::Authority, query, &filed.blocked).await;
    let page = client.get(Role::Admin, "/v1/takedowns?limit=1").await;
    let cursor = expect(&page, 200).json["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let next = format!("/v1/takedowns?limit=1&cursor={cursor}");
    client.get_expect(Role::Admin, &next, 200).await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=many",
        "state=gone",
        "channel=isp",
        "cursor=td_1",
    ] {
        client
            .get_expect(Role::Authority, &format!("/v1/takedowns?{query}"), 422)
            .await;
    }
    let one = format!("/v1/takedowns/{}", filed.registry);
    client.get_expect(Role::Authority, &one, 200).await;
    let unknown = format!("/v1/takedowns/{UNKNOWN_ID}");
    client.get_expect(Role::Authority, &unknown, 404).await;
    client
        .get_expect(Role::Authority, "/v1/takedowns/42", 404)
        .await;
    client
        .get_expect(Role::Admin, "/v1/takedowns/%FF%FE", 400)
        .await;
}

/// `withdraw` and `confirm`: the examples, the second time (409) and the bodies refused.
pub async fn withdraw_and_confirm(client: &Client<'_>, filed: &Filed) {
    let withdraw = |id: &str| format!("/v1/takedowns/{id}/withdraw");
    let example = client.example(Method::POST, "/v1/takedowns/{id}/withdraw");
    let lifted = client
        .post(Role::Authority, &withdraw(&filed.blocked), &example)
        .await;
    assert_eq!(expect(&lifted, 200).json["state"], "lifted");
    client
        .post_expect(Role::Authority, &withdraw(&filed.blocked), &example, 409)
        .await;
    client
        .post_expect(Role::Authority, &withdraw(&filed.registry), &json!({}), 422)
        .await;
    client
        .post_expect(Role::Admin, &withdraw(UNKNOWN_ID), &example, 404)
        .await;

    let confirm = format!("/v1/takedowns/{}/confirm", filed.held);
    let refused = json!({"reason": "dedicated address", "accept_collateral": false});
    client
        .post_expect(Role::Authority, &confirm, &refused, 422)
        .await;
    let example = client.example(Method::POST, "/v1/takedowns/{id}/confirm");
    client
        .post_expect(Role::Authority, &confirm, &example, 200)
        .await;
    client
        .post_expect(Role::Authority, &confirm, &example, 409)
        .await;
    let unknown = format!("/v1/takedowns/{UNKNOWN_ID}/confirm");
    client
        .post_expect(Role::Authority, &unknown, &example, 404)
        .await;
}

/// The registry's queue and its decisions.
pub async fn registry(client: &Client<'_>, filed: &Filed) {
    let queue = "/v1/registry/requests";
    client.lists(Role::Registry, queue, &filed.registry).await;
    client
        .get_expect(Role::Registry, "/v1/registry/requests?state=suspended", 200)
        .await;
    for query in ["state=blocked", "limit=0", "cursor=7"] {
        let path = format!("/v1/registry/requests?{query}");
        client.get_expect(Role::Registry, &path, 422).await;
    }
    let decide = |id: &str| format!("/v1/registry/requests/{id}/decision");
    let path = decide(&filed.registry);
    let no_days = json!({"decision": "suspend", "reason": "counterfeit cosmetics"});
    client
        .post_expect(Role::Registry, &path, &no_days, 422)
        .await;
    let unknown = json!({"decision": "explode", "reason": "counterfeit cosmetics"});
    client
        .post_expect(Role::Registry, &path, &unknown, 422)
        .await;
    let example = client.example(Method::POST, "/v1/registry/requests/{id}/decision");
    let suspended = client.post(Role::Registry, &path, &example).await;
    assert_eq!(expect(&suspended, 200).json["state"], "suspended");
    let reject = json!({"decision": "reject", "reason": "no longer counterfeit"});
    client
        .post_expect(Role::Registry, &path, &reject, 409)
        .await;
    client
        .post_expect(Role::Admin, &decide(UNKNOWN_ID), &example, 404)
        .await;
}

/// The blocklist in each form, conditional and delta requests, acknowledgements and
/// compliance.
pub async fn blocklist(client: &Client<'_>) {
    let full = client.get(Role::Operator, "/v1/blocklist").await;
    let version = expect(&full, 200).json["version"]
        .as_u64()
        .expect("version");
    for query in ["?format=text", "?format=rpz", "?format=json", "?since=0"] {
        client
            .get_expect(Role::Operator, &format!("/v1/blocklist{query}"), 200)
            .await;
    }
    let delta = format!("/v1/blocklist?since={version}");
    client.get_expect(Role::Authority, &delta, 200).await;
    for accept in ["text/plain", "text/dns"] {
        let answer = client
            .get_with(Role::Operator, "/v1/blocklist", ("accept", accept))
            .await;
        expect(&answer, 200);
    }
    let tag = format!("\"{version}\"");
    let unchanged = client.get_with(Role::Operator, "/v1/blocklist", ("if-none-match", &tag));
    expect(&unchanged.await, 304);
    for query in ["since=99999999", "since=new", "format=xml"] {
        let path = format!("/v1/blocklist?{query}");
        client.get_expect(Role::Operator, &path, 422).await;
    }
    let acks = "/v1/blocklist/acks";
    let example = client.example(Method::POST, acks);
    client.post(Role::Operator, acks, &example).await;
    client
        .post_expect(Role::Operator, acks, &json!({"version": version}), 200)
        .await;
    let ahead = json!({"version": version + 1000});
    client.post_expect(Role::Operator, acks, &ahead, 422).await;
    client
        .post_expect(Role::Operator, acks, &json!({"version": -1}), 422)
        .await;
    // Admin records an acknowledgement only for an operator it names.
    client
        .post_expect(Role::Admin, acks, &json!({"version": version}), 422)
        .await;
    client
        .post_expect(
            Role::Admin,
            acks,
            &json!({"version": version, "operator": "vnpt"}),
            200,
        )
        .await;
    client
        .post_expect(
            Role::Operator,
            acks,
            &json!({"version": version, "operator": "vnpt"}),
            422,
        )
        .await;
    client
        .get_expect(Role::Authority, "/v1/blocklist/compliance", 200)
        .await;
}

/// A platform's notices and outcomes, and the platforms' compliance.
pub async fn platform(client: &Client<'_>, filed: &Filed) {
    let notices = "/v1/platform/notices";
    client.lists(Role::Platform, notices, &filed.notice).await;
    let open = "/v1/platform/notices?state=pending_platform&limit=10";
    client.get_expect(Role::Platform, open, 200).await;
    for query in ["?state=blocked", "?limit=0", "?cursor=x"] {
        let path = format!("/v1/platform/notices{query}");
        client.get_expect(Role::Platform, &path, 422).await;
    }
    client
        .get_expect(Role::Admin, "/v1/platform/notices", 422)
        .await;
    client
        .get_expect(Role::Admin, "/v1/platform/notices?platform=shopee", 200)
        .await;
    let outcome = |id: &str| format!("/v1/platform/notices/{id}/outcome");
    let path = outcome(&filed.notice);
    for refused in [
        json!({"outcome": "declined"}),
        json!({"outcome": "account_locked", "lock_days": 0}),
        json!({"outcome": "vanished"}),
    ] {
        client
            .post_expect(Role::Platform, &path, &refused, 422)
            .await;
    }
    let example = client.example(Method::POST, "/v1/platform/notices/{id}/outcome");
    let locked = client.post(Role::Platform, &path, &example).await;
    assert_eq!(expect(&locked, 200).json["state"], "account_locked");
    let removed = json!({"outcome": "removed"});
    client
        .post_expect(Role::Platform, &path, &removed, 409)
        .await;
    client
        .post_expect(Role::Platform, &outcome(UNKNOWN_ID), &example, 404)
        .await;
    client
        .get_expect(Role::Authority, "/v1/platform/compliance", 200)
        .await;
}

/// The audit log, its chain, and the dead letters.
pub async fn audit_and_queue(client: &Client<'_>, filed: &Filed) {
    client.get_expect(Role::Admin, "/v1/audit", 200).await;
    client.get_expect(Role::Authority, "/v1/audit", 200).await;
    let subject = format!("/v1/audit?subject={}", filed.registry);
    let entries = client.get(Role::Admin, &subject).await;
    assert!(expect(&entries, 200).json["entries"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    let page = client.get(Role::Admin, "/v1/audit?limit=2").await;
    let cursor: Value = expect(&page, 200).json["next_cursor"].clone();
    let next = format!(
        "/v1/audit?limit=2&cursor={}",
        cursor.as_str().expect("cursor")
    );
    client.get_expect(Role::Admin, &next, 200).await;
    for query in ["limit=0", "cursor=x"] {
        client
            .get_expect(Role::Admin, &format!("/v1/audit?{query}"), 422)
            .await;
    }
    client
        .get_expect(Role::Admin, "/v1/audit/verify", 200)
        .await;
    client
        .get_expect(Role::Admin, "/v1/queue/dead-letters", 200)
        .await;
    for query in ["limit=1001", "cursor=x"] {
        let path = format!("/v1/queue/dead-letters?{query}");
        client.get_expect(Role::Admin, &path, 422).await;
    }
}

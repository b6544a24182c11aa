//! The platforms' channel and the collateral-damage guard through the HTTP API, with real
//! Redis, in-process workers and a loopback DNS server: a listing on a platform is a notice to
//! that platform (never a block of its domain, never a registry request), a platform's own
//! domain, a public suffix or shared infrastructure is held until an authority confirms, the
//! platform answers its own notices only, repeat offenders get lock recommendations, and the
//! compliance figures count what is open and overdue.

use crate::common;

use std::time::Duration;

use common::platforms::{
    add_key, blocked_values, blocklist, compliance, compliance_of, confirm, error_fields,
    field_errors, load_all, load_test_lists, ndjson, notice, notice_ids, notice_list, notices,
    outcome, platform, platform_key, registry_queue, shopee_key, shopee_outcome, test_platforms,
    test_shared_infrastructure, PLATFORMS_FIXTURE, SHARED_FIXTURE,
};
use common::takedowns::{
    self, app, audit_actions, get, request, submit, submit_until, takedown, wait_for, withdraw,
    WAIT,
};
use common::{eventually, rejections, TestApp};
use originguard::auth::{Caller, Role};
use serde_json::{json, Value};

/// Asserts that nothing about `ids` reached the operators or the registry: the blocklist is
/// still at `version` and holds none of `values`, and the registry's queue has none of `ids`.
async fn assert_enforced_nowhere(app: &TestApp, version: &Value, ids: &[&str], values: &[&str]) {
    let list = blocklist(app).await;
    assert_eq!(&list["version"], version, "the blocklist moved: {list}");
    let blocked = blocked_values(&list);
    for value in values {
        assert!(
            !blocked.iter().any(|b| b == value),
            "{value} is on the blocklist: {list}"
        );
    }
    let queue = registry_queue(app).await;
    for id in ids {
        assert!(
            !queue.iter().any(|q| q == id),
            "{id} is in the registry queue"
        );
    }
}

/// The notice of a takedown in `pending_platform`, as the admin sees the takedown.
async fn notice_of(app: &TestApp, id: &str) -> Value {
    let routed = wait_for(app, id, "pending_platform").await;
    assert_eq!(routed["channel"], "platform", "{routed}");
    routed["notice"].clone()
}

/// A held request's findings, once it is in `needs_review`.
async fn findings_of(app: &TestApp, id: &str) -> Value {
    let held = wait_for(app, id, "needs_review").await;
    assert_eq!(held["channel"], Value::Null, "{held}");
    held["findings"].clone()
}

fn removed() -> Value {
    json!({"outcome": "removed", "reason": "listing taken down"})
}

fn locked(days: u32) -> Value {
    json!({"outcome": "account_locked", "reason": "counterfeit seller", "lock_days": days})
}

fn declined() -> Value {
    json!({"outcome": "declined", "reason": "the listing is a genuine reseller's"})
}

fn seconds_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("timestamp")).expect("RFC 3339")
    };
    (parse(to) - parse(from)).num_seconds()
}

// ---------------------------------------------------------------------------------------------
// The requests of the issue: a listing on a platform is a notice, not a block.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_sellers_facebook_page_is_a_notice_to_facebook_not_a_block() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let id = submit_until(
        &app,
        "https://www.facebook.com/fakeshop123",
        "pending_platform",
    )
    .await;
    let notice = notice_of(&app, &id).await;
    assert_eq!(notice["platform"], "facebook", "{notice}");
    assert_eq!(notice["account"], "fakeshop123", "{notice}");
    assert!(notice["notified_at"].is_string(), "{notice}");
    assert!(notice["due_at"].is_string(), "{notice}");
    assert_eq!(notice["lock_recommendation"], Value::Null);
    assert_eq!(notice["lock_days"], Value::Null);
    assert_eq!(notice["acted_at"], Value::Null);
    // The agency sees the same.
    let theirs = get(&app, Role::Authority, &id).await;
    assert_eq!(theirs.json["state"], "pending_platform", "{}", theirs.text);
    assert_eq!(theirs.json["notice"]["platform"], "facebook");

    assert_enforced_nowhere(
        &app,
        &before["version"],
        &[&id],
        &["www.facebook.com", "facebook.com"],
    )
    .await;
    // Facebook's notice is not Shopee's.
    assert_eq!(
        notice_ids(&app, &shopee_key(&app), "").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_shopee_shop_is_a_notice_to_shopee_and_never_a_registry_request() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let id = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    let routed = takedown(&app, &id).await;
    assert_eq!(routed["is_vn"], true, "a .vn name all the same: {routed}");
    let notice = notice_of(&app, &id).await;
    assert_eq!(notice["platform"], "shopee", "{notice}");
    assert_eq!(notice["account"], "fake-shop-99", "{notice}");

    assert_enforced_nowhere(&app, &before["version"], &[&id], &["shopee.vn"]).await;
    // Shopee gets it.
    assert_eq!(notice_ids(&app, &shopee_key(&app), "").await, [id.as_str()]);
}

#[tokio::test]
async fn a_url_on_a_cdn_platform_is_a_notice_and_nothing_is_blocked() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let root = submit_until(&app, "https://cdn-provider.net/x", "pending_platform").await;
    assert_eq!(notice_of(&app, &root).await["platform"], "cdn-provider");
    // A host below the platform's domain, with no account pattern: the host is the account.
    let below = submit_until(
        &app,
        "https://fakeshop.cdn-provider.net/x",
        "pending_platform",
    )
    .await;
    let notice = notice_of(&app, &below).await;
    assert_eq!(notice["platform"], "cdn-provider", "{notice}");
    assert_eq!(notice["account"], "fakeshop.cdn-provider.net", "{notice}");

    assert_enforced_nowhere(
        &app,
        &before["version"],
        &[&root, &below],
        &["cdn-provider.net", "fakeshop.cdn-provider.net"],
    )
    .await;
    assert_eq!(blocklist(&app).await["additions"], json!([]));
}

#[tokio::test]
async fn a_tiktok_at_account_url_names_the_account_in_lower_case() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let id = submit_until(
        &app,
        "https://www.tiktok.com/@Shop_Fake/video/7",
        "pending_platform",
    )
    .await;
    let notice = notice_of(&app, &id).await;
    assert_eq!(notice["platform"], "tiktok", "{notice}");
    assert_eq!(notice["account"], "shop_fake", "{notice}");
    let lazada = submit_until(
        &app,
        "https://www.lazada.vn/shop/fake-lazada",
        "pending_platform",
    )
    .await;
    let notice = notice_of(&app, &lazada).await;
    assert_eq!(notice["platform"], "lazada", "{notice}");
    assert_eq!(notice["account"], "fake-lazada", "{notice}");
}

// ---------------------------------------------------------------------------------------------
// The collateral-damage guard.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bare_platform_domain_is_held_for_review_and_enforced_nowhere() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let shopee = json!([{"code": "platform_domain", "name": "Shopee", "kind": "marketplace"}]);
    let facebook =
        json!([{"code": "platform_domain", "name": "Facebook", "kind": "social_network"}]);
    let mut ids = Vec::new();
    for (target, expected) in [
        ("shopee.vn", &shopee),
        ("https://shopee.vn/", &shopee),
        ("www.facebook.com", &facebook),
    ] {
        let id = takedowns::submit_target(&app, target).await;
        assert_eq!(&findings_of(&app, &id).await, expected, "{target}");
        ids.push(id);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_enforced_nowhere(
        &app,
        &before["version"],
        &ids,
        &["shopee.vn", "www.facebook.com", "facebook.com"],
    )
    .await;
    // Not a notice either.
    assert_eq!(
        notice_ids(&app, &shopee_key(&app), "").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_shop_under_a_private_public_suffix_is_blocked_alone_and_the_suffix_is_held() {
    let (app, _dns) = app().await;
    // No platform lists blogspot.com.
    load_test_lists(&app).await;

    let shop = submit_until(&app, "https://fakeshop.blogspot.com/p/1", "blocked").await;
    assert_eq!(takedown(&app, &shop).await["channel"], "operators");
    let list = blocklist(&app).await;
    let values = blocked_values(&list);
    assert!(
        values.iter().any(|v| v == "fakeshop.blogspot.com"),
        "{list}"
    );
    assert!(!values.iter().any(|v| v == "blogspot.com"), "{list}");

    let suffix = takedowns::submit_target(&app, "blogspot.com").await;
    let findings = findings_of(&app, &suffix).await;
    assert_eq!(findings[0]["code"], "public_suffix", "{findings}");
    assert_enforced_nowhere(&app, &list["version"], &[&suffix], &["blogspot.com"]).await;
}

#[tokio::test]
async fn an_address_inside_a_cdn_range_is_held_and_one_outside_is_blocked() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let cdn = json!([{"code": "shared_infrastructure", "name": "Example CDN", "kind": "cdn"}]);
    let mut held = Vec::new();
    for target in ["198.51.100.7", "198.51.100.128/25", "2001:db8:cd::5"] {
        let id = takedowns::submit_target(&app, target).await;
        assert_eq!(findings_of(&app, &id).await, cdn, "{target}");
        held.push(id);
    }
    let held: Vec<&str> = held.iter().map(String::as_str).collect();
    assert_enforced_nowhere(
        &app,
        &before["version"],
        &held,
        &["198.51.100.7", "198.51.100.128/25", "2001:db8:cd::5"],
    )
    .await;

    let outside = submit_until(&app, "203.0.113.7", "blocked").await;
    assert_eq!(takedown(&app, &outside).await["channel"], "operators");
    assert_eq!(blocked_values(&blocklist(&app).await), ["203.0.113.7"]);
}

#[tokio::test]
async fn confirming_with_accepted_collateral_moves_a_held_request_on_and_audits_why() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;
    let ip = takedowns::submit_target(&app, "198.51.100.7").await;
    findings_of(&app, &ip).await;

    let reason = "the CDN customer is the offender; the address is dedicated";
    for (body, field) in [
        (json!({"reason": reason}), "accept_collateral"),
        (
            json!({"reason": reason, "accept_collateral": false}),
            "accept_collateral",
        ),
        (json!({"accept_collateral": true}), "reason"),
    ] {
        let answer = confirm(&app, Role::Authority, &ip, body.clone()).await;
        let problem = answer.assert_problem(422, "invalid_request");
        assert!(
            error_fields(problem).iter().any(|f| f == field),
            "{body} → {}",
            answer.text
        );
    }
    assert_eq!(takedown(&app, &ip).await["state"], "needs_review");
    assert_eq!(blocklist(&app).await["version"], before["version"]);

    let confirmed = confirm(
        &app,
        Role::Authority,
        &ip,
        json!({"reason": reason, "accept_collateral": true}),
    )
    .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.json["state"], "blocked", "{}", confirmed.text);
    assert_eq!(confirmed.json["channel"], "operators");
    assert!(blocked_values(&blocklist(&app).await)
        .iter()
        .any(|v| v == "198.51.100.7"));
    confirm(
        &app,
        Role::Authority,
        &ip,
        json!({"reason": reason, "accept_collateral": true}),
    )
    .await
    .assert_problem(409, "conflict");

    let audit = app
        .get_as(Role::Admin, &format!("/v1/audit?subject={ip}"))
        .send()
        .await;
    let entry = audit.json["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["action"] == "takedown.confirm"))
        .unwrap_or_else(|| panic!("no takedown.confirm entry: {}", audit.text));
    assert_eq!(entry["details"]["accept_collateral"], true, "{entry}");
    assert_eq!(entry["details"]["reason"], reason, "{entry}");

    // A held .vn name goes on to the registry; a foreign one to the operators.
    let vn = takedowns::submit_target(&app, "shopee.vn").await;
    findings_of(&app, &vn).await;
    let answer = confirm(
        &app,
        Role::Admin,
        &vn,
        json!({"reason": "the whole site sells fakes", "accept_collateral": true}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["state"], "pending_review", "{}", answer.text);
    assert!(registry_queue(&app).await.contains(&vn));

    let foreign = takedowns::submit_target(&app, "www.facebook.com").await;
    findings_of(&app, &foreign).await;
    let answer = confirm(
        &app,
        Role::Authority,
        &foreign,
        json!({"reason": "court order against the site", "accept_collateral": true}),
    )
    .await;
    assert_eq!(answer.json["state"], "blocked", "{}", answer.text);
    assert!(blocked_values(&blocklist(&app).await)
        .iter()
        .any(|v| v == "www.facebook.com"));

    // Only held requests are confirmed.
    let notice = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    confirm(
        &app,
        Role::Authority,
        &notice,
        json!({"reason": reason, "accept_collateral": true}),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn a_platform_notice_and_a_held_request_can_be_withdrawn() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let before = blocklist(&app).await;

    let notice = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    let answer = withdraw(&app, &notice).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["state"], "withdrawn", "{}", answer.text);
    outcome(&app, &shopee_key(&app), &notice, removed())
        .await
        .assert_problem(409, "conflict");

    let held = takedowns::submit_target(&app, "198.51.100.7").await;
    findings_of(&app, &held).await;
    let answer = withdraw(&app, &held).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["state"], "withdrawn", "{}", answer.text);
    confirm(
        &app,
        Role::Authority,
        &held,
        json!({"reason": "too late", "accept_collateral": true}),
    )
    .await
    .assert_problem(409, "conflict");

    assert_enforced_nowhere(
        &app,
        &before["version"],
        &[&notice, &held],
        &["shopee.vn", "198.51.100.7"],
    )
    .await;
}

#[tokio::test]
async fn reserved_addresses_are_never_targets_but_documentation_ranges_are() {
    // The harness allows loopback targets for resolution; intake refuses them all the same.
    let app = TestApp::spawn().await;
    for target in [
        "10.0.0.1",
        "127.0.0.1",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "169.254.1.1",
        "100.64.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "224.0.0.1",
        "240.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::ffff:10.0.0.1",
        "10.1.0.0/16",
        "https://[::1]/x",
    ] {
        let answer = app
            .post_as(Role::Authority, "/v1/takedowns", &request(target))
            .send()
            .await;
        let problem = answer.assert_problem(422, "invalid_request");
        assert!(
            field_errors(problem).contains(&("target".to_owned(), "reserved_address".to_owned())),
            "{target}: {}",
            answer.text
        );
    }
    for target in ["192.0.2.1", "198.51.100.0/24", "2001:db8::1", "203.0.113.7"] {
        submit(&app, &request(target)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The platform's side.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_platform_key_sees_and_answers_only_its_own_platforms_notices() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    let lazada = platform_key(&app, "lazada-trust", Some("lazada")).await;

    let theirs = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    let ours = submit_until(
        &app,
        "https://www.lazada.vn/shop/fake-lazada",
        "pending_platform",
    )
    .await;
    assert_eq!(notice_ids(&app, &shopee, "").await, [theirs.as_str()]);
    assert_eq!(notice_ids(&app, &lazada, "").await, [ours.as_str()]);

    outcome(&app, &lazada, &theirs, removed())
        .await
        .assert_problem(404, "not_found");
    outcome(&app, &shopee, &ours, removed())
        .await
        .assert_problem(404, "not_found");
    outcome(&app, &shopee, "td_000000000000000000000000", removed())
        .await
        .assert_problem(404, "not_found");
    assert_eq!(takedown(&app, &theirs).await["state"], "pending_platform");
    assert_eq!(takedown(&app, &ours).await["state"], "pending_platform");

    // Each answers its own.
    let answer = outcome(&app, &lazada, &ours, removed()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["state"], "removed", "{}", answer.text);

    // A platform key acting for no platform, and other roles, get no notices.
    let unbound = platform_key(&app, "verifier-only", None).await;
    notices(&app, &unbound, "")
        .await
        .assert_problem(403, "forbidden");
    app.get_as(Role::Operator, "/v1/platform/notices")
        .send()
        .await
        .assert_problem(403, "forbidden");

    // The admin names the platform.
    let answer = app.get_as(Role::Admin, "/v1/platform/notices").send().await;
    let problem = answer.assert_problem(422, "invalid_request");
    assert!(
        error_fields(problem).iter().any(|f| f == "platform"),
        "{}",
        answer.text
    );
    let answer = app
        .get_as(Role::Admin, "/v1/platform/notices?platform=shopee")
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["notices"][0]["id"], theirs.as_str());
    assert_eq!(answer.json["notices"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn notices_come_oldest_first_with_their_deadline_and_the_accounts_record() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    let first = submit_until(&app, "https://shopee.vn/fake-shop-99/1", "pending_platform").await;
    let second = submit_until(&app, "https://shopee.vn/fake-shop-99/2", "pending_platform").await;

    let listed = notice_list(&app, &shopee, "").await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["id"], first.as_str(), "oldest first");
    assert_eq!(listed[1]["id"], second.as_str());
    let n = &listed[0];
    for field in [
        "id",
        "target",
        "account",
        "category",
        "legal_basis",
        "evidence",
        "notified_at",
        "due_at",
        "state",
        "lock_recommendation",
        "account_history",
    ] {
        assert!(
            n.as_object().is_some_and(|o| o.contains_key(field)),
            "{field} missing in {n}"
        );
    }
    assert_eq!(n["target"], "https://shopee.vn/fake-shop-99/1");
    assert_eq!(n["account"], "fake-shop-99");
    assert_eq!(n["category"], "counterfeit");
    assert_eq!(n["legal_basis"]["document_number"], "123/QĐ-QLTT");
    assert_eq!(
        n["evidence"][0]["sha256"].as_str().map(str::len),
        Some(64),
        "{n}"
    );
    assert_eq!(n["state"], "pending_platform");
    assert_eq!(n["lock_recommendation"], Value::Null);
    assert_eq!(
        n["account_history"],
        json!({"upheld_30d": 0, "upheld_90d": 0, "temporary_locks": 0})
    );
    // Decree 147/2024/NĐ-CP: 24 hours.
    assert_eq!(
        seconds_between(&n["notified_at"], &n["due_at"]),
        86_400,
        "{n}"
    );
    let seen = takedown(&app, &first).await;
    assert_eq!(seen["notice"]["notified_at"], n["notified_at"]);
    assert_eq!(seen["notice"]["due_at"], n["due_at"]);

    // Pages.
    let page = notices(&app, &shopee, "?limit=1").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.json["notices"][0]["id"], first.as_str());
    assert_eq!(page.json["notices"].as_array().map(Vec::len), Some(1));
    let cursor = page.json["next_cursor"].as_str().expect("next_cursor");
    let rest = notices(&app, &shopee, &format!("?limit=10&cursor={cursor}")).await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(
        rest.json["notices"][0]["id"],
        second.as_str(),
        "{}",
        rest.text
    );
    assert_eq!(rest.json["notices"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest.json["next_cursor"], Value::Null);

    // By state.
    shopee_outcome(&app, &first, removed()).await;
    assert_eq!(
        notice_ids(&app, &shopee, "?state=removed").await,
        [first.as_str()]
    );
    assert_eq!(
        notice_ids(&app, &shopee, "?state=pending_platform").await,
        [second.as_str()]
    );
}

#[tokio::test]
async fn an_outcome_is_recorded_once_and_a_different_one_is_a_conflict() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    let id = submit_until(&app, "https://shopee.vn/fake-shop-99/1", "pending_platform").await;

    let first = shopee_outcome(&app, &id, removed()).await;
    assert_eq!(first["id"], id.as_str(), "{first}");
    assert_eq!(first["state"], "removed", "{first}");
    assert_eq!(first["account"], "fake-shop-99", "{first}");
    let again = shopee_outcome(&app, &id, removed()).await;
    assert_eq!(again["state"], "removed", "{again}");
    let outcomes = audit_actions(&app, &id)
        .await
        .iter()
        .filter(|a| *a == "takedown.outcome")
        .count();
    assert_eq!(outcomes, 1, "the repeat is not recorded again");

    outcome(&app, &shopee, &id, declined())
        .await
        .assert_problem(409, "conflict");
    outcome(&app, &shopee, &id, locked(7))
        .await
        .assert_problem(409, "conflict");
    let done = takedown(&app, &id).await;
    assert_eq!(done["state"], "removed", "{done}");
    assert!(done["notice"]["acted_at"].is_string(), "{done}");

    let locked_id =
        submit_until(&app, "https://shopee.vn/fake-shop-99/2", "pending_platform").await;
    let answer = shopee_outcome(&app, &locked_id, locked(14)).await;
    assert_eq!(answer["state"], "account_locked", "{answer}");
    assert_eq!(takedown(&app, &locked_id).await["notice"]["lock_days"], 14);

    let declined_id =
        submit_until(&app, "https://shopee.vn/fake-shop-99/3", "pending_platform").await;
    let answer = shopee_outcome(&app, &declined_id, declined()).await;
    assert_eq!(answer["state"], "declined", "{answer}");
    assert_eq!(takedown(&app, &declined_id).await["state"], "declined");
}

#[tokio::test]
async fn outcomes_are_checked_field_by_field() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    let id = submit_until(&app, "https://shopee.vn/fake-shop-99/1", "pending_platform").await;

    for (body, field) in [
        (json!({"outcome": "declined"}), Some("reason")),
        (
            json!({"outcome": "removed", "reason": "gone", "lock_days": 7}),
            Some("lock_days"),
        ),
        (
            json!({"outcome": "declined", "reason": "genuine", "lock_days": 7}),
            Some("lock_days"),
        ),
        (
            json!({"outcome": "account_locked", "reason": "fakes", "lock_days": 0}),
            Some("lock_days"),
        ),
        (
            json!({"outcome": "account_locked", "reason": "fakes", "lock_days": 366}),
            Some("lock_days"),
        ),
        (json!({"outcome": "deleted", "reason": "gone"}), None),
    ] {
        let answer = outcome(&app, &shopee, &id, body.clone()).await;
        let problem = answer.assert_problem(422, "invalid_request");
        if let Some(field) = field {
            assert!(
                error_fields(problem).iter().any(|f| f == field),
                "{body} → {}",
                answer.text
            );
        }
    }
    assert_eq!(takedown(&app, &id).await["state"], "pending_platform");
    let answer = shopee_outcome(&app, &id, locked(365)).await;
    assert_eq!(answer["state"], "account_locked", "{answer}");
}

#[tokio::test]
async fn five_upheld_notices_in_thirty_days_make_the_next_recommend_a_temporary_lock() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    for n in 1..=5 {
        let target = format!("https://shopee.vn/fake-shop-99/{n}");
        let id = submit_until(&app, &target, "pending_platform").await;
        let notice = notice_of(&app, &id).await;
        assert_eq!(notice["lock_recommendation"], Value::Null, "notice {n}");
        shopee_outcome(&app, &id, removed()).await;
    }
    let sixth = submit_until(&app, "https://shopee.vn/fake-shop-99/6", "pending_platform").await;
    assert_eq!(
        notice_of(&app, &sixth).await["lock_recommendation"],
        "temporary"
    );
    let listed = notice(&app, &shopee, &sixth).await;
    assert_eq!(listed["lock_recommendation"], "temporary", "{listed}");
    assert_eq!(listed["account_history"]["upheld_30d"], 5, "{listed}");
    assert_eq!(listed["account_history"]["upheld_90d"], 5, "{listed}");
    assert_eq!(listed["account_history"]["temporary_locks"], 0, "{listed}");

    // Another seller's record is its own.
    let other = submit_until(&app, "https://shopee.vn/honest-shop/1", "pending_platform").await;
    assert_eq!(
        notice_of(&app, &other).await["lock_recommendation"],
        Value::Null
    );
    let listed = notice(&app, &shopee, &other).await;
    assert_eq!(listed["account_history"]["upheld_30d"], 0, "{listed}");
}

#[tokio::test]
async fn three_temporary_locks_make_the_next_notice_recommend_a_permanent_lock() {
    let (app, _dns) = app().await;
    load_test_lists(&app).await;
    let shopee = shopee_key(&app);
    for n in 1..=3 {
        let target = format!("https://shopee.vn/fake-shop-99/{n}");
        let id = submit_until(&app, &target, "pending_platform").await;
        assert_eq!(
            notice_of(&app, &id).await["lock_recommendation"],
            Value::Null,
            "notice {n}"
        );
        shopee_outcome(&app, &id, locked(7)).await;
    }
    let fourth = submit_until(&app, "https://shopee.vn/fake-shop-99/4", "pending_platform").await;
    assert_eq!(
        notice_of(&app, &fourth).await["lock_recommendation"],
        "permanent"
    );
    let listed = notice(&app, &shopee, &fourth).await;
    assert_eq!(listed["lock_recommendation"], "permanent", "{listed}");
    assert_eq!(listed["account_history"]["temporary_locks"], 3, "{listed}");
    assert_eq!(listed["account_history"]["upheld_30d"], 3, "{listed}");
}

#[tokio::test]
async fn compliance_counts_open_overdue_acted_and_declined_notices() {
    let mut settings = takedowns::settings(Duration::from_secs(86_400));
    settings.platforms.deadline = Duration::from_secs(1);
    let (app, _dns) = takedowns::app_with(settings).await;
    load_test_lists(&app).await;

    let first = submit_until(&app, "https://shopee.vn/fake-shop-99/1", "pending_platform").await;
    let second = submit_until(&app, "https://shopee.vn/fake-shop-99/2", "pending_platform").await;
    let listed = notice(&app, &shopee_key(&app), &first).await;
    assert_eq!(
        seconds_between(&listed["notified_at"], &listed["due_at"]),
        1
    );

    let overdue = eventually(WAIT, || async {
        let line = compliance_of(&app, "shopee").await;
        line["open"] == 2 && line["overdue"] == 2
    })
    .await;
    assert!(
        overdue,
        "never two overdue: {}",
        compliance_of(&app, "shopee").await
    );
    let metric = eventually(WAIT, || async {
        app.get("/metrics")
            .send()
            .await
            .text
            .lines()
            .any(|l| l.starts_with("originguard_platform_notices_overdue{platform=\"shopee\"}"))
    })
    .await;
    assert!(metric, "{}", app.get("/metrics").send().await.text);

    shopee_outcome(&app, &first, removed()).await;
    let acted = eventually(WAIT, || async {
        let line = compliance_of(&app, "shopee").await;
        line["open"] == 1 && line["overdue"] == 1
    })
    .await;
    let line = compliance_of(&app, "shopee").await;
    assert!(acted, "{line}");
    assert!(
        line["median_hours_to_act_30d"]
            .as_f64()
            .is_some_and(|h| h >= 0.0),
        "{line}"
    );
    assert_eq!(line["declined_30d"], 0, "{line}");

    shopee_outcome(&app, &second, declined()).await;
    let closed = eventually(WAIT, || async {
        let line = compliance_of(&app, "shopee").await;
        line["open"] == 0 && line["declined_30d"] == 1
    })
    .await;
    let line = compliance_of(&app, "shopee").await;
    assert!(closed, "{line}");
    assert_eq!(line["overdue"], 0, "{line}");

    // Every platform of the reference data has a line.
    let lazada = compliance_of(&app, "lazada").await;
    assert_eq!(lazada["open"], 0, "{lazada}");
    assert_eq!(lazada["overdue"], 0, "{lazada}");
    assert_eq!(lazada["declined_30d"], 0, "{lazada}");
    assert_eq!(lazada["median_hours_to_act_30d"], Value::Null, "{lazada}");

    // For authorities and admin only.
    let answer = compliance(&app, Role::Authority).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.json["platforms"].is_array(), "{}", answer.text);
    compliance(&app, Role::Platform)
        .await
        .assert_problem(403, "forbidden");
    compliance(&app, Role::Operator)
        .await
        .assert_problem(403, "forbidden");
}

// ---------------------------------------------------------------------------------------------
// Reference data.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_reference_lines_are_rejected_field_by_field_and_good_lines_are_kept() {
    let (app, _dns) = app().await;
    let platforms = [
        platform(
            "shopee",
            "Shopee",
            "marketplace",
            &["shopee.vn"],
            Some("/{account}"),
        ),
        platform("forum", "Forum", "forum", &["forum.example"], None),
        platform(
            "sendo",
            "Sendo",
            "marketplace",
            &["sendo.vn"],
            Some("/shop"),
        ),
        platform(
            "suffix",
            "Suffix",
            "marketplace",
            &["suffix.vn", "com.vn"],
            None,
        ),
        platform(
            "Tiki Shop!",
            "Tiki",
            "marketplace",
            &["tiki.vn"],
            Some("/{account}"),
        ),
        platform(
            "facebook",
            "Facebook",
            "social_network",
            &["facebook.com"],
            Some("/{account}"),
        ),
    ];
    let report = app.load("platforms", ndjson(&platforms)).await;
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["rejected_count"], 4, "{report}");
    assert_eq!(report["rejected_truncated"], false, "{report}");
    let pair = |f: &str, c: &str| vec![(f.to_owned(), c.to_owned())];
    assert_eq!(
        rejections(&report),
        vec![
            (2, pair("kind", "invalid_kind")),
            (3, pair("account_pattern", "invalid_pattern")),
            (4, pair("domains[1]", "invalid_domain")),
            (5, pair("id", "invalid_id")),
        ],
        "{report}"
    );
    for rejected in report["rejected"].as_array().expect("rejected") {
        for error in rejected["errors"].as_array().expect("errors") {
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{error}"
            );
        }
    }

    let shared = [
        json!({"name": "Example CDN", "kind": "cdn", "cidrs": ["198.51.100.0/24"]}),
        json!({"name": "Broken", "kind": "cdn", "cidrs": ["198.51.100.0/-1"]}),
        json!({"name": "Sloppy", "kind": "hosting", "cidrs": ["203.0.113.0/24", "198.51.100.1/24"]}),
        json!({"name": "Cloud", "kind": "cloud", "cidrs": ["203.0.113.0/24"]}),
        json!({"name": "Example Hosting", "kind": "hosting", "cidrs": ["192.0.2.0/24"]}),
    ];
    let report = app.load("shared-infrastructure", ndjson(&shared)).await;
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["rejected_count"], 3, "{report}");
    assert_eq!(
        rejections(&report),
        vec![
            (2, pair("cidrs[0]", "invalid_cidr")),
            (3, pair("cidrs[1]", "cidr_host_bits")),
            (4, pair("kind", "invalid_kind")),
        ],
        "{report}"
    );

    // The good lines are in force; the bad ones are not.
    let facebook = submit_until(
        &app,
        "https://www.facebook.com/fakeshop123",
        "pending_platform",
    )
    .await;
    assert_eq!(notice_of(&app, &facebook).await["platform"], "facebook");
    let shopee = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    assert_eq!(notice_of(&app, &shopee).await["platform"], "shopee");
    submit_until(&app, "https://tiki.vn/fake-tiki", "pending_review").await;
    let hosting = takedowns::submit_target(&app, "192.0.2.7").await;
    assert_eq!(
        findings_of(&app, &hosting).await[0]["name"],
        "Example Hosting"
    );
    submit_until(&app, "203.0.113.7", "blocked").await;
}

#[tokio::test]
async fn the_shipped_lists_load_cleanly_and_route_a_facebook_page_to_facebook() {
    let (app, _dns) = app().await;
    let platforms = std::fs::read_to_string(PLATFORMS_FIXTURE).expect("platforms fixture");
    let report = app.load("platforms", platforms).await;
    assert_eq!(report["rejected_count"], 0, "{report}");
    assert!(
        report["accepted"].as_u64().is_some_and(|n| n >= 10),
        "{report}"
    );
    let shared = std::fs::read_to_string(SHARED_FIXTURE).expect("shared-infrastructure fixture");
    let report = app.load("shared-infrastructure", shared).await;
    assert_eq!(report["rejected_count"], 0, "{report}");
    assert!(
        report["accepted"].as_u64().is_some_and(|n| n >= 1),
        "{report}"
    );

    let id = submit_until(
        &app,
        "https://www.facebook.com/fakeshop123",
        "pending_platform",
    )
    .await;
    assert_eq!(notice_of(&app, &id).await["platform"], "facebook");
    let shop = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    assert_eq!(notice_ids(&app, &shopee_key(&app), "").await, [shop]);
}

#[tokio::test]
async fn loading_platforms_and_shared_infrastructure_never_changes_the_blocklist() {
    let (app, _dns) = app().await;
    let block = submit_until(&app, "203.0.113.0/24", "blocked").await;
    let domain = submit_until(&app, "fake-brand.com", "blocked").await;
    let before = blocklist(&app).await;
    assert_eq!(blocked_values(&before).len(), 2, "{before}");

    let mut platforms = test_platforms();
    platforms.push(platform(
        "fake-brand",
        "Fake Brand Mall",
        "marketplace",
        &["fake-brand.com"],
        Some("/{account}"),
    ));
    load_all(&app, "platforms", &platforms).await;
    let mut shared = test_shared_infrastructure();
    shared.push(json!({"name": "Example Hosting", "kind": "hosting", "cidrs": ["203.0.113.0/24"]}));
    load_all(&app, "shared-infrastructure", &shared).await;

    let after = blocklist(&app).await;
    assert_eq!(after["version"], before["version"], "{after}");
    assert_eq!(after["checksum"], before["checksum"], "{after}");
    assert_eq!(after["additions"], before["additions"], "{after}");
    assert_eq!(takedown(&app, &block).await["state"], "blocked");
    assert_eq!(takedown(&app, &domain).await["state"], "blocked");
}

/// A key added for another platform works without a restart (so the other tests can rely on
/// it), and a platform key never files takedowns.
#[tokio::test]
async fn a_platform_key_bound_to_a_platform_still_cannot_file_takedowns() {
    let app = TestApp::spawn().await;
    load_test_lists(&app).await;
    let lazada = add_key(
        &app,
        Caller {
            name: "lazada-ops".into(),
            role: Role::Platform,
            agency: None,
            operator: None,
            platform: Some("lazada".into()),
            key_id: None,
        },
    )
    .await;
    let answer = notices(&app, &lazada, "").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["notices"], json!([]), "{}", answer.text);
    app.request(reqwest::Method::POST, "/v1/takedowns")
        .key(&lazada)
        .json(&request("giay.example.com"))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

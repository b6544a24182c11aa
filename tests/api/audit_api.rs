//! The hash-chained audit log: loads append entries, the chain verifies, tampering in Redis is
//! found and named, concurrent appends never fork the chain.

use crate::common;

use common::TestApp;
use originguard::auth::Role;
use originguard::store::audit;
use serde_json::json;

const TAXPAYER: &str = r#"{"tax_code":"0100109106","name":"A","status":"active"}"#;

#[tokio::test]
async fn every_load_is_audited_and_the_chain_verifies() {
    let app = TestApp::spawn().await;
    let empty = app.get_as(Role::Admin, "/v1/audit/verify").send().await;
    assert_eq!(
        empty.json,
        json!({"entries": 0, "head": audit::GENESIS, "valid": true, "first_bad_seq": null})
    );
    for _ in 0..3 {
        app.put_ndjson_as(Role::Steward, "/v1/reference/taxpayers", TAXPAYER)
            .send()
            .await;
    }
    app.put_ndjson_as(Role::Steward, "/v1/reference/products", "{}\n")
        .send()
        .await;
    let verified = app
        .get_as(Role::Admin, "/v1/audit/verify")
        .send()
        .await
        .json;
    assert_eq!(verified["entries"], 4);
    assert_eq!(verified["valid"], true);
    let page = app
        .get_as(Role::Admin, "/v1/audit?limit=2")
        .send()
        .await
        .json;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["seq"], 1);
    assert_eq!(entries[0]["actor"], "test-steward");
    assert_eq!(entries[0]["action"], "reference.load");
    assert_eq!(entries[0]["details"]["accepted"], 1);
    let cursor = page["next_cursor"].as_str().expect("more pages");
    let rest = app
        .get_as(Role::Admin, &format!("/v1/audit?cursor={cursor}"))
        .send()
        .await
        .json;
    let seqs: Vec<u64> = rest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![3, 4]);
    assert!(rest["next_cursor"].is_null());
    let products = app
        .get_as(Role::Admin, "/v1/audit?subject=products")
        .send()
        .await
        .json;
    assert_eq!(products["entries"][0]["details"]["rejected"], 1);
    assert_eq!(products["entries"].as_array().unwrap().len(), 1);
    assert_eq!(verified["head"], products["entries"][0]["hash"]);
}

#[tokio::test]
async fn tampering_in_redis_is_detected_at_the_first_bad_entry() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.put_ndjson_as(Role::Steward, "/v1/reference/taxpayers", TAXPAYER)
            .send()
            .await;
    }
    let mut conn = app.redis.connection();
    let ids: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg("og:{enforce}:audit:log")
        .arg("-")
        .arg("+")
        .query(&mut conn)
        .unwrap();
    let (second_id, fields) = &ids[1];
    let entry = &fields.iter().find(|(k, _)| k == "entry").unwrap().1;
    let hash = &fields.iter().find(|(k, _)| k == "hash").unwrap().1;
    let forged = entry.replace("\"accepted\":1", "\"accepted\":0");
    assert_ne!(&forged, entry);
    // Rewrite entry 2 in place: delete it and add the forged text with its old hash at the end.
    let _: () = redis::cmd("XDEL")
        .arg("og:{enforce}:audit:log")
        .arg(second_id)
        .query(&mut conn)
        .unwrap();
    let _: String = redis::cmd("XADD")
        .arg("og:{enforce}:audit:log")
        .arg("*")
        .arg("seq")
        .arg("2")
        .arg("entry")
        .arg(&forged)
        .arg("hash")
        .arg(hash)
        .query(&mut conn)
        .unwrap();
    let verified = app
        .get_as(Role::Admin, "/v1/audit/verify")
        .send()
        .await
        .json;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["first_bad_seq"], 2, "{verified}");
}

#[tokio::test]
async fn concurrent_appends_keep_one_unbroken_chain() {
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            audit::append(
                &store,
                "test",
                "test.append",
                &format!("s{i}"),
                None,
                json!({"i": i}),
            )
            .await
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=40).collect::<Vec<u64>>());
    let verified = audit::verify(&store).await.unwrap();
    assert!(verified.valid);
    assert_eq!(verified.entries, 40);
}

#[tokio::test]
async fn only_admins_verify_and_authorities_see_only_their_agency() {
    let app = TestApp::spawn().await;
    app.put_ndjson_as(Role::Steward, "/v1/reference/taxpayers", TAXPAYER)
        .send()
        .await;
    let store = app.redis.store().await;
    audit::append(
        &store,
        "x",
        "test",
        "td-1",
        Some("Cục QLTT Hà Nội"),
        json!({}),
    )
    .await
    .unwrap();
    audit::append(
        &store,
        "y",
        "test",
        "td-2",
        Some("Another agency"),
        json!({}),
    )
    .await
    .unwrap();
    app.get_as(Role::Authority, "/v1/audit/verify")
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get_as(Role::Platform, "/v1/audit")
        .send()
        .await
        .assert_problem(403, "forbidden");
    let own = app.get_as(Role::Authority, "/v1/audit").send().await.json;
    let subjects: Vec<&str> = own["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["td-1"]);
    let all = app.get_as(Role::Admin, "/v1/audit").send().await.json;
    assert_eq!(all["entries"].as_array().unwrap().len(), 3);
    app.get_as(Role::Admin, "/v1/audit?limit=0")
        .send()
        .await
        .assert_problem(422, "invalid_request");
    app.get_as(Role::Admin, "/v1/audit?cursor=nonsense")
        .send()
        .await
        .assert_problem(422, "invalid_request");
}

/// The chain hash is computed by SHA-256 in Redis's Lua; entries of every length across the
/// 64-byte block and 56-byte padding boundaries (with multi-byte UTF-8) must hash exactly as
/// the service's own SHA-256 recomputes them.
#[tokio::test]
async fn the_scripted_hash_matches_sha256_for_entries_of_every_length() {
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    for n in 0..140 {
        let text: String = "aă".chars().cycle().take(n).collect();
        audit::append(
            &store,
            "t",
            "test.length",
            "len",
            None,
            json!({ "text": text }),
        )
        .await
        .unwrap();
    }
    let verified = audit::verify(&store).await.unwrap();
    assert_eq!(verified.first_bad_seq, None);
    assert!(verified.valid);
    assert_eq!(verified.entries, 140);
}

/// A counter's new value can be written by later operations of the same change.
#[tokio::test]
async fn a_change_can_write_the_value_of_a_counter_it_increments() {
    use originguard::store::change::{Applied, Change, Cmd};
    let app = TestApp::spawn().await;
    let store = app.redis.store().await;
    for expected in ["1", "2"] {
        let mut change = Change::new();
        let version = change.counter("og:{enforce}:test:counter", "version");
        change.op(
            Cmd::Hset,
            "og:{enforce}:test:hash",
            ["v".to_owned(), version],
        );
        assert!(matches!(
            change.apply(&store).await.unwrap(),
            Applied::Done { .. }
        ));
        let stored: String = redis::cmd("HGET")
            .arg("og:{enforce}:test:hash")
            .arg("v")
            .query(&mut app.redis.connection())
            .unwrap();
        assert_eq!(stored, expected);
    }
}

//! The in-memory cache of reference records against a real Redis: it answers repeated
//! look-ups itself, and every change Redis tells it of (another client's write, FLUSHALL, a
//! restart) reaches the answers.

use crate::common;

use std::time::Duration;

use common::{eventually, TestRedis};
use originguard::reference::product::{validate_product, Product};
use originguard::reference::Record;
use originguard::store::{self, keys, Store};

const GTIN: &str = "08935049500018";

fn product(name: &str) -> Product {
    let line = format!(
        r#"{{"gtin":"{GTIN}","name":"{name}","brand":"B","manufacturer_tax_code":"0300588569","manufacturer_name":"M","country_of_origin":"VN"}}"#
    );
    validate_product(&line).expect("valid product line")
}

async fn tracking_store(redis: &TestRedis) -> Store {
    let store = Store::connect(&redis.url()).await.expect("store");
    // The first look-up opens the tracking connection; until it is up, reads go through.
    store::reference::product_with_recall(&store, GTIN, None)
        .await
        .expect("look-up");
    assert!(
        eventually(Duration::from_secs(5), || async {
            store.reads().figures().tracking
        })
        .await,
        "the tracking connection never opened"
    );
    store
}

async fn name_of(store: &Store) -> Option<String> {
    let (product, _) = store::reference::product_with_recall(store, GTIN, None)
        .await
        .expect("look-up");
    product.map(|p| p.name.clone())
}

#[tokio::test]
async fn repeated_look_ups_are_answered_from_memory() {
    let redis = TestRedis::start().await;
    let store = tracking_store(&redis).await;
    assert_eq!(name_of(&store).await, None);
    let before = store.reads().figures();
    for _ in 0..10 {
        assert_eq!(name_of(&store).await, None);
    }
    let after = store.reads().figures();
    assert_eq!(after.hits - before.hits, 10, "{before:?} → {after:?}");
    assert_eq!(after.misses, before.misses);
}

#[tokio::test]
async fn another_clients_write_reaches_the_cached_answer() {
    let redis = TestRedis::start().await;
    let store = tracking_store(&redis).await;
    let (absent, recalled) = store::reference::product_with_recall(&store, GTIN, Some("L1"))
        .await
        .expect("look-up");
    assert!(absent.is_none() && !recalled);
    // Held now: a second look-up is a hit.
    let hits = store.reads().figures().hits;
    store::reference::product_with_recall(&store, GTIN, Some("L1"))
        .await
        .expect("look-up");
    assert_eq!(store.reads().figures().hits, hits + 2);

    let mut other = redis.connection();
    let json = serde_json::to_string(&product("Written elsewhere")).expect("json");
    redis::cmd("SET")
        .arg(keys::product(GTIN))
        .arg(json)
        .query::<()>(&mut other)
        .expect("SET");
    redis::cmd("SADD")
        .arg(keys::recalls(GTIN))
        .arg("L1")
        .query::<()>(&mut other)
        .expect("SADD");
    let seen = eventually(Duration::from_secs(5), || async {
        let (product, recalled) = store::reference::product_with_recall(&store, GTIN, Some("L1"))
            .await
            .expect("look-up");
        product.is_some_and(|p| p.name == "Written elsewhere") && recalled
    })
    .await;
    assert!(seen, "the cache kept an answer Redis invalidated");
}

#[tokio::test]
async fn this_processs_own_load_is_seen_at_once() {
    let redis = TestRedis::start().await;
    let store = tracking_store(&redis).await;
    assert_eq!(name_of(&store).await, None);
    store::reference::put_records(&store, &[Record::Product(product("Loaded here"))])
        .await
        .expect("put");
    assert_eq!(name_of(&store).await.as_deref(), Some("Loaded here"));
}

#[tokio::test]
async fn flushall_empties_the_cache() {
    let redis = TestRedis::start().await;
    let store = tracking_store(&redis).await;
    store::reference::put_records(&store, &[Record::Product(product("Before flush"))])
        .await
        .expect("put");
    assert_eq!(name_of(&store).await.as_deref(), Some("Before flush"));
    assert_eq!(name_of(&store).await.as_deref(), Some("Before flush"));
    assert!(store.reads().figures().held > 0);
    redis::cmd("FLUSHALL")
        .query::<()>(&mut redis.connection())
        .expect("FLUSHALL");
    assert!(
        eventually(Duration::from_secs(5), || async {
            name_of(&store).await.is_none()
        })
        .await,
        "a flushed product was still answered"
    );
}

#[tokio::test]
async fn a_redis_restart_drops_the_cache_and_tracking_resumes() {
    let mut redis = TestRedis::start().await;
    let store = tracking_store(&redis).await;
    store::reference::put_records(&store, &[Record::Product(product("Before restart"))])
        .await
        .expect("put");
    assert_eq!(name_of(&store).await.as_deref(), Some("Before restart"));
    assert!(store.reads().figures().held > 0);

    redis.kill();
    assert!(
        eventually(Duration::from_secs(5), || async {
            !store.reads().figures().tracking
        })
        .await,
        "the closed tracking connection went unnoticed"
    );
    assert_eq!(store.reads().figures().held, 0);
    // Nothing is answered from memory while Redis is away.
    assert!(store::reference::product_with_recall(&store, GTIN, None)
        .await
        .is_err());

    redis.restart().await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            let _ = store::reference::product_with_recall(&store, GTIN, None).await;
            store.reads().figures().tracking
        })
        .await,
        "tracking did not resume after the restart"
    );
    assert_eq!(name_of(&store).await.as_deref(), Some("Before restart"));
    let json = serde_json::to_string(&product("After restart")).expect("json");
    redis::cmd("SET")
        .arg(keys::product(GTIN))
        .arg(json)
        .query::<()>(&mut redis.connection())
        .expect("SET");
    assert!(
        eventually(Duration::from_secs(5), || async {
            name_of(&store).await.as_deref() == Some("After restart")
        })
        .await,
        "a change after the restart never reached the cache"
    );
}

#[tokio::test]
async fn checks_through_the_api_use_the_cache_and_metrics_show_it() {
    use common::TestApp;
    use originguard::auth::Role;
    use serde_json::json;

    let app = TestApp::spawn().await;
    let body = json!({"code": format!("(01){GTIN}(10)LOT7")});
    let hits = |text: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix("originguard_reference_cache_hits_total "))
            .and_then(|v| v.trim().parse().ok())
    };
    let served_from_memory = eventually(Duration::from_secs(5), || async {
        let answer = app
            .post_as(Role::Platform, "/v1/traceability/check", &body)
            .send()
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let metrics = app.get("/metrics").send().await;
        hits(&metrics.text).is_some_and(|h| h >= 2.0)
    })
    .await;
    assert!(served_from_memory, "repeated checks never hit the cache");
    let metrics = app.get("/metrics").send().await;
    assert!(
        metrics
            .text
            .contains("originguard_reference_cache_tracking 1"),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn without_client_tracking_every_look_up_reads_redis() {
    let redis = TestRedis::start().await;
    // A user that may do everything except turn on client-side tracking.
    redis::cmd("ACL")
        .arg(
            &[
                "SETUSER",
                "notrack",
                "on",
                ">secret",
                "~*",
                "&*",
                "+@all",
                "-client|tracking",
            ][..],
        )
        .query::<()>(&mut redis.connection())
        .expect("ACL SETUSER");
    let url = redis.url().replace("redis://", "redis://notrack:secret@");
    let store = Store::connect(&url).await.expect("store");
    assert_eq!(name_of(&store).await, None);
    // Give the tracking attempt time to be refused.
    tokio::time::sleep(Duration::from_millis(300)).await;
    store::reference::put_records(&store, &[Record::Product(product("Seen anyway"))])
        .await
        .expect("put");
    let json = serde_json::to_string(&product("Changed elsewhere")).expect("json");
    for _ in 0..3 {
        assert!(name_of(&store).await.is_some());
    }
    redis::cmd("SET")
        .arg(keys::product(GTIN))
        .arg(json)
        .query::<()>(&mut redis.connection())
        .expect("SET");
    // Read through at once: nothing was held, so nothing is stale.
    assert_eq!(name_of(&store).await.as_deref(), Some("Changed elsewhere"));
    let figures = store.reads().figures();
    assert!(!figures.tracking);
    assert_eq!((figures.hits, figures.held), (0, 0), "{figures:?}");
}

//! Redis Cluster: the service on a real three-master cluster with one replica each. A master
//! dies during steady intake and nothing answered 202 is lost or routed twice; slots move
//! while look-ups run and none fails; readiness follows the masters; a wrong seed list fails
//! the start with one line. (The other cluster-relevant modules run on a cluster too when
//! `ORIGINGUARD_TEST_REDIS=cluster`, as `./test` does.)

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::fixtures::gtin13;
use common::takedowns::{request, settings};
use common::{dns_server, eventually, free_port, test_network, TestApp, TestRedis};
use originguard::app::Settings;
use originguard::auth::Role;
use originguard::store::{keys, Store};
use originguard::worker::WorkerConfig;
use serde_json::{json, Value};

/// Generous bound for anything that waits on the cluster or the workers.
const WAIT: Duration = Duration::from_secs(60);

/// Targets that the fixture zones answer, with the state routing leaves each in.
const TARGETS: [(&str, &str); 4] = [
    ("shop.example.vn", "pending_review"),
    ("www.example.com", "blocked"),
    ("mail.example.vn", "pending_review"),
    ("ns1.example.com", "blocked"),
];

async fn cluster_app_with_workers() -> (TestApp, dns_server::DnsServer) {
    let dns = dns_server::start().await;
    let takedowns = settings(Duration::from_secs(86_400));
    let mut workers = WorkerConfig::new(takedowns.clone());
    workers.poll_interval = Duration::from_millis(50);
    workers.visibility_timeout = Duration::from_secs(5);
    let app = TestApp::builder()
        .cluster()
        .settings(Settings {
            takedowns,
            ..Settings::default()
        })
        .network(test_network(vec![dns.addr]))
        .workers(workers)
        .spawn()
        .await;
    (app, dns)
}

/// Submits with `key` until the answer is 202 (a 503 is retried with the same key, as a
/// client should); returns the id and the number of 503s before the 202.
async fn submit_until_accepted(app: &TestApp, body: &Value, key: &str) -> (String, usize) {
    let deadline = Instant::now() + WAIT;
    let mut refused = 0;
    loop {
        let answer = app
            .post_as(Role::Authority, "/v1/takedowns", body)
            .header("idempotency-key", key)
            .send()
            .await;
        match answer.status {
            202 => return (answer.json["id"].as_str().expect("id").to_owned(), refused),
            503 => {
                refused += 1;
                assert!(
                    answer.header("retry-after").is_some(),
                    "a 503 says when to retry: {}",
                    answer.text
                );
            }
            other => panic!("submission {key}: {other} {}", answer.text),
        }
        assert!(Instant::now() < deadline, "{key} never accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count_state(takedown: &Value, state: &str) -> usize {
    takedown["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["state"] == state).count())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_master_of_the_audit_chain_dies_during_intake_and_nothing_answered_202_is_lost() {
    let (app, _dns) = cluster_app_with_workers().await;
    let cluster = app.redis.cluster().expect("a cluster");
    let audit_master = cluster.master_of(&keys::audit_log());
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    let killed = std::sync::atomic::AtomicBool::new(false);
    const SUBMITTERS: usize = 4;
    const EACH: usize = 12;
    let submitter = |worker: usize| {
        let (app, accepted, killed) = (&app, &accepted, &killed);
        async move {
            let (mut ids, mut refused) = (Vec::new(), 0);
            for n in 0..EACH {
                if n == EACH / 2 {
                    // Half way, each submitter waits for the kill, so that the master dies
                    // during intake however slowly the killer is scheduled on a busy machine.
                    let dead = eventually(WAIT, || async {
                        killed.load(std::sync::atomic::Ordering::SeqCst)
                    })
                    .await;
                    assert!(dead, "the master was never killed");
                }
                let (target, state) = TARGETS[(worker + n) % TARGETS.len()];
                let key = format!("failover-{worker}-{n}");
                let (id, retries) = submit_until_accepted(app, &request(target), &key).await;
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ids.push((id, state));
                refused += retries;
            }
            (ids, refused)
        }
    };
    let killer = async {
        // Steady intake first, then the master that holds {enforce} dies.
        let started = eventually(WAIT, || async {
            accepted.load(std::sync::atomic::Ordering::SeqCst) >= SUBMITTERS * EACH / 4
        })
        .await;
        assert!(started, "intake never got going");
        cluster.kill(audit_master);
        killed.store(true, std::sync::atomic::Ordering::SeqCst);
        accepted.load(std::sync::atomic::Ordering::SeqCst)
    };
    let (ids, accepted_before_kill) = tokio::join!(
        futures::future::join_all((0..SUBMITTERS).map(submitter)),
        killer
    );
    let refused: usize = ids.iter().map(|(_, refused)| refused).sum();
    let ids: Vec<(String, &str)> = ids.into_iter().flat_map(|(ids, _)| ids).collect();
    assert_eq!(ids.len(), SUBMITTERS * EACH);
    assert!(
        refused > 0,
        "intake met the failover (503s, retried with the same key)"
    );
    assert!(
        accepted_before_kill < ids.len(),
        "the master died during intake"
    );
    let promoted = cluster.master_of(&keys::audit_log());
    assert_ne!(promoted, audit_master, "a replica took over {{enforce}}");
    // Every request answered 202 is there, routed exactly once, by workers that carried on.
    for (id, state) in &ids {
        let routed = eventually(WAIT, || async {
            common::takedowns::takedown(&app, id).await["state"] == *state
        })
        .await;
        let takedown = common::takedowns::takedown(&app, id).await;
        assert!(routed, "{id} never reached {state}: {takedown}");
        assert_eq!(count_state(&takedown, "received"), 1, "{takedown}");
        assert_eq!(count_state(&takedown, state), 1, "{takedown}");
    }
    let distinct: HashMap<&str, ()> = ids.iter().map(|(id, _)| (id.as_str(), ())).collect();
    assert_eq!(distinct.len(), ids.len(), "each key made one request");
    // The operators' list, read after the failover, holds the names routed to them.
    let list = app.get_as(Role::Operator, "/v1/blocklist").send().await;
    assert_eq!(list.status, 200, "{}", list.text);
    let listed: Vec<&str> = list.json["additions"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["value"].as_str()).collect())
        .unwrap_or_default();
    for (target, state) in TARGETS {
        assert_eq!(
            listed.contains(&target),
            state == "blocked",
            "{target}: {}",
            list.text
        );
    }
    let verified = app
        .get_as(Role::Admin, "/v1/audit/verify")
        .send()
        .await
        .json;
    assert_eq!(verified["valid"], true, "{verified}");
    assert!(verified["entries"].as_u64().unwrap_or(0) >= 2 * ids.len() as u64);
}

#[tokio::test]
async fn moving_reference_slots_while_look_ups_run_fails_none() {
    let app = TestApp::builder().cluster().spawn().await;
    const PRODUCTS: u32 = 300;
    let mut body = String::new();
    for n in 0..PRODUCTS {
        body.push_str(
            &json!({"gtin": gtin13(n), "name": format!("product {n}"),
                    "manufacturer_tax_code": "0100109106", "country_of_origin": "VN"})
            .to_string(),
        );
        body.push('\n');
    }
    assert_eq!(app.load("products", body).await["accepted"], PRODUCTS);
    let cluster = app.redis.cluster().expect("a cluster");
    let masters: Vec<u16> = cluster
        .describe()
        .into_iter()
        .filter(|n| n.master && !n.slots.is_empty())
        .map(|n| n.port)
        .collect();
    let (from, to) = (masters[0], masters[1]);
    let baseline = app
        .post_as(
            Role::Platform,
            "/v1/claims/verify",
            &json!({"seller": {"tax_code": "0100109106"},
                    "product": {"code": format!("(01)0{}(21)BASE", gtin13(7)), "claimed_origin": "VN"},
                    "invoices": []}),
        )
        .send()
        .await
        .json;
    let unknown = app
        .post_as(
            Role::Platform,
            "/v1/claims/verify",
            &json!({"seller": {"tax_code": "0100109106"},
                    "product": {"code": format!("(01)0{}(21)BASE", gtin13(PRODUCTS + 1)), "claimed_origin": "VN"},
                    "invoices": []}),
        )
        .send()
        .await
        .json;
    assert_ne!(
        baseline["findings"], unknown["findings"],
        "the claim tells a found product"
    );
    let done = std::sync::atomic::AtomicBool::new(false);
    let look_ups = async {
        let mut checked = 0u32;
        let mut n = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || checked < PRODUCTS {
            let answer = app.post_check(&gtin13(n % PRODUCTS)).await;
            assert_eq!(
                answer.status, 200,
                "check of {n} while slots move: {}",
                answer.text
            );
            assert_eq!(
                answer.json["product"]["name"],
                format!("product {}", n % PRODUCTS),
                "{}",
                answer.text
            );
            // A claim reads its product, seller and serial in one pipeline, split by slot.
            let claim = json!({
                "seller": {"tax_code": "0100109106"},
                "product": {"code": format!("(01)0{}(21)S{n}", gtin13(n % PRODUCTS)),
                            "claimed_origin": "VN"},
                "invoices": []
            });
            let claimed = app
                .post_as(Role::Platform, "/v1/claims/verify", &claim)
                .send()
                .await;
            assert_eq!(
                claimed.status, 200,
                "claim {n} while slots move: {}",
                claimed.text
            );
            // Found product, unique serial: the same verdict as before anything moved.
            assert_eq!(
                (&claimed.json["verdict"], &claimed.json["findings"]),
                (&baseline["verdict"], &baseline["findings"]),
                "claim {n}: {}",
                claimed.text
            );
            checked += 1;
            n += 1;
        }
        checked
    };
    let moving = async {
        cluster.reshard(from, to, 2000).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (checked, ()) = tokio::join!(look_ups, moving);
    assert!(checked >= PRODUCTS);
    let after = cluster.describe();
    let slots_of = |port: u16| -> u32 {
        after
            .iter()
            .filter(|n| n.port == port)
            .flat_map(|n| n.slots.iter())
            .map(|(a, b)| u32::from(b - a) + 1)
            .sum()
    };
    assert!(slots_of(to) > 5461 + 1000, "slots moved to {to}: {after:?}");
    // Reference data is spread: the products live on more than one master.
    let mut homes: Vec<u16> = (0..PRODUCTS)
        .map(|n| cluster.master_of(&keys::product(&format!("0{}", gtin13(n)))))
        .collect();
    homes.sort_unstable();
    homes.dedup();
    assert_eq!(homes.len(), 3, "products on every master");
}

#[tokio::test]
async fn readiness_is_503_while_a_master_is_missing_and_200_once_a_replica_took_over() {
    let app = TestApp::builder().cluster().spawn().await;
    assert_eq!(app.get("/readyz").send().await.status, 200);
    let cluster = app.redis.cluster().expect("a cluster");
    let victim = cluster.master_of(&keys::product("08935049500018"));
    cluster.kill(victim);
    let missing = app.get("/readyz").send().await;
    assert_eq!(missing.status, 503, "{}", missing.text);
    assert!(missing.header("retry-after").is_some());
    assert!(
        eventually(WAIT, || async {
            app.get("/readyz").send().await.status == 200
        })
        .await,
        "ready again after the failover"
    );
    assert_ne!(cluster.master_of(&keys::product("08935049500018")), victim);
}

#[tokio::test]
async fn seeds_that_are_not_a_cluster_or_do_not_answer_fail_the_start_with_one_line() {
    let nowhere = format!("redis://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let error = Store::connect_cluster(std::slice::from_ref(&nowhere))
        .await
        .expect_err("nothing listens there");
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "within the start bound"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("redis cluster seeds") && text.contains(&nowhere),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");

    let single = TestRedis::start_single().await;
    let error = Store::connect_cluster(&[single.url()])
        .await
        .expect_err("one Redis is not a cluster");
    let text = error.to_string();
    assert!(
        text.starts_with("redis cluster seeds") && text.contains("127.0.0.1"),
        "{text}"
    );
    let data = tempfile::tempdir().expect("data dir");

    // The binary: one line on standard error, a failed exit, also for REDIS_URL and seeds
    // together.
    let run = |envs: Vec<(&str, String)>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_originguard"));
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--nameservers",
                "127.0.0.1:1",
            ])
            .env_remove("RUST_LOG")
            .env_remove("REDIS_URL")
            .env("ORIGINGUARD_DATA_DIR", data.path());
        for (name, value) in envs {
            command.env(name, value);
        }
        command.output().expect("run originguard")
    };
    let both = run(vec![
        ("REDIS_URL", single.url()),
        ("ORIGINGUARD_REDIS_CLUSTER_NODES", nowhere.clone()),
    ]);
    assert!(!both.status.success());
    let said = String::from_utf8_lossy(&both.stderr);
    assert!(
        said.contains("choose one Redis or one Redis Cluster"),
        "{said}"
    );
    let unreachable = run(vec![("ORIGINGUARD_REDIS_CLUSTER_NODES", nowhere.clone())]);
    assert!(!unreachable.status.success());
    let said = String::from_utf8_lossy(&unreachable.stderr);
    let lines: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "one line, with the default log filter: {said}"
    );
    assert!(lines[0].contains("redis cluster seeds"), "{said}");
    assert!(lines[0].contains(&nowhere), "{said}");
}

#[tokio::test]
async fn keys_live_where_the_layout_says() {
    use originguard::store::conn::slot;
    let enforce = slot(keys::audit_log().as_bytes());
    for key in [
        keys::audit_head(),
        keys::takedown("t"),
        keys::intake_stream(),
        keys::blocklist_log(),
        keys::blocklist_active(),
        keys::registry_enforced(),
        keys::idempotency("d"),
        keys::replication_probe(),
    ] {
        assert_eq!(
            slot(key.as_bytes()),
            enforce,
            "{key} changes with the audit log"
        );
    }
    // Reference data, serial claims and rate budgets spread over the slots.
    let spread: std::collections::HashSet<u16> = (0..50)
        .flat_map(|n| {
            let code = gtin13(n);
            [
                slot(keys::product(&code).as_bytes()),
                slot(keys::taxpayer(&code).as_bytes()),
                slot(keys::serial_sellers(&code, "S1").as_bytes()),
                slot(keys::rate_budget(&code).as_bytes()),
            ]
        })
        .collect();
    assert!(spread.len() > 150, "{} distinct slots", spread.len());
}

/// `calls` of one command in `INFO commandstats` of the node on `port`.
fn command_calls(port: u16, command: &str) -> u64 {
    let stats = common::node_command(port, &["INFO", "commandstats"]).expect("commandstats");
    let prefix = format!("cmdstat_{command}:calls=");
    stats
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn claims_check_shops_without_reading_the_enforce_slot_per_claim() {
    let (app, _dns) = cluster_app_with_workers().await;
    let blocked = common::takedowns::submit_until(&app, "giay-gia.example", "blocked").await;
    let claim = |shop: &str| {
        json!({
            "seller": {"tax_code": "0101248141", "shop_url": format!("https://{shop}/p/1")},
            "product": {"code": "08935049500018", "claimed_origin": "VN"},
            "invoices": []
        })
    };
    let shop_blocked = |answer: &Value| {
        answer["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["code"] == "shop_blocked"))
    };
    let says = |shop: &'static str| {
        let app = &app;
        async move {
            let answer = app
                .post_as(Role::Platform, "/v1/claims/verify", &claim(shop))
                .send()
                .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            shop_blocked(&answer.json)
        }
    };
    assert!(
        eventually(WAIT, || says("www.giay-gia.example")).await,
        "a blocked shop is seen"
    );
    let enforce_master = app
        .redis
        .cluster()
        .expect("a cluster")
        .master_of(&keys::audit_log());
    let before = (
        command_calls(enforce_master, "hmget"),
        command_calls(enforce_master, "zrangebylex"),
    );
    for _ in 0..100 {
        assert!(says("giay-gia.example").await);
        assert!(!says("other.example").await);
    }
    let after = (
        command_calls(enforce_master, "hmget"),
        command_calls(enforce_master, "zrangebylex"),
    );
    // Read per claim, the shop check would be one HMGET and a ZRANGEBYLEX per name: at
    // least 200 of each. What remains is the service's own background work.
    assert!(
        after.0 - before.0 < 20 && after.1 - before.1 < 20,
        "200 claims read {{enforce}} per claim: {before:?} -> {after:?}"
    );
    // A withdrawal reaches the claims within a few polls of the view.
    assert_eq!(
        common::takedowns::withdraw(&app, &blocked).await.json["state"],
        "lifted"
    );
    assert!(
        eventually(WAIT, || async { !says("giay-gia.example").await }).await,
        "a lifted block is seen"
    );
}

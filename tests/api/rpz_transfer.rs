//! The blocklist as a DNS zone, pulled by real secondaries: BIND 9 `named` with a TSIG key and
//! Unbound from an `[[unsigned]]` address (127.0.0.1: signed requests from there are still
//! checked and named's are), both told of new versions by NOTIFY, both used as
//! resolvers in front of the in-process fixture name server (so nothing leaves the machine).
//! `dig` against them shows the canary refused, an addition refused within 3 s of the
//! takedown's routing, a lift resolving again; originguard's metrics show the transfer was
//! incremental, its compliance shows the versions the transfers acknowledged, and a transfer
//! with a wrong key is refused. `./test` installs `bind9`, `unbound` and `dig` when missing.

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::rpz::{
    dig, new_secret, resolve_status, start_endpoint, start_named, start_unbound, tsig_entry,
    unsigned_entry, write_tsig_file, Resolver, ZONE,
};
use common::takedowns::{app, submit_until, wait_for, withdraw};
use common::{eventually, free_port, TestApp};
use originguard::auth::Role;

/// How long a secondary may take to load the zone at its start.
const LOAD: Duration = Duration::from_secs(30);
/// The contract: an addition is enforced within 3 s of routing (NOTIFY + IXFR).
const ENFORCED_WITHIN: Duration = Duration::from_secs(3);

async fn status_through(resolver: SocketAddr, name: &'static str) -> (String, String) {
    tokio::task::spawn_blocking(move || resolve_status(resolver, name))
        .await
        .expect("dig")
}

/// Polls until `name` answers `status` through `resolver`, up to `within`.
async fn answers(resolver: &Resolver, name: &'static str, status: &str, within: Duration) -> bool {
    let addr = resolver.addr;
    eventually(within, || async move {
        status_through(addr, name).await.0 == status
    })
    .await
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").send().await.text
}

/// The value of the metric line starting with `prefix` (0 when absent).
fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn acked(app: &TestApp, operator: &str) -> Option<u64> {
    let answer = app
        .get_as(Role::Authority, "/v1/blocklist/compliance")
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json["operators"]
        .as_array()?
        .iter()
        .find(|o| o["operator"] == operator)?["acked_version"]
        .as_u64()
}

async fn version(app: &TestApp) -> u64 {
    app.get_as(Role::Operator, "/v1/blocklist")
        .send()
        .await
        .json["version"]
        .as_u64()
        .expect("version")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_and_unbound_secondaries_enforce_additions_and_lifts_within_seconds() {
    let (app, dns) = app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = new_secret();
    let key_name = "viettel-rpz.";
    let tsig = write_tsig_file(
        dir.path(),
        &format!(
            "{}{}",
            tsig_entry(key_name, "viettel", &secret),
            unsigned_entry("vnpt", "127.0.0.1/32")
        ),
    );
    let named_port = free_port();
    let unbound_port = free_port();
    let endpoint = start_endpoint(
        &app,
        &tsig,
        vec![
            SocketAddr::from(([127, 0, 0, 1], named_port)),
            SocketAddr::from(([127, 0, 0, 1], unbound_port)),
        ],
    )
    .await;
    let named_dir = tempfile::tempdir().expect("temp dir");
    let named = start_named(
        named_dir.path(),
        named_port,
        dns.addr,
        endpoint.addr,
        key_name,
        &secret,
    );
    let unbound_dir = tempfile::tempdir().expect("temp dir");
    let unbound = start_unbound(unbound_dir.path(), unbound_port, dns.addr, endpoint.addr);

    // Both load the zone at start; the canary proves each enforces it.
    let canary = "canary.rpz-test.originguard";
    assert!(
        answers(&named, canary, "NXDOMAIN", LOAD).await,
        "named never enforced the zone: {:?}\n{}",
        status_through(named.addr, canary).await,
        named.log()
    );
    assert!(
        answers(&unbound, canary, "NXDOMAIN", LOAD).await,
        "unbound never enforced the zone: {:?}\n{}",
        status_through(unbound.addr, canary).await,
        unbound.log()
    );
    // Not blocked yet: resolves through both to the fixture zone.
    for resolver in [&named, &unbound] {
        let (status, text) = status_through(resolver.addr, "www.example.com").await;
        assert_eq!(status, "NOERROR", "{text}");
        assert!(text.contains("198.51.100.20"), "{text}");
    }
    let ixfr_before = metric(
        &metrics(&app).await,
        "originguard_rpz_transfers_total{operator=\"viettel\",kind=\"ixfr\"}",
    );

    // An addition: enforced by named within 3 s of the routing, by NOTIFY and IXFR.
    let id = submit_until(&app, "example.com", "blocked").await;
    let routed = Instant::now();
    let blocked = answers(&named, "www.example.com", "NXDOMAIN", ENFORCED_WITHIN).await;
    assert!(
        blocked,
        "named did not refuse www.example.com within {:?} of routing ({:?} now): {:?}\n{}",
        ENFORCED_WITHIN,
        routed.elapsed(),
        status_through(named.addr, "www.example.com").await,
        named.log()
    );
    // Unbound too, by NOTIFY, a SOA probe and a transfer (the 3 s contract is named's; Unbound
    // gets the same deadline as a lift, so a slow CI machine does not make this flaky).
    assert!(
        answers(
            &unbound,
            "www.example.com",
            "NXDOMAIN",
            Duration::from_secs(10)
        )
        .await,
        "unbound did not refuse www.example.com: {:?}\n{}",
        status_through(unbound.addr, "www.example.com").await,
        unbound.log()
    );
    let (status, text) = status_through(named.addr, "example.com").await;
    assert_eq!(status, "NXDOMAIN", "the domain itself too: {text}");

    // The transfer to named was incremental.
    let text = metrics(&app).await;
    let ixfr_after = metric(
        &text,
        "originguard_rpz_transfers_total{operator=\"viettel\",kind=\"ixfr\"}",
    );
    assert!(ixfr_after > ixfr_before, "no IXFR counted:\n{text}");

    // Both transfers acknowledged the new version for their operator.
    let current = version(&app).await;
    assert!(current >= 1);
    for operator in ["viettel", "vnpt"] {
        let app = &app;
        let caught_up = eventually(Duration::from_secs(5), || async move {
            acked(app, operator).await == Some(current)
        })
        .await;
        assert!(
            caught_up,
            "{operator} acked {:?}, the list is at {current}",
            acked(app, operator).await
        );
    }
    let audit = app
        .get_as(Role::Admin, "/v1/audit?subject=viettel")
        .send()
        .await;
    assert!(
        audit.text.contains("blocklist.ack") && audit.text.contains("tsig:viettel-rpz."),
        "the acknowledgement is audited under the key: {}",
        audit.text
    );

    // A lift: both resolve the name again.
    assert_eq!(withdraw(&app, &id).await.status, 200);
    wait_for(&app, &id, "lifted").await;
    for resolver in [&named, &unbound] {
        assert!(
            answers(
                resolver,
                "www.example.com",
                "NOERROR",
                Duration::from_secs(10)
            )
            .await,
            "still refused after the lift: {:?}\n{}",
            status_through(resolver.addr, "www.example.com").await,
            resolver.log()
        );
    }
    // The canary stays.
    assert_eq!(status_through(named.addr, canary).await.0, "NXDOMAIN");

    // A transfer with a wrong key, or unsigned from an address with no [[unsigned]] entry, is
    // refused, logged and counted.
    let refused_before = metrics(&app).await;
    let wrong = format!("hmac-sha256:{key_name}:{}", new_secret());
    let (_, wrong_text) = tokio::task::spawn_blocking({
        let addr = endpoint.addr;
        move || dig(addr, &[ZONE, "AXFR", "-y", &wrong])
    })
    .await
    .expect("dig");
    assert!(wrong_text.contains("Transfer failed"), "{wrong_text}");
    assert!(wrong_text.contains("BADSIG"), "{wrong_text}");
    assert!(!wrong_text.contains("CNAME"), "{wrong_text}");
    let (_, unsigned_text) = tokio::task::spawn_blocking({
        let addr = endpoint.addr;
        move || dig(addr, &["-b", "127.0.0.3", ZONE, "AXFR"])
    })
    .await
    .expect("dig");
    assert!(unsigned_text.contains("Transfer failed"), "{unsigned_text}");
    let refused_after = metrics(&app).await;
    for reason in ["bad_signature", "unsigned"] {
        let line = format!("originguard_rpz_refused_total{{reason=\"{reason}\"}}");
        assert!(
            metric(&refused_after, &line) > metric(&refused_before, &line),
            "{reason} not counted:\n{refused_after}"
        );
    }
    // With the right key the same transfer works, and carries the canary.
    let (_, right_text) = tokio::task::spawn_blocking({
        let addr = endpoint.addr;
        let key = format!("hmac-sha256:{key_name}:{secret}");
        move || dig(addr, &[ZONE, "AXFR", "-y", &key])
    })
    .await
    .expect("dig");
    let records: Vec<String> = right_text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        records.contains(&"canary.rpz-test.originguard.rpz.originguard. 60 IN CNAME .".to_owned()),
        "{right_text}"
    );
    assert!(!right_text.contains("tsig verify failure"), "{right_text}");
    drop(named);
    drop(unbound);
}

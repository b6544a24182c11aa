//! `resolve_targets`: one request end to end against loopback DNS and TLS servers.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{dns_server, tls_server};
use originguard::i18n::Lang;
use originguard::network::allocations::AllocationTable;
use originguard::network::dns::{Resolver, ResolverSettings};
use originguard::network::guard::AddressGuard;
use originguard::network::resolve::{
    resolve_one, resolve_targets, Limits, NetworkContext, ResolveError, ResolveOptions, TargetKind,
    TargetResult, MAX_TARGETS,
};

fn context(nameserver: std::net::SocketAddr, allow_loopback: bool) -> NetworkContext {
    let allocations =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ip-allocations/delegated-sample.txt");
    NetworkContext {
        resolver: Resolver::new(&ResolverSettings {
            nameservers: vec![nameserver],
            timeout: Duration::from_millis(700),
            ..ResolverSettings::default()
        })
        .expect("resolver"),
        guard: AddressGuard { allow_loopback },
        allocations: Arc::new(AllocationTable::from_path(allocations).expect("allocations")),
        limits: Limits {
            per_request_concurrency: 8,
            tls_timeout: Duration::from_secs(5),
        },
    }
}

fn targets(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_owned()).collect()
}

fn codes(result: &TargetResult) -> Vec<&str> {
    result.errors.iter().map(|e| e.code).collect()
}

#[tokio::test]
async fn results_come_back_in_input_order_with_api_fields() {
    let server = dns_server::start().await;
    let ctx = context(server.addr, false);
    let input = targets(&[
        "https://shop.example.vn/p/1",
        "no-such-shop.example.vn",
        "203.0.113.7",
        "https://www.shop.hanoi.vn/",
        "not a target",
        "shop.myphamxachtay.com.vn",
        "203.0.113.0/24",
    ]);
    let results = resolve_targets(&input, ResolveOptions::default(), &ctx)
        .await
        .expect("within limits");
    let echoed: Vec<&str> = results.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(echoed, input.iter().map(String::as_str).collect::<Vec<_>>());

    let shop = &results[0];
    assert_eq!(shop.kind, TargetKind::Domain);
    assert_eq!(shop.domain.as_deref(), Some("shop.example.vn"));
    assert_eq!(shop.registrable_domain.as_deref(), Some("example.vn"));
    assert!(shop.is_vn);
    assert_eq!(
        shop.records.ns,
        vec!["ns1.example.vn", "ns2.example.vn"],
        "from the apex"
    );
    let addresses: Vec<String> = shop.addresses.iter().map(|a| a.ip.to_string()).collect();
    assert_eq!(addresses, vec!["192.0.2.10", "2001:db8::10"]);
    assert_eq!(shop.addresses[0].ptr.as_deref(), Some("shop.example.vn"));
    assert_eq!(shop.addresses[0].country.as_deref(), Some("VN"));
    assert_eq!(shop.addresses[1].country.as_deref(), Some("VN"));
    assert!(!shop.addresses[0].private);
    assert_eq!(codes(shop), vec!["blocked_address", "blocked_address"]);
    assert!(shop.tls.is_none());

    assert_eq!(codes(&results[1]), vec!["nxdomain"]);

    let ip = &results[2];
    assert_eq!(ip.kind, TargetKind::Ip);
    assert_eq!(ip.domain, None);
    assert_eq!(ip.addresses[0].country.as_deref(), Some("US"));
    assert_eq!(codes(ip), vec!["blocked_address"]);

    let hanoi = &results[3];
    assert_eq!(hanoi.registrable_domain.as_deref(), Some("shop.hanoi.vn"));
    assert_eq!(hanoi.records.a.len(), 1);
    assert_eq!(hanoi.records.ns, vec!["ns1.shop.hanoi.vn"]);

    assert_eq!(codes(&results[4]), vec!["invalid_target"]);
    assert_eq!(
        results[5].registrable_domain.as_deref(),
        Some("myphamxachtay.com.vn")
    );
    assert_eq!(results[5].addresses[0].country.as_deref(), Some("US"));
    assert_eq!(results[6].kind, TargetKind::Ip);
    assert_eq!(results[6].cidr.as_deref(), Some("203.0.113.0/24"));

    let json = serde_json::to_value(&results[0]).expect("serialises");
    for field in [
        "target",
        "kind",
        "domain",
        "registrable_domain",
        "ascii_domain",
        "is_vn",
        "records",
        "addresses",
        "tls",
        "errors",
    ] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert_eq!(json["kind"], "domain");
    assert_eq!(json["records"]["a"][0], "192.0.2.10");
    assert_eq!(json["records"]["mx"], serde_json::json!([]));
    assert_eq!(json["addresses"][0]["private"], false);
    assert!(json.get("cidr").is_none());
}

#[tokio::test]
async fn idn_and_cname_targets_report_both_forms_and_the_chain() {
    let server = dns_server::start().await;
    let ctx = context(server.addr, false);
    let input = targets(&["https://hàng-hiệu.vn/", "www.example.vn"]);
    let results = resolve_targets(&input, ResolveOptions::default(), &ctx)
        .await
        .expect("ok");
    let idn = &results[0];
    assert_eq!(idn.domain.as_deref(), Some("hàng-hiệu.vn"));
    assert_eq!(idn.ascii_domain.as_deref(), Some("xn--hng-hiu-8va4100e.vn"));
    assert_eq!(
        idn.registrable_domain.as_deref(),
        Some("xn--hng-hiu-8va4100e.vn")
    );
    assert_eq!(
        idn.addresses[0].ptr.as_deref(),
        Some("xn--hng-hiu-8va4100e.vn")
    );
    assert_eq!(idn.records.mx.len(), 1);
    assert_eq!(
        results[1].records.cname,
        vec!["hop1.example.vn", "hop2.example.vn", "shop.example.vn"]
    );
}

#[tokio::test]
async fn tls_is_peeked_at_the_first_allowed_address() {
    let server = dns_server::start().await;
    let (_tls, tls_addr) = tls_server::start(&["leaf.pem", "ca.pem"], "leaf.key").await;
    let opts = ResolveOptions {
        tls: true,
        tls_port: tls_addr.port(),
        lang: Lang::En,
    };
    let input = targets(&["tls.example.vn", "tls6.example.vn"]);

    let allowed = context(server.addr, true);
    let results = resolve_targets(&input, opts, &allowed).await.expect("ok");
    let v4 = &results[0];
    assert!(v4.errors.is_empty(), "{:?}", v4.errors);
    assert!(v4.addresses[0].private);
    let cert = v4.tls.as_ref().expect("certificate seen");
    assert!(cert.sans.contains(&"shop.example.vn".to_owned()));
    let v6 = &results[1];
    // The TLS server listens on 127.0.0.1 only, so ::1 fails: a result error, not a panic.
    assert!(v6.tls.is_none());
    assert_eq!(codes(v6), vec!["tls_failed"]);

    let strict = context(server.addr, false);
    let results = resolve_targets(&input, opts, &strict).await.expect("ok");
    assert!(results[0].tls.is_none());
    assert_eq!(codes(&results[0]), vec!["blocked_address"]);
    assert!(results[0].errors[0].message.contains("127.0.0.1"));

    let url = targets(&[&format!("https://127.0.0.1:{}/", tls_addr.port())]);
    let opts_default_port = ResolveOptions {
        tls: true,
        ..ResolveOptions::default()
    };
    let results = resolve_targets(&url, opts_default_port, &allowed)
        .await
        .expect("ok");
    assert!(results[0].tls.is_some(), "URL port overrides tls_port");
}

#[tokio::test]
async fn targets_sharing_names_and_addresses_get_the_answers_each_gets_alone() {
    let server = dns_server::start().await;
    let ctx = context(server.addr, false);
    // Repeated names, hosts sharing a registrable domain (its NS) and an address (its PTR),
    // a failing name twice, and an IP target that is also a name's address.
    let input = targets(&[
        "shop.example.vn",
        "www.example.vn",
        "no-such-shop.example.vn",
        "https://shop.example.vn/p/2",
        "192.0.2.10",
        "example.vn",
        "no-such-shop.example.vn",
        "shop.example.vn",
        "textonly.example.vn",
    ]);
    let together = resolve_targets(&input, ResolveOptions::default(), &ctx)
        .await
        .expect("within limits");
    assert_eq!(together.len(), input.len());
    for (target, shared) in input.iter().zip(&together) {
        let alone = resolve_one(target, ResolveOptions::default(), &ctx).await;
        assert_eq!(shared, &alone, "{target}");
    }
    assert_eq!(
        together[1].records.ns,
        vec!["ns1.example.vn", "ns2.example.vn"]
    );
    assert_eq!(
        together[1].addresses[0].ptr.as_deref(),
        Some("shop.example.vn")
    );
    assert_eq!(codes(&together[2]), vec!["nxdomain"]);
    assert_eq!(codes(&together[6]), vec!["nxdomain"]);
    assert!(together[8].records.a.is_empty() && together[8].errors.is_empty());
}

#[tokio::test]
async fn dead_name_server_gives_timeouts_not_a_failed_call() {
    let (_socket, addr) = dns_server::silent_server().await;
    let ctx = context(addr, false);
    let opts = ResolveOptions {
        lang: Lang::Vi,
        ..ResolveOptions::default()
    };
    let results = resolve_targets(&targets(&["example.vn", "example.com"]), opts, &ctx)
        .await
        .expect("ok");
    for result in &results {
        assert_eq!(codes(result), vec!["timeout"]);
        assert_eq!(
            result.errors[0].message,
            "Máy chủ tên miền không trả lời kịp thời"
        );
    }
}

#[tokio::test]
async fn too_many_targets_are_refused_as_a_whole() {
    let server = dns_server::start().await;
    let ctx = context(server.addr, false);
    let input = vec!["192.0.2.1".to_owned(); MAX_TARGETS + 1];
    let refused = resolve_targets(&input, ResolveOptions::default(), &ctx).await;
    assert_eq!(
        refused.err(),
        Some(ResolveError::TooManyTargets {
            given: MAX_TARGETS + 1,
            max: MAX_TARGETS
        })
    );
}

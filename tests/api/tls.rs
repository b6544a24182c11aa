//! TLS peek against a local TLS server presenting fixture certificates.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::tls_server;
use originguard::network::guard::{AddressGuard, BlockReason};
use originguard::network::names::DomainName;
use originguard::network::tls::{describe_chain, peek, peek_with_roots, TlsError, TrustRoots};
use rustls::pki_types::ServerName;
use sha2::{Digest, Sha256};

const LOOPBACK_OK: AddressGuard = AddressGuard {
    allow_loopback: true,
};
const TIMEOUT: Duration = Duration::from_secs(5);

fn der_sha256(name: &str) -> String {
    let der = std::fs::read(tls_server::fixture(name)).expect("DER fixture");
    hex::encode(Sha256::digest(der))
}

fn shop() -> DomainName {
    DomainName::parse("shop.example.vn").expect("name")
}

#[tokio::test]
async fn valid_leaf_fields_are_reported() {
    let (_server, addr) = tls_server::start(&["leaf.pem", "ca.pem"], "leaf.key").await;
    let info = peek(addr, Some(&shop()), TIMEOUT, &LOOPBACK_OK)
        .await
        .expect("peek succeeds");
    assert_eq!(info.sha256, der_sha256("leaf.der"));
    assert_eq!(
        info.sans,
        vec![
            "shop.example.vn",
            "*.example.vn",
            "xn--hng-hiu-8va4100e.vn",
            "127.0.0.1",
            "192.0.2.10",
            "::1"
        ]
    );
    assert!(
        info.subject.contains("CN=shop.example.vn"),
        "{}",
        info.subject
    );
    assert!(
        info.issuer.contains("CN=originguard test CA"),
        "{}",
        info.issuer
    );
    assert_eq!(
        info.not_before,
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        info.not_after,
        Utc.with_ymd_and_hms(2125, 1, 1, 0, 0, 0).unwrap()
    );
    assert!(!info.self_signed);
    assert!(!info.expired);
    assert!(!info.chains_to_web_pki, "the test CA is not a Web PKI root");
    let json = serde_json::to_value(&info).expect("serialises");
    assert_eq!(json["not_before"], "2025-01-01T00:00:00Z");
    assert_eq!(json["sha256"].as_str().map(str::len), Some(64));
}

#[tokio::test]
async fn expired_certificate_is_flagged() {
    let (_server, addr) = tls_server::start(&["expired.pem", "ca.pem"], "expired.key").await;
    let info = peek(addr, None, TIMEOUT, &LOOPBACK_OK).await.expect("peek");
    assert!(info.expired);
    assert!(!info.self_signed);
    assert_eq!(info.sha256, der_sha256("expired.der"));
    assert_eq!(info.sans, vec!["expired.example.vn", "127.0.0.1"]);
}

#[tokio::test]
async fn self_signed_certificate_is_flagged() {
    let (_server, addr) = tls_server::start(&["self-signed.pem"], "self-signed.key").await;
    let info = peek(addr, None, TIMEOUT, &LOOPBACK_OK).await.expect("peek");
    assert!(info.self_signed);
    assert!(!info.expired);
    assert_eq!(info.subject, info.issuer);
    assert_eq!(info.sha256, der_sha256("self-signed.der"));
}

#[tokio::test]
async fn chain_is_judged_against_given_roots() {
    let roots = TrustRoots::from_der(&tls_server::certs("ca.pem")).expect("test CA as root");
    let (_server, addr) = tls_server::start(&["leaf.pem", "ca.pem"], "leaf.key").await;
    let info = peek_with_roots(addr, Some(&shop()), TIMEOUT, &LOOPBACK_OK, Some(&roots))
        .await
        .expect("peek");
    assert!(info.chains_to_web_pki);

    // A name the certificate does not cover still chains; an expired one does not.
    let other = DomainName::parse("other.example.com").expect("name");
    let info = peek_with_roots(addr, Some(&other), TIMEOUT, &LOOPBACK_OK, Some(&roots))
        .await
        .expect("peek");
    assert!(info.chains_to_web_pki);
    let expired = tls_server::certs("expired.pem");
    let name = ServerName::try_from("expired.example.vn").expect("name");
    let info = describe_chain(&expired, &name, Some(&roots), Utc::now()).expect("describes");
    assert!(!info.chains_to_web_pki);
    assert!(info.expired);
    let self_signed = tls_server::certs("self-signed.pem");
    let name = ServerName::try_from("self-signed.example.com").expect("name");
    let info = describe_chain(&self_signed, &name, Some(&roots), Utc::now()).expect("describes");
    assert!(!info.chains_to_web_pki);
}

#[test]
fn expiry_is_judged_at_the_given_time() {
    let expired = tls_server::certs("expired.pem");
    let name = ServerName::try_from("expired.example.vn").expect("name");
    let during = Utc.with_ymd_and_hms(2020, 6, 1, 0, 0, 0).unwrap();
    let info = describe_chain(&expired, &name, None, during).expect("describes");
    assert!(!info.expired);
}

#[tokio::test]
async fn guard_refuses_before_connecting() {
    let (_server, addr) = tls_server::start(&["leaf.pem"], "leaf.key").await;
    let result = peek(addr, None, TIMEOUT, &AddressGuard::strict()).await;
    match result {
        Err(TlsError::Blocked(blocked)) => {
            assert_eq!(blocked.reason, BlockReason::Loopback);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let documentation: SocketAddr = "192.0.2.10:443".parse().expect("addr");
    let result = peek(documentation, None, TIMEOUT, &LOOPBACK_OK).await;
    assert_eq!(
        result.as_ref().map_err(TlsError::code),
        Err("blocked_address")
    );
}

#[tokio::test]
async fn closed_port_and_non_tls_server_fail_as_tls_failed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("addr");
    drop(listener);
    let result = peek(closed, None, TIMEOUT, &LOOPBACK_OK).await;
    assert!(matches!(result, Err(TlsError::Connect(_))), "{result:?}");

    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = silent.local_addr().expect("addr");
    let result = peek(addr, None, Duration::from_millis(300), &LOOPBACK_OK).await;
    assert_eq!(result.clone().err(), Some(TlsError::Timeout));
    assert_eq!(result.map_err(|e| e.code()), Err("tls_failed"));
}

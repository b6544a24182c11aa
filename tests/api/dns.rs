//! DNS look-ups against an in-process authoritative server on loopback.

use crate::common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::dns_server;
use originguard::network::dns::{parse_nameservers, DnsErrorCode, Resolver, ResolverSettings};
use originguard::network::names::DomainName;

fn resolver_for(addr: SocketAddr) -> Resolver {
    Resolver::new(&ResolverSettings {
        nameservers: vec![addr],
        timeout: Duration::from_millis(700),
        ..ResolverSettings::default()
    })
    .expect("resolver builds")
}

fn name(text: &str) -> DomainName {
    DomainName::parse(text).expect("valid fixture name")
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("valid fixture address")
}

#[test]
fn nameserver_lists_parse_with_ports_and_defaults() {
    let parsed = parse_nameservers("127.0.0.1:5353, [::1]:5300 127.0.0.2").expect("valid list");
    assert_eq!(
        parsed,
        vec![
            "127.0.0.1:5353".parse().expect("addr"),
            "[::1]:5300".parse().expect("addr"),
            "127.0.0.2:53".parse().expect("addr"),
        ]
    );
    assert!(parse_nameservers("").expect("empty is fine").is_empty());
    assert!(parse_nameservers("127.0.0.1:99999").is_err());
    assert!(parse_nameservers("ns1.example.vn").is_err());
}

#[tokio::test]
async fn every_record_type_is_reported() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(answer.a, vec![ip("192.0.2.10")]);
    assert!(answer.aaaa.is_empty());
    assert_eq!(answer.ns, vec!["ns1.example.vn", "ns2.example.vn"]);
    let mx: Vec<(u16, &str)> = answer
        .mx
        .iter()
        .map(|m| (m.preference, m.exchange.as_str()))
        .collect();
    assert_eq!(mx, vec![(10, "mail.example.vn"), (20, "mail2.example.com")]);
    assert!(answer.cname.is_empty());

    let shop = resolver.lookup(&name("shop.example.vn")).await;
    assert_eq!(shop.a, vec![ip("192.0.2.10")]);
    assert_eq!(shop.aaaa, vec![ip("2001:db8::10")]);
    assert!(shop.ns.is_empty(), "no NS below the apex");
}

#[tokio::test]
async fn cname_chain_is_followed_in_order() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("www.example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(
        answer.cname,
        vec!["hop1.example.vn", "hop2.example.vn", "shop.example.vn"]
    );
    assert_eq!(answer.a, vec![ip("192.0.2.10")]);
    assert_eq!(answer.aaaa, vec![ip("2001:db8::10")]);
}

#[tokio::test]
async fn cname_chain_across_zones_is_followed() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("cross.example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(answer.cname, vec!["alias.example.com", "www.example.com"]);
    assert_eq!(answer.a, vec![ip("198.51.100.20")]);
    assert_eq!(answer.aaaa, vec![ip("2001:db8:8000::20")]);
}

#[tokio::test]
async fn idn_names_resolve_in_punycode() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("hàng-hiệu.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(answer.a, vec![ip("192.0.2.77")]);
    assert_eq!(answer.ns, vec!["ns1.example.vn"]);
    let www = resolver.lookup(&name("www.hàng-hiệu.vn")).await;
    assert_eq!(www.cname, vec!["xn--hng-hiu-8va4100e.vn"]);
}

#[tokio::test]
async fn missing_name_is_nxdomain_and_nodata_is_empty() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let missing = resolver.lookup(&name("no-such-shop.example.vn")).await;
    let codes: Vec<_> = missing.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::Nxdomain]);
    assert!(missing.a.is_empty() && missing.aaaa.is_empty());

    let nodata = resolver.lookup(&name("textonly.example.vn")).await;
    assert!(nodata.errors.is_empty(), "{:?}", nodata.errors);
    assert!(nodata.a.is_empty() && nodata.aaaa.is_empty());
}

#[tokio::test]
async fn zone_not_served_is_refused() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("shop.example.org")).await;
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::Refused]);
}

#[tokio::test]
async fn reverse_lookups_for_v4_and_v6() {
    let server = dns_server::start().await;
    let resolver = resolver_for(server.addr);
    assert_eq!(
        resolver.ptr(ip("192.0.2.10")).await.expect("ptr"),
        vec!["shop.example.vn"]
    );
    assert_eq!(
        resolver.ptr(ip("2001:db8::10")).await.expect("ptr"),
        vec!["shop.example.vn"]
    );
    assert_eq!(
        resolver.ptr(ip("2001:db8:8000::20")).await.expect("ptr"),
        vec!["www.example.com"]
    );
    let missing = resolver.ptr(ip("192.0.2.99")).await;
    assert_eq!(missing.map_err(|e| e.code), Err(DnsErrorCode::Nxdomain));
}

#[tokio::test]
async fn silent_name_server_times_out() {
    let (_socket, addr) = dns_server::silent_server().await;
    let resolver = resolver_for(addr);
    let started = Instant::now();
    let answer = resolver.lookup(&name("example.vn")).await;
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::Timeout]);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_closed_port_fails_at_once_rather_than_timing_out() {
    let (socket, addr) = dns_server::silent_server().await;
    drop(socket);
    // A long timeout, so that waiting for it could not pass for failing at once.
    let resolver = Resolver::new(&ResolverSettings {
        nameservers: vec![addr],
        timeout: Duration::from_secs(10),
        ..ResolverSettings::default()
    })
    .expect("resolver builds");
    let started = Instant::now();
    let answer = resolver.lookup(&name("example.vn")).await;
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::DnsFailed]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the port unreachable answer ends the wait: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn servfail_is_reported() {
    let (_task, addr) = dns_server::rcode_server(2).await;
    let resolver = resolver_for(addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::Servfail]);
}

#[tokio::test]
async fn other_rcodes_are_dns_failed() {
    let (_task, addr) = dns_server::rcode_server(4).await; // NOTIMP
    let resolver = resolver_for(addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::DnsFailed]);
}

// The direct UDP path (`network::exchange`) and what it leaves to hickory-resolver.

use hickory_server::proto::op::{Message, MessageType, OpCode, Query};
use hickory_server::proto::rr::rdata::A;
use hickory_server::proto::rr::{Name, RData, Record, RecordType};

/// A response to `query` answering its question with `records`.
fn response_to(query: &Message, question: &Query, records: Vec<Record>) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.add_query(question.clone());
    reply.answers = records;
    reply
}

fn a_record(owner: &Name, addr: [u8; 4]) -> Record {
    Record::from_rdata(
        owner.clone(),
        300,
        RData::A(A::new(addr[0], addr[1], addr[2], addr[3])),
    )
}

/// Before the real answer: one with another id, one to another question, one that is a
/// query; and the real answer carries an address owned by another name.
fn spoofed_then_real(query: &Message) -> Vec<Message> {
    let question = query.queries[0].clone();
    let owner = question.name().clone();
    let is_a = question.query_type() == RecordType::A;
    let mut wrong_id = response_to(query, &question, vec![a_record(&owner, [192, 0, 2, 66])]);
    wrong_id.metadata.id = query.metadata.id.wrapping_add(1);
    let other: Name = "other.example.vn.".parse().expect("name");
    let mut other_question = question.clone();
    other_question.set_name(other.clone());
    let wrong_question = response_to(
        query,
        &other_question,
        vec![a_record(&other, [192, 0, 2, 67])],
    );
    let mut not_a_response = response_to(query, &question, vec![a_record(&owner, [192, 0, 2, 68])]);
    not_a_response.metadata.message_type = MessageType::Query;
    let stranger: Name = "stranger.example.com.".parse().expect("name");
    let real = if is_a {
        vec![
            a_record(&owner, [192, 0, 2, 10]),
            a_record(&stranger, [192, 0, 2, 69]),
        ]
    } else {
        Vec::new()
    };
    vec![
        wrong_id,
        wrong_question,
        not_a_response,
        response_to(query, &question, real),
    ]
}

/// Only the answers that must not be taken.
fn only_spoofed(query: &Message) -> Vec<Message> {
    let mut replies = spoofed_then_real(query);
    replies.pop();
    replies
}

#[tokio::test]
async fn answers_with_another_id_question_or_owner_are_not_taken() {
    let (_task, addr) = dns_server::scripted_server(spoofed_then_real).await;
    let resolver = resolver_for(addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(
        answer.a,
        vec![ip("192.0.2.10")],
        "only the real answer's own record"
    );

    let (_task, addr) = dns_server::scripted_server(only_spoofed).await;
    let resolver = resolver_for(addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    assert!(answer.a.is_empty(), "{:?}", answer.a);
    let codes: Vec<_> = answer.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![DnsErrorCode::Timeout]);
}

#[tokio::test]
async fn truncated_answers_are_asked_again_over_tcp() {
    let server = dns_server::truncating_server().await;
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(answer.a, vec![ip("192.0.2.10")]);
    assert_eq!(answer.ns, vec!["ns1.example.vn", "ns2.example.vn"]);
}

#[tokio::test]
async fn a_silent_failing_or_closed_name_server_is_followed_by_the_next() {
    let server = dns_server::start().await;
    let (_silent, silent) = dns_server::silent_server().await;
    let (_task, failing) = dns_server::rcode_server(2).await;
    // A port nobody listens on: the kernel answers port unreachable.
    let closed = {
        let (socket, addr) = dns_server::silent_server().await;
        drop(socket);
        addr
    };
    for first in [silent, failing, closed] {
        let resolver = Resolver::new(&ResolverSettings {
            nameservers: vec![first, server.addr],
            timeout: Duration::from_millis(300),
            ..ResolverSettings::default()
        })
        .expect("resolver builds");
        // Each query starts at the next server in turn: some start at the bad one.
        for _ in 0..3 {
            let answer = resolver.lookup(&name("shop.example.vn")).await;
            assert!(answer.errors.is_empty(), "{first}: {:?}", answer.errors);
            assert_eq!(answer.a, vec![ip("192.0.2.10")]);
            assert_eq!(answer.aaaa, vec![ip("2001:db8::10")]);
        }
    }
}

#[tokio::test]
async fn a_name_server_on_ipv6_loopback_is_asked_over_ipv6() {
    let server = dns_server::start_v6().await;
    assert!(server.addr.is_ipv6());
    let resolver = resolver_for(server.addr);
    let answer = resolver.lookup(&name("shop.example.vn")).await;
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    assert_eq!(answer.a, vec![ip("192.0.2.10")]);
    assert_eq!(answer.aaaa, vec![ip("2001:db8::10")]);
    assert_eq!(
        resolver.ptr(ip("2001:db8::10")).await.expect("ptr"),
        vec!["shop.example.vn"]
    );
}

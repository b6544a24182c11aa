//! The address guard: every range family refused, loopback allowed only with the flag.

use std::net::IpAddr;

use originguard::network::guard::{is_private, AddressGuard, BlockReason};

fn ip(text: &str) -> IpAddr {
    text.parse()
        .unwrap_or_else(|_| panic!("{text} is an address"))
}

fn reason(guard: &AddressGuard, text: &str) -> Option<BlockReason> {
    guard.check(ip(text)).err().map(|b| b.reason)
}

/// (address, expected refusal) — first and last addresses of ranges where it matters.
const REFUSED: &[(&str, BlockReason)] = &[
    ("0.0.0.0", BlockReason::Unspecified),
    ("0.1.2.3", BlockReason::ThisNetwork),
    ("10.0.0.0", BlockReason::Private),
    ("10.255.255.255", BlockReason::Private),
    ("172.16.0.1", BlockReason::Private),
    ("172.31.255.255", BlockReason::Private),
    ("192.168.1.1", BlockReason::Private),
    ("100.64.0.1", BlockReason::SharedAddressSpace),
    ("100.127.255.255", BlockReason::SharedAddressSpace),
    ("127.0.0.1", BlockReason::Loopback),
    ("127.255.255.254", BlockReason::Loopback),
    ("169.254.169.254", BlockReason::LinkLocal),
    ("192.0.0.8", BlockReason::ProtocolAssignments),
    ("192.0.2.1", BlockReason::Documentation),
    ("198.51.100.7", BlockReason::Documentation),
    ("203.0.113.255", BlockReason::Documentation),
    ("198.18.0.1", BlockReason::Benchmarking),
    ("198.19.255.255", BlockReason::Benchmarking),
    ("192.88.99.1", BlockReason::Reserved),
    ("224.0.0.1", BlockReason::Multicast),
    ("239.255.255.250", BlockReason::Multicast),
    ("240.0.0.1", BlockReason::Reserved),
    ("255.255.255.254", BlockReason::Reserved),
    ("255.255.255.255", BlockReason::Broadcast),
    ("::", BlockReason::Unspecified),
    ("::1", BlockReason::Loopback),
    ("::10.0.0.1", BlockReason::Reserved),
    ("100::1", BlockReason::Reserved),
    ("fc00::1", BlockReason::Private),
    ("fdff:ffff::1", BlockReason::Private),
    ("fe80::1", BlockReason::LinkLocal),
    ("febf::1", BlockReason::LinkLocal),
    ("fec0::1", BlockReason::Private),
    ("ff02::1", BlockReason::Multicast),
    ("2001:db8::1", BlockReason::Documentation),
    ("2001:db8:ffff::1", BlockReason::Documentation),
    ("3fff::1", BlockReason::Documentation),
    ("2001:2::1", BlockReason::Benchmarking),
    ("2001:10::1", BlockReason::ProtocolAssignments),
    ("64:ff9b:1::1", BlockReason::Reserved),
    ("4000::1", BlockReason::Reserved),
    // IPv4-mapped and IPv4-translated forms are judged as their IPv4 address.
    ("::ffff:10.1.2.3", BlockReason::Private),
    ("::ffff:169.254.169.254", BlockReason::LinkLocal),
    ("::ffff:192.0.2.1", BlockReason::Documentation),
    ("::ffff:0:192.168.0.1", BlockReason::Private),
    // NAT64, 6to4 and Teredo forms whose embedded IPv4 address is refused.
    ("64:ff9b::10.0.0.1", BlockReason::Private),
    ("64:ff9b::127.0.0.1", BlockReason::Loopback),
    ("2002:c0a8:0101::1", BlockReason::Private),
    ("2002:7f00:0001::1", BlockReason::Loopback),
    ("2001:0:c000:0201::1", BlockReason::Documentation),
    // Teredo client 10.0.0.1 obfuscated (inverted) in the last 32 bits: f5ff:fffe.
    ("2001:0:0808:0808::f5ff:fffe", BlockReason::Private),
];

const ALLOWED: &[&str] = &[
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700::1111",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:0808:0808::1",
    "2001:0:0808:0808::f7f7:f7f7",
];

#[test]
fn every_special_range_is_refused_with_its_reason() {
    let strict = AddressGuard::strict();
    for (address, expected) in REFUSED {
        assert_eq!(reason(&strict, address), Some(*expected), "{address}");
    }
}

#[test]
fn public_addresses_are_allowed() {
    let strict = AddressGuard::strict();
    for address in ALLOWED {
        assert_eq!(reason(&strict, address), None, "{address}");
    }
}

#[test]
fn loopback_is_allowed_only_with_the_flag_and_nothing_else_is() {
    let loose = AddressGuard {
        allow_loopback: true,
    };
    for address in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
        assert_eq!(reason(&loose, address), None, "{address}");
        assert_eq!(
            reason(&AddressGuard::strict(), address),
            Some(BlockReason::Loopback),
            "{address}"
        );
    }
    // Loopback through a translator or tunnel leaves the machine: never allowed.
    for address in [
        "64:ff9b::127.0.0.1",
        "2002:7f00:0001::1",
        "::ffff:0:127.0.0.1",
    ] {
        assert_eq!(
            reason(&loose, address),
            Some(BlockReason::Loopback),
            "{address}"
        );
    }
    for (address, expected) in REFUSED {
        if *expected != BlockReason::Loopback {
            assert_eq!(reason(&loose, address), Some(*expected), "{address}");
        }
    }
}

#[test]
fn refusals_carry_codes_and_messages() {
    let blocked = AddressGuard::strict()
        .check(ip("10.0.0.1"))
        .expect_err("private is refused");
    assert_eq!(blocked.reason.code(), "private");
    assert!(blocked
        .message(originguard::i18n::Lang::En)
        .contains("10.0.0.1"));
    assert!(blocked
        .message(originguard::i18n::Lang::Vi)
        .contains("địa chỉ nội bộ"));
}

#[test]
fn private_flag_covers_internal_ranges_only() {
    for address in [
        "10.1.1.1",
        "172.16.5.4",
        "192.168.0.1",
        "100.64.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "fd12::1",
        "fe80::1",
        "::1",
        "::ffff:192.168.0.1",
    ] {
        assert!(is_private(ip(address)), "{address}");
    }
    for address in [
        "192.0.2.1",
        "8.8.8.8",
        "2001:db8::1",
        "224.0.0.1",
        "2606:4700::1",
    ] {
        assert!(!is_private(ip(address)), "{address}");
    }
}

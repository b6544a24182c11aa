//! The host a target is taken to name is the host a browser would go to: for URLs of the
//! special schemes, the one the WHATWG URL Standard (the `url` crate) gives; for a target
//! without a scheme, the one of `http://` + the target. A takedown must never land on a third
//! party's name hidden after a `\`, an `@`, a `?` or a `#`.

use std::net::IpAddr;

use originguard::network::names::Target;
use proptest::prelude::*;

/// Pieces that make hosts, user info, ports, paths and the characters browsers treat
/// specially in an authority.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("shop.example.vn".to_owned()),
        Just("hanggia-7.vn".to_owned()),
        Just("evil-homograph.com".to_owned()),
        Just("203.0.113.7".to_owned()),
        Just("[2001:db8::1]".to_owned()),
        Just("Hàng-Hiệu.VN".to_owned()),
        Just("user".to_owned()),
        Just("@".to_owned()),
        Just("\\".to_owned()),
        Just("/".to_owned()),
        Just(":".to_owned()),
        Just(":8443".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just(".".to_owned()),
        Just("%2e".to_owned()),
        "[a-z0-9-]{1,8}",
    ]
}

fn input() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 1..7).prop_map(|parts| parts.concat())
}

/// The host the `url` crate takes from `url`, in our canonical text.
fn browser_host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(match parsed.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_owned(),
        url::Host::Ipv4(ip) => IpAddr::V4(ip).to_string(),
        url::Host::Ipv6(ip) => IpAddr::V6(ip).to_string(),
    })
}

fn our_host(target: &Target) -> Option<String> {
    match target {
        Target::Domain { name, .. } => Some(name.as_str().to_owned()),
        Target::Ip { ip, .. } => Some(ip.to_string()),
        Target::Cidr(_) => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_special_urls_host_is_the_browsers(scheme in prop_oneof![Just("https"), Just("http"), Just("HtTpS")], rest in input()) {
        let url = format!("{scheme}://{rest}");
        if let Ok(target) = Target::parse(&url) {
            let ours = our_host(&target);
            prop_assert_eq!(ours, browser_host(&url), "{}", url);
        }
    }

    #[test]
    fn a_bare_targets_host_is_the_browsers(rest in input()) {
        // A bare address (`2001:db8::1`) is an address, not a URL to compare.
        let bare_address = rest.parse::<IpAddr>().is_ok();
        if let (Ok(target), false) = (Target::parse(&rest), bare_address) {
            if let Some(ours) = our_host(&target) {
                let browser = browser_host(&format!("http://{rest}"));
                prop_assert_eq!(Some(ours), browser, "{}", rest);
            }
        }
    }
}

#[test]
fn a_backslash_never_hands_the_host_to_what_follows() {
    for (input, host) in [
        ("https://hanggia-7.vn\\@evil-homograph.com/", "hanggia-7.vn"),
        ("hanggia-7.vn\\@evil-homograph.com", "hanggia-7.vn"),
        ("https://hanggia-7.vn?@evil-homograph.com", "hanggia-7.vn"),
        ("hanggia-7.vn#@evil-homograph.com", "hanggia-7.vn"),
        ("https://user@hanggia-7.vn\\x", "hanggia-7.vn"),
    ] {
        let target = Target::parse(input).expect(input);
        assert_eq!(our_host(&target).as_deref(), Some(host), "{input}");
    }
}

#[test]
fn a_malformed_prefix_is_an_invalid_block_not_an_address() {
    for input in [
        "203.0.113.0/-1",
        "203.0.113.0/+8",
        "2001:db8::/-0",
        "[2001:db8::]/-1",
    ] {
        assert!(
            !matches!(Target::parse(input), Ok(Target::Ip { .. })),
            "{input} read as an address"
        );
        assert!(Target::parse(input).is_err(), "{input}");
    }
}

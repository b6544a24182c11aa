//! Targets and domain names: parsing, IDNA, public suffixes, `.vn`.

use std::net::IpAddr;

use originguard::i18n::Lang;
use originguard::network::names::{Cidr, DomainName, NameError, Target};
use proptest::prelude::*;

fn domain(text: &str) -> DomainName {
    DomainName::parse(text).unwrap_or_else(|e| panic!("{text} should parse: {e}"))
}

fn registrable(text: &str) -> Option<String> {
    domain(text).registrable_domain().map(|d| d.to_string())
}

#[test]
fn registrable_domains_under_vn_second_level_names() {
    assert_eq!(
        registrable("shop.myphamxachtay.com.vn").as_deref(),
        Some("myphamxachtay.com.vn")
    );
    assert_eq!(
        registrable("www.shop.hanoi.vn").as_deref(),
        Some("shop.hanoi.vn")
    );
    assert_eq!(
        registrable("a.b.c.giay-gia.vn").as_deref(),
        Some("giay-gia.vn")
    );
    assert_eq!(registrable("x.y.edu.vn").as_deref(), Some("y.edu.vn"));
    assert_eq!(
        registrable("www.thanhphohochiminh.vn").as_deref(),
        Some("www.thanhphohochiminh.vn")
    );
    assert_eq!(
        registrable("com.vn"),
        None,
        "a public suffix has no registrable domain"
    );
    assert_eq!(domain("shop.hanoi.vn").public_suffix(), Some("hanoi.vn"));
}

#[test]
fn registrable_domains_under_multi_label_suffixes() {
    assert_eq!(
        registrable("a.b.example.co.uk").as_deref(),
        Some("example.co.uk")
    );
    assert_eq!(
        registrable("shop.example.com.au").as_deref(),
        Some("example.com.au")
    );
    assert_eq!(
        registrable("www.example.com").as_deref(),
        Some("example.com")
    );
}

#[test]
fn idn_round_trip_and_vn_flag() {
    let name = domain("hàng-hiệu.vn");
    assert_eq!(name.as_str(), "xn--hng-hiu-8va4100e.vn");
    assert_eq!(name.to_unicode(), "hàng-hiệu.vn");
    assert_eq!(domain("xn--hng-hiu-8va4100e.vn"), name);
    assert_eq!(name.registrable_domain(), Some(name.clone()));
    assert!(name.is_vn());
    assert!(!domain("example.com").is_vn());
    assert!(!domain("vn.example.com").is_vn());
    assert!(domain("SHOP.Example.VN.").is_vn());
}

#[test]
fn names_are_normalised() {
    assert_eq!(domain("Shop.Example.VN.").as_str(), "shop.example.vn");
    assert_eq!(domain("ｓｈｏｐ。example。vn").as_str(), "shop.example.vn");
}

#[test]
fn bad_names_have_stable_codes() {
    let cases = [
        ("", NameError::EmptyLabel),
        (".", NameError::EmptyLabel),
        ("a..vn", NameError::EmptyLabel),
        ("shop_x.vn", NameError::InvalidCharacter),
        ("-shop.vn", NameError::InvalidDomain),
        ("shop-.vn", NameError::InvalidDomain),
        ("localhost", NameError::SingleLabel),
        ("127.1", NameError::NumericTld),
        ("xn--zzzzzzz-.vn", NameError::InvalidDomain),
    ];
    for (input, expected) in cases {
        assert_eq!(DomainName::parse(input), Err(expected), "input {input:?}");
    }
    let long_label = format!("{}.vn", "hàng".repeat(20));
    assert_eq!(DomainName::parse(&long_label), Err(NameError::LabelTooLong));
    assert_eq!(NameError::LabelTooLong.code(), "label_too_long");
    assert_eq!(NameError::NameTooLong.code(), "name_too_long");
    assert_eq!(NameError::InvalidTarget.code(), "invalid_target");
    assert_ne!(
        NameError::InvalidDomain.message(Lang::En),
        NameError::InvalidDomain.message(Lang::Vi)
    );
    assert_eq!(
        NameError::InvalidDomain.message(Lang::Vi),
        "Tên miền không hợp lệ"
    );
}

#[test]
fn targets_from_urls_keep_host_and_port() {
    let parsed = Target::parse("https://Shop.Example.VN:8443/p/1?x=1#top").expect("url");
    assert_eq!(
        parsed,
        Target::Domain {
            name: domain("shop.example.vn"),
            port: Some(8443)
        }
    );
    let parsed = Target::parse("http://user:pw@hàng-hiệu.vn/giày").expect("idn url");
    assert_eq!(
        parsed,
        Target::Domain {
            name: domain("xn--hng-hiu-8va4100e.vn"),
            port: None
        }
    );
    let parsed = Target::parse("https://[2001:db8::1]:8443/").expect("v6 url");
    assert_eq!(
        parsed,
        Target::Ip {
            ip: "2001:db8::1".parse().expect("ip"),
            port: Some(8443)
        }
    );
    let parsed = Target::parse("https://203.0.113.7/x").expect("v4 url");
    assert_eq!(
        parsed,
        Target::Ip {
            ip: "203.0.113.7".parse().expect("ip"),
            port: None
        }
    );
    assert_eq!(
        Target::parse("shop.example.vn/p/1"),
        Ok(Target::Domain {
            name: domain("shop.example.vn"),
            port: None
        })
    );
}

#[test]
fn targets_bare_addresses_domains_and_cidrs() {
    let v4: IpAddr = "203.0.113.7".parse().expect("ip");
    assert_eq!(
        Target::parse(" 203.0.113.7 "),
        Ok(Target::Ip { ip: v4, port: None })
    );
    let v6: IpAddr = "2001:db8::7".parse().expect("ip");
    assert_eq!(
        Target::parse("2001:DB8::7"),
        Ok(Target::Ip { ip: v6, port: None })
    );
    assert_eq!(
        Target::parse("[2001:db8::7]"),
        Ok(Target::Ip { ip: v6, port: None })
    );
    assert_eq!(
        Target::parse("giay-gia.com.vn:8443"),
        Ok(Target::Domain {
            name: domain("giay-gia.com.vn"),
            port: Some(8443)
        })
    );
    match Target::parse("203.0.113.0/24") {
        Ok(Target::Cidr(block)) => assert_eq!(block.to_string(), "203.0.113.0/24"),
        other => panic!("expected a CIDR, got {other:?}"),
    }
    match Target::parse("2001:0DB8:0:0::/32") {
        Ok(Target::Cidr(block)) => assert_eq!(block.to_string(), "2001:db8::/32"),
        other => panic!("expected a CIDR, got {other:?}"),
    }
    assert_eq!(
        Target::parse("203.0.113.7/24"),
        Err(NameError::CidrHostBits)
    );
    assert_eq!(Cidr::parse("203.0.113.0/x"), Err(NameError::InvalidCidr));
}

#[test]
fn bad_targets_are_refused_with_codes() {
    assert_eq!(Target::parse(""), Err(NameError::InvalidTarget));
    assert_eq!(Target::parse("   "), Err(NameError::InvalidTarget));
    assert_eq!(
        Target::parse("shop example.vn"),
        Err(NameError::InvalidTarget)
    );
    assert_eq!(Target::parse("1http://x.vn"), Err(NameError::InvalidTarget));
    assert_eq!(Target::parse("https://"), Err(NameError::InvalidTarget));
    assert_eq!(
        Target::parse("https://shop.vn:0/"),
        Err(NameError::InvalidPort)
    );
    assert_eq!(
        Target::parse("https://shop.vn:70000/"),
        Err(NameError::InvalidPort)
    );
    assert_eq!(
        Target::parse("https://[2001:db8::1/"),
        Err(NameError::InvalidTarget)
    );
    assert_eq!(Target::parse("256.1.1.1"), Err(NameError::NumericTld));
    assert_eq!(Target::parse("0x7f.1"), Err(NameError::NumericTld));
    assert_eq!(
        Target::parse(&"a".repeat(5000)),
        Err(NameError::InvalidTarget)
    );
}

fn ascii_label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
}

proptest! {
    #[test]
    fn parsing_never_panics(input in "\\PC{0,80}") {
        let _ = Target::parse(&input);
        let _ = DomainName::parse(&input);
        let _ = Cidr::parse(&input);
    }

    #[test]
    fn parsing_bytes_like_input_never_panics(input in "[a-zA-Z0-9.:/\\[\\]@%_-]{0,60}") {
        if let Ok(Target::Domain { name, .. }) = Target::parse(&input) {
            prop_assert!(name.as_str().len() <= 253);
            prop_assert!(name.labels().all(|l| !l.is_empty() && l.len() <= 63));
        }
    }

    #[test]
    fn valid_ascii_names_round_trip(
        labels in proptest::collection::vec(ascii_label(), 1..4),
        tld in "[a-z]{2,6}",
    ) {
        let text = format!("{}.{}", labels.join("."), tld);
        prop_assume!(!labels.iter().any(|l| l.len() >= 4 && &l[2..4] == "--"));
        let parsed = DomainName::parse(&text).expect("valid ASCII name");
        prop_assert_eq!(parsed.as_str(), text.as_str());
        let upper = DomainName::parse(&format!("{}.", text.to_uppercase())).expect("upper case");
        prop_assert_eq!(&upper, &parsed);
        prop_assert_eq!(DomainName::parse(parsed.as_str()), Ok(parsed.clone()));
        prop_assert_eq!(parsed.to_unicode(), text.clone());
    }

    #[test]
    fn cidr_text_round_trips(a in any::<u32>(), prefix in 0u8..=32) {
        let network = a & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
        let text = format!("{}/{}", std::net::Ipv4Addr::from(network), prefix);
        let block = Cidr::parse(&text).expect("canonical block");
        prop_assert_eq!(block.to_string(), text);
    }
}

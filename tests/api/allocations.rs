//! IP allocation data from the RIR delegated-stats fixture.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

use originguard::network::allocations::AllocationTable;

fn fixture() -> AllocationTable {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ip-allocations/delegated-sample.txt");
    AllocationTable::from_path(path).expect("fixture loads")
}

fn country(table: &AllocationTable, address: &str) -> Option<String> {
    let ip: IpAddr = address.parse().expect("address");
    table.lookup(ip).map(str::to_owned)
}

#[test]
fn ipv4_lookups_respect_odd_sized_blocks() {
    let table = fixture();
    assert_eq!(country(&table, "192.0.2.0").as_deref(), Some("VN"));
    assert_eq!(country(&table, "192.0.2.127").as_deref(), Some("VN"));
    assert_eq!(country(&table, "192.0.2.128").as_deref(), Some("KR"));
    assert_eq!(country(&table, "192.0.2.227").as_deref(), Some("KR"));
    assert_eq!(
        country(&table, "192.0.2.228"),
        None,
        "128 + 100 addresses end at .227"
    );
    assert_eq!(country(&table, "198.51.100.77").as_deref(), Some("CN"));
    assert_eq!(country(&table, "203.0.113.7").as_deref(), Some("US"));
    assert_eq!(
        country(&table, "203.0.114.1"),
        None,
        "available is not delegated"
    );
    assert_eq!(country(&table, "8.8.8.8"), None);
    assert_eq!(country(&table, "::ffff:203.0.113.7").as_deref(), Some("US"));
}

#[test]
fn ipv6_lookups_use_prefix_lengths() {
    let table = fixture();
    assert_eq!(country(&table, "2001:db8::1").as_deref(), Some("VN"));
    assert_eq!(
        country(&table, "2001:db8:7fff:ffff::1").as_deref(),
        Some("VN")
    );
    assert_eq!(country(&table, "2001:db8:8000::1").as_deref(), Some("SG"));
    assert_eq!(
        country(&table, "2001:db8:ffff:ffff::ffff").as_deref(),
        Some("SG")
    );
    assert_eq!(country(&table, "2001:db9::1"), None);
    assert_eq!(
        country(&table, "3fff::1"),
        None,
        "reserved is not delegated"
    );
}

#[test]
fn header_summary_and_asn_lines_are_skipped_and_bad_lines_counted() {
    let table = fixture();
    assert_eq!(table.len(), (4, 2));
    assert_eq!(
        table.rejected(),
        2,
        "non-numeric count and misaligned IPv6 start"
    );
}

#[test]
fn from_path_reports_missing_files_and_parse_matches() {
    assert!(AllocationTable::from_path("/nonexistent/delegated").is_err());
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(file, "ripencc|NL|ipv4|198.51.100.0|256|20200101|allocated").expect("write");
    let table = AllocationTable::from_path(file.path()).expect("loads");
    assert_eq!(country(&table, "198.51.100.1").as_deref(), Some("NL"));
}

#[test]
fn large_tables_stay_sorted_and_searchable() {
    let mut text = String::new();
    for i in (0u32..20_000).rev() {
        let start = std::net::Ipv4Addr::from(0x0A00_0000 + i * 4);
        let cc = if i % 2 == 0 { "VN" } else { "SG" };
        text.push_str(&format!("apnic|{cc}|ipv4|{start}|4|20200101|allocated\n"));
    }
    let table = AllocationTable::parse(&text);
    assert_eq!(table.len(), (20_000, 0));
    for i in [0u32, 1, 9_999, 19_999] {
        let probe = std::net::Ipv4Addr::from(0x0A00_0000 + i * 4 + 3);
        let expected = if i % 2 == 0 { "VN" } else { "SG" };
        assert_eq!(table.lookup(probe.into()), Some(expected), "{probe}");
    }
}

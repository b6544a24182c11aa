//! Zones for resolution benchmarks: 10,000 names spread over 100 zones under `com.vn`, and
//! a reverse zone for their documentation addresses. Shared by `benches/resolve.rs` (served by
//! the in-process hickory server) and `examples/bench_zones.rs` (written out for NSD).

#![allow(dead_code)]

use std::fmt::Write as _;

pub const NAMES: usize = 10_000;
pub const BATCH: usize = 1_000;

/// Names per zone: hickory-server's in-memory zone answers slow down with zone size (NODATA
/// answers cost O(records)), so the names are spread over many small zones, as real shops are.
const PER_ZONE: usize = 100;

pub fn name_of(i: usize) -> String {
    format!("n{}.shop{}.com.vn", i % PER_ZONE, i / PER_ZONE)
}

pub fn write_zones(dir: &std::path::Path) {
    for zone_index in 0..NAMES / PER_ZONE {
        let origin = format!("shop{zone_index}.com.vn.");
        let mut zone = format!(
            "$ORIGIN {origin}\n$TTL 300\n\
             @ IN SOA ns1.{origin} admin.{origin} 1 3600 600 86400 300\n\
             @ IN NS ns1.{origin}\nns1 IN A 192.0.2.53\n"
        );
        for i in 0..PER_ZONE {
            let _ = writeln!(zone, "n{i} IN A 192.0.2.{}", (zone_index + i) % 256);
        }
        std::fs::write(dir.join(format!("{origin}zone")), zone).expect("write zone");
    }
    let mut reverse = String::from(
        "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 300\n\
         @ IN SOA ns1.example.vn. admin.example.vn. 1 3600 600 86400 300\n\
         @ IN NS ns1.example.vn.\n",
    );
    for i in 0..256 {
        let _ = writeln!(reverse, "{i} IN PTR host{i}.example.vn.");
    }
    std::fs::write(dir.join("2.0.192.in-addr.arpa.zone"), reverse).expect("write zone");
}

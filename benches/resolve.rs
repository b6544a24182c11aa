//! Resolution throughput: 10,000 distinct names (10 batches of 1,000) through
//! `resolve_targets` against an in-process authoritative server on loopback, with a cold
//! resolver cache per iteration. TLS off; per name: A, AAAA, NS, MX, NS of the registrable
//! domain (the name is below the apex) and one PTR look-up.

#[path = "../tests/common/dns_server.rs"]
mod dns_server;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use originguard::network::allocations::AllocationTable;
use originguard::network::dns::{Resolver, ResolverSettings};
use originguard::network::guard::AddressGuard;
use originguard::network::resolve::{resolve_targets, Limits, NetworkContext, ResolveOptions};

const NAMES: usize = 10_000;
const BATCH: usize = 1_000;

/// Names per zone: hickory-server's in-memory zone answers slow down with zone size (NODATA
/// answers cost O(records)), so the names are spread over many small zones, as real shops are.
const PER_ZONE: usize = 100;

fn name_of(i: usize) -> String {
    format!("n{}.shop{}.com.vn", i % PER_ZONE, i / PER_ZONE)
}

fn write_zones(dir: &std::path::Path) {
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

fn bench_resolve(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    write_zones(dir.path());
    let server = runtime.block_on(dns_server::start_in(dir.path()));
    let batches: Vec<Vec<String>> = (0..NAMES / BATCH)
        .map(|b| (b * BATCH..(b + 1) * BATCH).map(name_of).collect())
        .collect();
    let allocations = Arc::new(AllocationTable::default());

    let mut group = c.benchmark_group("resolve");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.warm_up_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(NAMES as u64));
    group.bench_function("10k_names_in_batches_of_1000", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let ctx = NetworkContext {
                    resolver: Resolver::new(&ResolverSettings {
                        nameservers: vec![server.addr],
                        timeout: Duration::from_secs(2),
                        ..ResolverSettings::default()
                    })
                    .expect("resolver"),
                    guard: AddressGuard::strict(),
                    allocations: allocations.clone(),
                    limits: Limits::default(),
                };
                let mut resolved = 0usize;
                for batch in &batches {
                    let results = resolve_targets(batch, ResolveOptions::default(), &ctx)
                        .await
                        .expect("batch within limits");
                    resolved += results.iter().filter(|r| !r.records.a.is_empty()).count();
                }
                assert_eq!(resolved, NAMES, "every name resolved");
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_resolve);
criterion_main!(benches);

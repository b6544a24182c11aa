//! Resolution throughput: 10,000 distinct names (10 batches of 1,000) through
//! `resolve_targets` against an in-process authoritative server on loopback, with a cold
//! resolver per iteration. TLS off; per name: A, AAAA, NS and MX, plus the NS of its
//! registrable domain (the name is below the apex) and the PTR of its address, which are
//! asked once per batch and shared. The endpoint benchmark, against NSD, is
//! `benches/resolve.sh`.

#[path = "../tests/api/common/dns_server.rs"]
mod dns_server;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use originguard::network::allocations::AllocationTable;
use originguard::network::dns::{Resolver, ResolverSettings};
use originguard::network::guard::AddressGuard;
use originguard::network::resolve::{resolve_targets, Limits, NetworkContext, ResolveOptions};

#[path = "support/zones.rs"]
mod zones;

use zones::{name_of, write_zones, BATCH, NAMES};

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

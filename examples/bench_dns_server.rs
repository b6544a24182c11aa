//! A loopback authoritative DNS server for `benches/load.sh`: serves the benchmark zones
//! (10,000 names under 100 `shopN.com.vn` zones) on 127.0.0.1, prints its address, and runs
//! until it is killed. Benchmark support only; it binds loopback and nothing else.

#[path = "../tests/common/dns_server.rs"]
mod dns_server;
#[path = "../benches/support/zones.rs"]
mod zones;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    zones::write_zones(dir.path());
    let server = dns_server::start_in(dir.path()).await;
    println!("{}", server.addr);
    for i in [0, zones::NAMES - 1] {
        eprintln!("serving e.g. {}", zones::name_of(i));
    }
    let _ = tokio::signal::ctrl_c().await;
}

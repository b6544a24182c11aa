//! Writes the resolution benchmark zones (10,000 names under 100 `shopN.com.vn` zones, and
//! the reverse zone of their documentation addresses) into a folder, one `<origin>zone` file
//! each, for `benches/support/nsd.sh`, which serves them with NSD on 127.0.0.1. Benchmark
//! support only: it writes files and opens no socket.
//!
//!     cargo run --release --example bench_zones -- DIR

#[path = "../benches/support/zones.rs"]
mod zones;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: bench_zones DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the zone folder");
    zones::write_zones(&dir);
    for i in [0, zones::NAMES - 1] {
        eprintln!("wrote zones serving e.g. {}", zones::name_of(i));
    }
}

//! Throughput of the pure GS1 parser over a mixed corpus: bracketed and GS-separated element
//! strings with 01/10/17/21, and Digital Link URIs. Reported as elements (codes) per second.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use originguard::origin::gs1;

fn corpus() -> Vec<String> {
    let gtins = [
        "08935049500018",
        "04006381333931",
        "00036000291452",
        "09506000134352",
    ];
    let mut codes = Vec::new();
    for (index, gtin) in gtins.iter().enumerate() {
        let lot = format!("LOT{index}A-7");
        let serial = format!("SN{:06}", index * 7919);
        codes.push(format!("(01){gtin}(17)271231(10){lot}(21){serial}"));
        codes.push(format!("]d201{gtin}17271231{}10{lot}\u{1d}21{serial}", ""));
        codes.push(format!("01{gtin}10{lot}\u{1d}17280200"));
        codes.push(format!(
            "https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}?17=271231"
        ));
    }
    codes
}

fn bench_parse(c: &mut Criterion) {
    let codes = corpus();
    for code in &codes {
        let check = gs1::parse(code, 2025);
        assert!(check.valid(), "{code}: {:?}", check.errors);
    }
    let mut group = c.benchmark_group("gs1");
    group.throughput(Throughput::Elements(codes.len() as u64));
    group.bench_function("parse_mixed_corpus", |b| {
        b.iter(|| {
            for code in &codes {
                black_box(gs1::parse(black_box(code), 2025));
            }
        })
    });
    let strings: Vec<&String> = codes.iter().filter(|c| !c.starts_with("http")).collect();
    group.throughput(Throughput::Elements(strings.len() as u64));
    group.bench_function("parse_element_strings", |b| {
        b.iter(|| {
            for code in &strings {
                black_box(gs1::parse(black_box(code), 2025));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);

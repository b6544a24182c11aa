//! Throughput of tax-code parsing and of the full invoice-reference check.
//!
//! Targets: `TaxCode::parse` above 5 million codes/s and `validate` above 2 million
//! references/s on one core.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use originguard::origin::einvoice::{validate, InvoiceRefInput};
use originguard::origin::tax_code::TaxCode;

/// Valid and invalid codes of every form, roughly as often as clients send them.
const TAX_CODES: [&str; 16] = [
    "0100109106",
    "0300588569",
    "0101248141",
    "0100112437",
    "0100109106-001",
    "0300588569002",
    "001095000123",
    " 0101245486 ",
    "0100109107",
    "0100109106-000",
    "0100000003",
    "097095000123",
    "01001091",
    "0100 109106",
    "",
    "MST-0100109106",
];

fn invoice(
    seller: &str,
    template: &str,
    symbol: &str,
    number: &str,
    c_code: bool,
) -> InvoiceRefInput {
    InvoiceRefInput {
        seller_tax_code: seller.into(),
        template: template.into(),
        symbol: symbol.into(),
        number: number.into(),
        issued_on: Some(format!("20{}-03-01", symbol.get(1..3).unwrap_or("25"))),
        tax_authority_code: c_code.then(|| "00A1B2C3D4E5F60718293A4B5C6D7E8F90".to_owned()),
        buyer_tax_code: Some("0300588569-001".into()),
        gtin: None,
    }
}

fn invoices() -> Vec<InvoiceRefInput> {
    let mut bad = invoice("0100109107", "0", "C25XAA", "0", false);
    bad.issued_on = Some("2025-02-30".into());
    vec![
        invoice("0100109106", "1", "C25TAA", "00000123", true),
        invoice("0101248141", "2", "K24THY", "7", false),
        invoice("0300588569-001", "1", "1C25MAB", "99999999", true),
        invoice("0100112437", "6", "K25NAA", "42", false),
        invoice("001095000123", "2", "K25THH", "1", false),
        invoice("0100109106", "1", "C25TAA", "1", false),
        invoice("0100109106", "1", "K25BAA", "1", true),
        bad,
    ]
}

fn bench_tax(c: &mut Criterion) {
    let mut group = c.benchmark_group("tax");
    group.throughput(Throughput::Elements(TAX_CODES.len() as u64));
    group.bench_function("tax_code_parse", |b| {
        b.iter(|| {
            for code in TAX_CODES {
                let _ = black_box(TaxCode::parse(black_box(code)));
            }
        })
    });
    let corpus = invoices();
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("invoice_validate", |b| {
        b.iter(|| {
            for input in &corpus {
                let _ = black_box(validate(black_box(input)));
            }
        })
    });
    let valid: Vec<InvoiceRefInput> = corpus.into_iter().filter(|i| validate(i).is_ok()).collect();
    group.throughput(Throughput::Elements(valid.len() as u64));
    group.bench_function("invoice_validate_valid_only", |b| {
        b.iter(|| {
            for input in &valid {
                let _ = black_box(validate(black_box(input)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_tax);
criterion_main!(benches);

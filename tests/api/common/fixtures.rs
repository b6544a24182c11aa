//! Shared fixtures: the sample reference data under `fixtures/reference/`, and GS1 and tax
//! codes built by the rules in RULES.md, written independently of the service.

/// Product records.
pub const PRODUCTS: &str = include_str!("../../../fixtures/reference/products.ndjson");
/// Taxpayers.
pub const TAXPAYERS: &str = include_str!("../../../fixtures/reference/taxpayers.ndjson");
/// E-invoices.
pub const INVOICES: &str = include_str!("../../../fixtures/reference/invoices.ndjson");
/// Recalled lots.
pub const RECALLS: &str = include_str!("../../../fixtures/reference/recalls.ndjson");

/// GS1 mod-10 check digit of `body` (RULES.md), written independently of the service.
pub fn gs1_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// `body` followed by its GS1 check digit.
pub fn with_gs1_check_digit(body: &str) -> String {
    format!("{body}{}", gs1_check_digit(body))
}

/// A valid GTIN-13 with GS1 Vietnam prefix 893 and item number `n`.
pub fn gtin13(n: u32) -> String {
    with_gs1_check_digit(&format!("893{n:09}"))
}

/// `code` with its last digit changed, so its check digit is wrong.
pub fn wrong_last_digit(code: &str) -> String {
    let (body, last) = code.split_at(code.len() - 1);
    let digit = last.parse::<u8>().expect("a digit");
    format!("{body}{}", (digit + 1) % 10)
}

/// The first valid 10-digit tax code (RULES.md mod-11 rule) whose body starts at `body`.
pub fn tax_code_from(body: u32) -> String {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    (body..)
        .find_map(|b| {
            let digits = format!("{b:09}");
            let sum: u32 = digits
                .bytes()
                .zip(WEIGHTS)
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            (!sum.is_multiple_of(11)).then(|| format!("{digits}{}", 10 - sum % 11))
        })
        .expect("a valid tax code")
}

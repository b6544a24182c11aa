//! The GS1 mod-10 check digit, shared by GTIN-8/12/13/14, GLN, SSCC, GSRN, GDTI, GRAI, GSIN
//! and every other numeric key.
//!
//! From the rightmost digit of the body (check digit excluded) the digits are weighted 3, 1,
//! 3, 1…; the check digit is `(10 − sum mod 10) mod 10`. These functions never panic and
//! never allocate; anything that is not an ASCII digit makes them answer `None` / `false`.

/// Computes the check digit (0–9) of `body`, a non-empty string of ASCII digits of any length.
/// Returns `None` for an empty body or any non-digit.
pub fn compute(body: &str) -> Option<u8> {
    compute_bytes(body.as_bytes())
}

/// [`compute`] on bytes.
pub fn compute_bytes(body: &[u8]) -> Option<u8> {
    if body.is_empty() {
        return None;
    }
    let mut sum: u32 = 0;
    for (index, &byte) in body.iter().rev().enumerate() {
        if !byte.is_ascii_digit() {
            return None;
        }
        let digit = u32::from(byte - b'0');
        let weighted = if index % 2 == 0 { digit * 3 } else { digit };
        sum = (sum + weighted) % 10;
    }
    // `sum` is below 10, so the result fits in a digit.
    Some(((10 - sum) % 10) as u8)
}

/// Whether the last digit of `code` is the check digit of the digits before it. `code` must
/// hold at least two ASCII digits.
pub fn verify(code: &str) -> bool {
    verify_bytes(code.as_bytes())
}

/// [`verify`] on bytes.
pub fn verify_bytes(code: &[u8]) -> bool {
    match code.split_last() {
        Some((&last, body)) if last.is_ascii_digit() => compute_bytes(body) == Some(last - b'0'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_examples_verify() {
        assert!(verify("4006381333931"));
        assert!(verify("08935049500018"));
        assert_eq!(compute("400638133393"), Some(1));
        assert_eq!(compute("0893504950001"), Some(8));
    }

    #[test]
    fn check_digit_zero_case_uses_outer_modulo() {
        // Body whose weighted sum is a multiple of 10 must give 0, not 10.
        assert_eq!(compute("0000000000000"), Some(0));
        assert!(verify("00000000000000"));
        assert_eq!(compute("1"), Some(7));
    }

    #[test]
    fn wrong_or_malformed_codes_do_not_verify() {
        assert!(!verify("4006381333932"));
        assert!(!verify("08935049500017"));
        assert!(!verify(""));
        assert!(!verify("5"));
        assert!(!verify("40063813339a1"));
        assert!(!verify("400638133393x"));
        assert_eq!(compute(""), None);
        assert_eq!(compute("12é"), None);
    }

    #[test]
    fn other_key_lengths_work_sscc_and_gln() {
        // SSCC example from the GS1 General Specifications.
        assert!(verify("106141411234567897"));
        // GLN example.
        assert!(verify("5412345000013"));
    }
}

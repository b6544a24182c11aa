//! Helpers the GS1 test files share: writing a value into a Digital Link URI.

/// Percent-encodes every byte that is not an ASCII letter or digit, as a Digital Link path or
/// query value may carry it.
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

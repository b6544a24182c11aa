//! Small text helpers shared by the origin parsers.

/// `input` without surrounding whitespace (as [`str::trim`]), with a fast path for the common
/// case of input that starts and ends with a printable ASCII character.
pub(crate) fn trim_input(input: &str) -> &str {
    let printable = |byte: &u8| (0x21..=0x7E).contains(byte);
    match input.as_bytes() {
        [first, .., last] if printable(first) && printable(last) => input,
        [only] if printable(only) => input,
        _ => input.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::trim_input;

    #[test]
    fn trims_exactly_like_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a\u{3000}",
            "\u{b}x\u{b}",
            "ab",
            "é",
            " é ",
            "\u{85}1",
        ] {
            assert_eq!(trim_input(text), text.trim(), "{text:?}");
        }
    }
}

//! GS1 identification keys and barcodes: the pure parser behind `POST /v1/traceability/check`.
//!
//! [`parse`] detects the form of a code and reads it into a [`Check`]:
//! - only digits, 8/12/13/14 of them → a bare GTIN ([`Format::Gtin`]);
//! - `http://` or `https://` → a GS1 Digital Link URI ([`Format::DigitalLink`]);
//! - anything else → an element string, bracketed or with GS separators
//!   ([`Format::ElementString`]), when something marks it as one (RULES.md, "What counts as an
//!   element string in free input"): brackets, a symbology identifier or a GS character, or,
//!   with none of them, a start with a fixed-length key AI (00 or 01), as a keyboard-wedge
//!   scanner that drops the leading FNC1 sends it. Anything else (`400638133`,
//!   `4006381333931A`) is `not_gs1_data`: it is never guessed to be AI 400 or another AI.
//!
//! Rules are data (the GS1 Barcode Syntax Dictionary behind `ai_table.rs`, with its linters in
//! `lint.rs`; `prefix.rs`) walked by one generic checker (`field.rs`). Everything here is pure: no I/O, no clock (except [`parse_today`], the
//! one convenience that reads today's year), no panics on any input, and input longer than
//! [`MAX_CODE_LEN`] characters is refused before it is read.

pub mod ai_table;
pub mod check;
pub mod check_digit;
pub mod date;
pub mod dictionary;
pub mod digital_link;
pub mod element_string;
pub mod error;
pub mod field;
pub mod keys;
pub mod lint;
pub mod prefix;

pub use check::{Check, Element, Format};
pub use error::{Gs1Error, Gs1ErrorCode};
pub use keys::{Gln, Gtin, Sscc};
pub use prefix::{lookup as prefix_lookup, PrefixInfo};

use check::Collector;

/// Longest input read, in characters; anything longer is `bad_length` at this position.
pub const MAX_CODE_LEN: usize = 512;

/// Reads a GS1 code of any supported form. `current_year` drives the date century rule.
/// Leading and trailing ASCII white space (a scanner's CR/LF) is ignored; positions in errors
/// still count from the start of `input`.
pub fn parse(input: &str, current_year: i32) -> Check {
    let trimmed_start = input.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let base = input.len() - trimmed_start.len(); // ASCII white space: bytes == chars
    let code = trimmed_start.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let format = detect(code);
    let mut collector = Collector::new(code, base, current_year);
    if code.is_empty() {
        // `finish` reports `empty` (no position) when nothing was read.
        return collector.finish(format);
    }
    if code.len() > MAX_CODE_LEN && code.chars().count() > MAX_CODE_LEN {
        let cut = code
            .char_indices()
            .nth(MAX_CODE_LEN)
            .map_or(code.len(), |(byte, _)| byte);
        collector.error(Gs1ErrorCode::BadLength, None, cut);
        return collector.finish(format);
    }
    match format {
        Format::Gtin => bare_gtin(&mut collector, code),
        Format::DigitalLink => digital_link::parse(&mut collector, code),
        Format::ElementString if !element_string::is_marked(code) => {
            collector.error(Gs1ErrorCode::NotGs1Data, None, 0)
        }
        Format::ElementString => element_string::parse(&mut collector, code),
    }
    collector.finish(format)
}

/// [`parse`] with the current year in Vietnam taken from the system clock. The only clock read
/// in the GS1 module.
pub fn parse_today(input: &str) -> Check {
    use chrono::Datelike;
    parse(input, super::vietnam_date(chrono::Utc::now()).year())
}

/// Which form `code` (already trimmed) is written in.
pub fn detect(code: &str) -> Format {
    let all_digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
    if all_digits && matches!(code.len(), 8 | 12 | 13 | 14) {
        Format::Gtin
    } else if digital_link::scheme_len(code).is_some() {
        Format::DigitalLink
    } else {
        Format::ElementString
    }
}

fn bare_gtin(collector: &mut Collector<'_>, code: &str) {
    let Some(def) = ai_table::lookup("01") else {
        return;
    };
    let mut padded = [b'0'; 14];
    let offset = 14usize.saturating_sub(code.len());
    if let Some(tail) = padded.get_mut(offset..) {
        if tail.len() == code.len() {
            tail.copy_from_slice(code.as_bytes());
        }
    }
    let gtin = match Gtin::parse(code) {
        Ok(gtin) => Some(gtin),
        Err(error) => {
            // Digits and length were checked by `detect`: only the check digit can be wrong.
            collector.error(error.code, None, error.position.unwrap_or(0));
            None
        }
    };
    collector.bare_element(def, &padded, gtin);
}

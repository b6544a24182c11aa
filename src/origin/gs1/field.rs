//! The one generic checker: validates the data of one AI against its [`AiDef`] from the AI
//! table (length, character set per component, then each component's linters: check digits,
//! dates, ISO codes, IBAN, piece-of-total, company prefix position, …).
//!
//! It knows nothing about any particular AI; everything specific lives in the Syntax
//! Dictionary behind `ai_table.rs`. It works on bytes, never slices a `str`, never allocates
//! and never panics.

use super::ai_table::{AiDef, Charset};
use super::error::Gs1ErrorCode;

const fn charset_table(extra: &[u8], lower: bool) -> [bool; 128] {
    let mut table = [false; 128];
    let mut c = b'0';
    while c <= b'9' {
        table[c as usize] = true;
        c += 1;
    }
    c = b'A';
    while c <= b'Z' {
        table[c as usize] = true;
        if lower {
            table[(c + 32) as usize] = true;
        }
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

static CSET82: [bool; 128] = charset_table(b"!\"%&'()*+,-./:;<=>?_", true);
static CSET39: [bool; 128] = charset_table(b"#-/", false);
static CSET64: [bool; 128] = charset_table(b"-_", true);

impl Charset {
    /// Whether `byte` belongs to this character set (for CSET 64, not counting the `=`
    /// padding, which [`check_field`] allows only at the end).
    pub fn allows(self, byte: u8) -> bool {
        let table = match self {
            Charset::Numeric => return byte.is_ascii_digit(),
            Charset::Cset82 => &CSET82,
            Charset::Cset39 => &CSET39,
            Charset::Cset64 => &CSET64,
        };
        table.get(usize::from(byte)).copied().unwrap_or(false)
    }
}

/// What is wrong with one field, and where: a byte offset into the field's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// The problem.
    pub code: Gs1ErrorCode,
    /// Byte offset into the data (data is ASCII when the offset matters past a bad character).
    pub offset: usize,
}

fn fail(code: Gs1ErrorCode, offset: usize) -> Result<(), FieldError> {
    Err(FieldError { code, offset })
}

/// The first character of `chunk` outside `charset`. CSET 64 data may end in one or two `=`
/// padding characters when its length is a multiple of 3 (as the dictionary's engine has it).
fn bad_character(charset: Charset, chunk: &[u8]) -> Option<usize> {
    let mut body = chunk;
    if charset == Charset::Cset64 {
        let pads = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        if pads > 2 || (pads > 0 && !chunk.len().is_multiple_of(3)) {
            return Some(chunk.len() - pads);
        }
        body = chunk.get(..chunk.len() - pads).unwrap_or_default();
    }
    body.iter().position(|&b| !charset.allows(b))
}

/// Checks `data` (the characters after the AI) against `def`. Reports the first problem only:
/// a non-ASCII character, then the total length, then each component's length, characters
/// and linters in order. Components are applied to the data in order, each taking its fixed
/// length (the last one the rest); optional components left once the data is used up are
/// skipped.
pub fn check_field(def: &AiDef, data: &[u8], current_year: i32) -> Result<(), FieldError> {
    if let Some(offset) = data
        .iter()
        .position(|&b| !b.is_ascii() || b.is_ascii_control())
    {
        return fail(Gs1ErrorCode::BadCharacter, offset);
    }
    let (min, max) = (def.min_len(), def.max_len());
    if data.len() < min {
        return fail(Gs1ErrorCode::BadLength, 0);
    }
    if data.len() > max {
        return fail(Gs1ErrorCode::BadLength, max);
    }
    let mut start = 0;
    for (index, part) in def.parts.iter().enumerate() {
        if start >= data.len() && part.optional {
            break;
        }
        let is_last = index + 1 == def.parts.len();
        let end = if is_last {
            data.len()
        } else {
            (start + part.max).min(data.len())
        };
        let chunk = data.get(start..end).unwrap_or_default();
        if chunk.len() < part.min || chunk.len() > part.max {
            return fail(Gs1ErrorCode::BadLength, start);
        }
        if let Some(bad) = bad_character(part.charset, chunk) {
            return fail(Gs1ErrorCode::BadCharacter, start + bad);
        }
        for linter in &part.linters {
            linter
                .check(chunk, current_year)
                .map_err(|(code, offset)| FieldError {
                    code,
                    offset: start + offset.min(chunk.len()),
                })?;
        }
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::gs1::ai_table::lookup;

    fn check(ai: &str, data: &str) -> Result<(), FieldError> {
        let def = lookup(ai).expect("AI in table");
        check_field(def, data.as_bytes(), 2025)
    }

    fn err(code: Gs1ErrorCode, offset: usize) -> Result<(), FieldError> {
        Err(FieldError { code, offset })
    }

    #[test]
    fn character_sets_match_the_gs1_definitions() {
        let cset82: Vec<u8> = (0u8..128).filter(|&b| Charset::Cset82.allows(b)).collect();
        assert_eq!(cset82.len(), 82);
        let cset39: Vec<u8> = (0u8..128).filter(|&b| Charset::Cset39.allows(b)).collect();
        assert_eq!(cset39.len(), 39);
        assert!(Charset::Cset39.allows(b'#') && !Charset::Cset39.allows(b'a'));
        assert!(!Charset::Cset82.allows(b'#') && !Charset::Cset82.allows(b' '));
        assert!(!Charset::Cset82.allows(200));
    }

    #[test]
    fn gtin_field_checks_length_characters_and_check_digit() {
        assert_eq!(check("01", "08935049500018"), Ok(()));
        assert_eq!(
            check("01", "08935049500017"),
            err(Gs1ErrorCode::CheckDigit, 13)
        );
        assert_eq!(
            check("01", "0893504950001"),
            err(Gs1ErrorCode::BadLength, 0)
        );
        assert_eq!(
            check("01", "0893504950001A"),
            err(Gs1ErrorCode::BadCharacter, 13)
        );
    }

    #[test]
    fn composite_fields_check_each_component() {
        // 253 GDTI: N13 with check digit, then optional X..17 serial.
        assert_eq!(check("253", "4000001000005"), Ok(()));
        assert_eq!(check("253", "4000001000005ABC-1"), Ok(()));
        assert_eq!(
            check("253", "4000001000006ABC"),
            err(Gs1ErrorCode::CheckDigit, 12)
        );
        // 8003 GRAI: filler 0, N13 with check digit, optional serial.
        assert_eq!(check("8003", "04000001000005"), Ok(()));
        assert_eq!(
            check("8003", "14000001000005"),
            err(Gs1ErrorCode::BadCharacter, 0)
        );
        // 8006 ITIP: N14 with check digit + N4.
        assert_eq!(check("8006", "089350495000180102"), Ok(()));
        assert_eq!(
            check("8006", "08935049500018010X"),
            err(Gs1ErrorCode::BadCharacter, 17)
        );
        // 8010 uses CSET 39 and starts with a GS1 Company Prefix.
        assert_eq!(check("8010", "8935AB-12/#"), Ok(()));
        assert_eq!(check("8010", "AB-12/#"), err(Gs1ErrorCode::BadCharacter, 0));
        assert_eq!(check("8010", "ab"), err(Gs1ErrorCode::BadCharacter, 0));
    }

    #[test]
    fn dates_and_country_codes_use_their_rules() {
        assert_eq!(check("17", "271200"), Ok(()));
        assert_eq!(check("17", "271232"), err(Gs1ErrorCode::InvalidDate, 0));
        assert_eq!(check("7006", "271200"), err(Gs1ErrorCode::InvalidDate, 0));
        assert_eq!(check("7003", "2712312359"), Ok(()));
        assert_eq!(
            check("7003", "2712312460"),
            err(Gs1ErrorCode::InvalidDate, 6)
        );
        assert_eq!(check("422", "704"), Ok(()));
        assert_eq!(check("422", "999"), err(Gs1ErrorCode::BadCountryCode, 0));
        assert_eq!(check("423", "704156392"), Ok(()));
        assert_eq!(check("423", "704999"), err(Gs1ErrorCode::BadCountryCode, 3));
        assert_eq!(check("423", "7041"), err(Gs1ErrorCode::BadLength, 3));
        assert_eq!(
            check("423", "704156392250276840"),
            err(Gs1ErrorCode::BadLength, 15)
        );
    }

    #[test]
    fn variable_fields_respect_their_maximum_and_cset82() {
        assert_eq!(check("10", "LOT-7/a_b"), Ok(()));
        assert_eq!(
            check("10", &"A".repeat(21)),
            err(Gs1ErrorCode::BadLength, 20)
        );
        assert_eq!(check("10", ""), err(Gs1ErrorCode::BadLength, 0));
        assert_eq!(check("10", "LOT 7"), err(Gs1ErrorCode::BadCharacter, 3));
        assert_eq!(check("10", "LOTé"), err(Gs1ErrorCode::BadCharacter, 3));
        assert_eq!(check("10", "LOT\u{1d}"), err(Gs1ErrorCode::BadCharacter, 3));
        assert_eq!(check("3103", "001250"), Ok(()));
    }

    #[test]
    fn cset64_allows_padding_only_at_the_end_of_a_whole_block() {
        let def = lookup("8030").expect("8030 in table");
        assert_eq!(check_field(def, b"ab-_09", 2025), Ok(()));
        assert_eq!(check_field(def, b"abcde=", 2025), Ok(()));
        assert_eq!(
            check_field(def, b"abcd=", 2025),
            err(Gs1ErrorCode::BadCharacter, 4)
        );
        assert_eq!(
            check_field(def, b"ab=cde", 2025),
            err(Gs1ErrorCode::BadCharacter, 2)
        );
    }
}

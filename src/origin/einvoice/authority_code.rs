//! The tax authority's code on an invoice (mã của cơ quan thuế), present only on `C` invoices.
//!
//! Its exact layout is set by the tax authority's technical standard (a transaction number
//! plus a code, commonly 34 characters), which is not at hand, so only length and character
//! set are checked. Accepted: [`MIN_AUTHORITY_CODE_LEN`]–[`MAX_AUTHORITY_CODE_LEN`] characters,
//! each an upper-case ASCII letter, an ASCII digit or `-` (cash-register codes are seen written
//! in dash-separated groups). Lower-case letters are refused with `lowercase`, as the code is
//! issued upper-case; surrounding whitespace is removed.

use std::fmt;

use crate::i18n::Lang;

/// Fewest characters accepted.
pub const MIN_AUTHORITY_CODE_LEN: usize = 20;
/// Most characters accepted.
pub const MAX_AUTHORITY_CODE_LEN: usize = 40;
/// Separator accepted between groups.
pub const AUTHORITY_CODE_SEPARATOR: char = '-';

/// Why a string is not a tax-authority code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum AuthorityCodeError {
    /// Nothing but whitespace was given.
    Empty,
    /// Fewer than 20 or more than 40 characters.
    BadLength,
    /// A character other than `A`–`Z`, `0`–`9` or `-`.
    BadCharacter,
    /// A lower-case letter.
    Lowercase,
}

impl AuthorityCodeError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AuthorityCodeError::Empty => "empty",
            AuthorityCodeError::BadLength => "bad_length",
            AuthorityCodeError::BadCharacter => "bad_character",
            AuthorityCodeError::Lowercase => "lowercase",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            AuthorityCodeError::Empty => (
                "Tax authority's code is empty",
                "Mã của cơ quan thuế không được để trống",
            ),
            AuthorityCodeError::BadLength => (
                "Tax authority's code must have 20 to 40 characters",
                "Mã của cơ quan thuế phải có từ 20 đến 40 ký tự",
            ),
            AuthorityCodeError::BadCharacter => (
                "Tax authority's code may contain only letters A to Z, digits and dashes",
                "Mã của cơ quan thuế chỉ được gồm chữ cái từ A đến Z, chữ số và dấu gạch ngang",
            ),
            AuthorityCodeError::Lowercase => (
                "Tax authority's code letters must be upper-case",
                "Các chữ cái trong mã của cơ quan thuế phải viết hoa",
            ),
        };
        lang.pick(en, vi)
    }
}

/// A tax-authority code of acceptable length and characters, stored inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaxAuthorityCode {
    bytes: [u8; MAX_AUTHORITY_CODE_LEN],
    len: u8,
}

impl TaxAuthorityCode {
    /// Parses a tax-authority code, surrounding whitespace removed.
    pub fn parse(input: &str) -> Result<TaxAuthorityCode, AuthorityCodeError> {
        let trimmed = crate::origin::text::trim_input(input);
        if trimmed.is_empty() {
            return Err(AuthorityCodeError::Empty);
        }
        let mut bytes = [0u8; MAX_AUTHORITY_CODE_LEN];
        let given = trimmed.as_bytes();
        if (MIN_AUTHORITY_CODE_LEN..=MAX_AUTHORITY_CODE_LEN).contains(&given.len())
            && given.iter().all(|&byte| is_allowed(byte))
        {
            bytes[..given.len()].copy_from_slice(given);
            return Ok(TaxAuthorityCode {
                bytes,
                len: given.len() as u8,
            });
        }
        // Slow path: find the first problem, in character order.
        let mut len = 0usize;
        for &byte in trimmed.as_bytes() {
            if byte.is_ascii_lowercase() {
                return Err(AuthorityCodeError::Lowercase);
            }
            if !is_allowed(byte) {
                return Err(AuthorityCodeError::BadCharacter);
            }
            let Some(slot) = bytes.get_mut(len) else {
                return Err(AuthorityCodeError::BadLength);
            };
            *slot = byte;
            len += 1;
        }
        if len < MIN_AUTHORITY_CODE_LEN {
            return Err(AuthorityCodeError::BadLength);
        }
        Ok(TaxAuthorityCode {
            bytes,
            len: len as u8,
        })
    }

    /// The code as given (trimmed).
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        std::str::from_utf8(bytes).unwrap_or("")
    }
}

/// Whether `byte` may appear in a code. A non-ASCII character's bytes are all >= 0x80 and are
/// refused.
fn is_allowed(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == AUTHORITY_CODE_SEPARATOR as u8
}

impl fmt::Display for TaxAuthorityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TaxAuthorityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaxAuthorityCode")
            .field(&self.as_str())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 34-character code of the common shape (made up, not a real invoice's code).
    const SAMPLE_34: &str = "00A1B2C3D4E5F60718293A4B5C6D7E8F90";

    #[test]
    fn accepted_lengths_and_characters() {
        assert_eq!(SAMPLE_34.len(), 34);
        for input in [
            SAMPLE_34.to_owned(),
            format!("  {SAMPLE_34}\n"),
            "M1-25-ABCDE-00000000001".to_owned(),
            "A".repeat(MIN_AUTHORITY_CODE_LEN),
            "9".repeat(MAX_AUTHORITY_CODE_LEN),
        ] {
            let parsed = TaxAuthorityCode::parse(&input).map(|c| c.to_string());
            assert_eq!(parsed.as_deref(), Ok(input.trim()), "{input:?}");
        }
    }

    #[test]
    fn each_error_code() {
        let lower = SAMPLE_34.to_ascii_lowercase();
        let cases = [
            ("".to_owned(), AuthorityCodeError::Empty, "empty"),
            (
                "A".repeat(MIN_AUTHORITY_CODE_LEN - 1),
                AuthorityCodeError::BadLength,
                "bad_length",
            ),
            (
                "A".repeat(MAX_AUTHORITY_CODE_LEN + 1),
                AuthorityCodeError::BadLength,
                "bad_length",
            ),
            (
                format!("{SAMPLE_34} X"),
                AuthorityCodeError::BadCharacter,
                "bad_character",
            ),
            (
                SAMPLE_34.replace('A', "Ă"),
                AuthorityCodeError::BadCharacter,
                "bad_character",
            ),
            (lower, AuthorityCodeError::Lowercase, "lowercase"),
        ];
        for (input, error, code) in cases {
            assert_eq!(TaxAuthorityCode::parse(&input), Err(error), "{input:?}");
            assert_eq!(error.code(), code);
            assert!(!error.message(Lang::Vi).is_ascii());
        }
    }
}

//! The invoice number (số hóa đơn): up to eight digits, 1–99,999,999, restarting each year per
//! symbol.
//!
//! Leading zeros are allowed (`00000123` is how many invoices print it) but count towards the
//! eight digits; the canonical form has none (`123`).

use std::fmt;

use crate::i18n::Lang;

/// Most digits an invoice number may be written with.
pub const MAX_NUMBER_DIGITS: usize = 8;
/// Smallest invoice number.
pub const MIN_NUMBER: u32 = 1;

/// Why a string is not an invoice number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum NumberError {
    /// Nothing but whitespace was given.
    Empty,
    /// A character that is not an ASCII digit.
    BadCharacter,
    /// More than eight digits.
    BadLength,
    /// The number is zero.
    OutOfRange,
}

impl NumberError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            NumberError::Empty => "empty",
            NumberError::BadCharacter => "bad_character",
            NumberError::BadLength => "bad_length",
            NumberError::OutOfRange => "out_of_range",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            NumberError::Empty => ("Invoice number is empty", "Số hóa đơn không được để trống"),
            NumberError::BadCharacter => (
                "Invoice number may contain only digits",
                "Số hóa đơn chỉ được gồm chữ số",
            ),
            NumberError::BadLength => (
                "Invoice number has at most 8 digits",
                "Số hóa đơn có tối đa 8 chữ số",
            ),
            NumberError::OutOfRange => (
                "Invoice number must be from 1 to 99,999,999",
                "Số hóa đơn phải từ 1 đến 99.999.999",
            ),
        };
        lang.pick(en, vi)
    }
}

/// A valid invoice number, 1–99,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceNumber(u32);

impl InvoiceNumber {
    /// Parses an invoice number, surrounding whitespace removed.
    pub fn parse(input: &str) -> Result<InvoiceNumber, NumberError> {
        let trimmed = crate::origin::text::trim_input(input);
        if trimmed.is_empty() {
            return Err(NumberError::Empty);
        }
        let mut value = 0u32;
        // Bytes before the first refused one are ASCII digits, so counting bytes counts digits;
        // a non-ASCII character starts with a byte >= 0x80 and is refused.
        for (count, &byte) in trimmed.as_bytes().iter().enumerate() {
            if !byte.is_ascii_digit() {
                return Err(NumberError::BadCharacter);
            }
            if count >= MAX_NUMBER_DIGITS {
                return Err(NumberError::BadLength);
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        if value < MIN_NUMBER {
            return Err(NumberError::OutOfRange);
        }
        Ok(InvoiceNumber(value))
    }

    /// The number's value.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for InvoiceNumber {
    /// The canonical form, without leading zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_and_without_leading_zeros() {
        for (input, value) in [
            ("1", 1),
            ("123", 123),
            ("00000123", 123),
            (" 42 ", 42),
            ("99999999", 99_999_999),
            ("00000001", 1),
        ] {
            let parsed = InvoiceNumber::parse(input);
            assert_eq!(parsed.map(InvoiceNumber::value), Ok(value), "{input:?}");
            assert_eq!(parsed.map(|n| n.to_string()), Ok(value.to_string()));
        }
    }

    #[test]
    fn each_error_code() {
        let cases = [
            ("", NumberError::Empty, "empty"),
            ("\t", NumberError::Empty, "empty"),
            ("12a", NumberError::BadCharacter, "bad_character"),
            ("-5", NumberError::BadCharacter, "bad_character"),
            ("1 2", NumberError::BadCharacter, "bad_character"),
            ("１２", NumberError::BadCharacter, "bad_character"),
            ("100000000", NumberError::BadLength, "bad_length"),
            ("000000001", NumberError::BadLength, "bad_length"),
            ("0", NumberError::OutOfRange, "out_of_range"),
            ("00000000", NumberError::OutOfRange, "out_of_range"),
        ];
        for (input, error, code) in cases {
            assert_eq!(InvoiceNumber::parse(input), Err(error), "{input:?}");
            assert_eq!(error.code(), code);
            assert!(!error.message(Lang::Vi).is_ascii());
        }
    }
}

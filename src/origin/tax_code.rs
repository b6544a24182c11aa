//! Vietnamese tax codes (mã số thuế).
//!
//! A [`TaxCode`] can only be obtained through [`TaxCode::parse`], which checks everything the
//! rules allow us to check offline; once you hold one it is valid and handlers never re-check.
//! Three forms exist:
//!
//! * **enterprise**: 10 digits `N1…N10`, N10 a mod-11 check digit over N1–N9 with the weights in
//!   [`CHECK_WEIGHTS`]. A body whose weighted sum is a multiple of 11 has no valid check digit
//!   (the formula would give 10); the sequence N3–N9 `0000000` is never issued.
//! * **branch** (dependent unit): the parent's 10 digits plus a 3-digit unit number in
//!   [`BRANCH_RANGE`], written `0100109106-001` (canonical) or `0100109106001`.
//! * **personal**: since 1 July 2025 the 12-digit personal identification number (căn cước);
//!   no check digit, the first three digits are a province code in [`PERSONAL_PROVINCE_RANGE`].
//!
//! Choices where the rules are silent (each refuses as little genuine data as possible):
//! N1N2 of a 10-digit code is not checked against a province list (none is published with the
//! rules); every province code 001–096 is accepted for personal numbers, even ones that are
//! unused; only surrounding whitespace is removed, nothing inside the code is ignored.
//!
//! This module never does I/O and never panics, whatever the input.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::i18n::Lang;

/// Weights of N1…N9 in the mod-11 check digit of a 10-digit tax code.
pub const CHECK_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
/// Modulus of the check-digit computation.
pub const CHECK_MODULUS: u32 = 11;
/// N3–N9 value that is never issued.
pub const UNISSUED_SEQUENCE: [u8; 7] = [0; 7];
/// Unit numbers a branch (dependent unit) may carry; `000` is not a branch.
pub const BRANCH_RANGE: RangeInclusive<u16> = 1..=999;
/// Province codes (first three digits) a 12-digit personal identification number may start with.
pub const PERSONAL_PROVINCE_RANGE: RangeInclusive<u16> = 1..=96;
/// Digits in an enterprise tax code.
pub const ENTERPRISE_DIGITS: usize = 10;
/// Digits in a branch tax code (without the dash).
pub const BRANCH_DIGITS: usize = 13;
/// Digits in a personal identification number used as tax code.
pub const PERSONAL_DIGITS: usize = 12;
/// Separator written between the parent code and the branch number.
pub const BRANCH_SEPARATOR: char = '-';

/// The longest canonical form: 13 digits and the branch dash.
const MAX_CANONICAL_LEN: usize = BRANCH_DIGITS + 1;

/// Which kind of taxpayer a tax code identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxCodeKind {
    /// 10-digit code of an enterprise or organisation.
    Enterprise,
    /// 13-digit code of a dependent unit of an enterprise.
    Branch,
    /// 12-digit personal identification number of an individual or household.
    Personal,
}

impl TaxCodeKind {
    /// The stable machine name (`enterprise`, `branch`, `personal`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaxCodeKind::Enterprise => "enterprise",
            TaxCodeKind::Branch => "branch",
            TaxCodeKind::Personal => "personal",
        }
    }
}

/// Why a string is not a valid tax code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum TaxCodeError {
    /// Nothing but whitespace was given.
    Empty,
    /// The number of digits is not 10, 12 or 13 (or a dash is followed by other than 3 digits).
    BadLength,
    /// A character other than a digit, or a dash anywhere but after the 10th digit.
    BadCharacter {
        /// Zero-based character index in the trimmed input.
        position: usize,
    },
    /// The 10th digit is not the mod-11 check digit of the first nine (or none exists).
    CheckDigit,
    /// The sequence N3–N9 is `0000000`, which is never issued.
    UnissuedSequence,
    /// The branch number is `000`.
    BadBranch,
    /// A personal number whose first three digits are not a province code 001–096.
    BadProvince,
}

impl TaxCodeError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            TaxCodeError::Empty => "empty",
            TaxCodeError::BadLength => "bad_length",
            TaxCodeError::BadCharacter { .. } => "bad_character",
            TaxCodeError::CheckDigit => "check_digit",
            TaxCodeError::UnissuedSequence => "unissued_sequence",
            TaxCodeError::BadBranch => "bad_branch",
            TaxCodeError::BadProvince => "bad_province",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            TaxCodeError::Empty => ("Tax code is empty", "Mã số thuế không được để trống"),
            TaxCodeError::BadLength => (
                "Tax code must have 10 digits, 13 digits for a branch (e.g. 0100109106-001) or 12 digits for an individual",
                "Mã số thuế phải gồm 10 chữ số, 13 chữ số đối với đơn vị phụ thuộc (ví dụ 0100109106-001) hoặc 12 chữ số đối với cá nhân",
            ),
            TaxCodeError::BadCharacter { .. } => (
                "Tax code may contain only digits and one dash before a branch number",
                "Mã số thuế chỉ được gồm chữ số và một dấu gạch ngang trước số thứ tự đơn vị phụ thuộc",
            ),
            TaxCodeError::CheckDigit => (
                "Tax code check digit is wrong",
                "Chữ số kiểm tra của mã số thuế không đúng",
            ),
            TaxCodeError::UnissuedSequence => (
                "Tax code sequence 0000000 is never issued",
                "Dãy số 0000000 trong mã số thuế không bao giờ được cấp",
            ),
            TaxCodeError::BadBranch => (
                "Branch number must be between 001 and 999",
                "Số thứ tự đơn vị phụ thuộc phải từ 001 đến 999",
            ),
            TaxCodeError::BadProvince => (
                "A personal identification number must start with a province code from 001 to 096",
                "Số định danh cá nhân phải bắt đầu bằng mã tỉnh từ 001 đến 096",
            ),
        };
        lang.pick(en, vi)
    }
}

/// The check digit N10 for the digits N1…N9 (values 0–9), or `None` when the weighted sum is a
/// multiple of [`CHECK_MODULUS`]: such a body has no valid tax code.
pub fn expected_check_digit(body: &[u8; 9]) -> Option<u8> {
    let sum: u32 = body
        .iter()
        .zip(CHECK_WEIGHTS)
        .map(|(&digit, weight)| u32::from(digit) * weight)
        .sum();
    let remainder = sum % CHECK_MODULUS;
    if remainder == 0 {
        None
    } else {
        // remainder is 1..=10, so the digit is 0..=9.
        u8::try_from(10 - remainder).ok()
    }
}

/// A valid Vietnamese tax code, stored in its canonical form (branch with the dash).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaxCode {
    canonical: [u8; MAX_CANONICAL_LEN],
    len: u8,
    kind: TaxCodeKind,
}

impl TaxCode {
    /// Parses a tax code, removing surrounding whitespace only.
    ///
    /// Errors are reported in this order: [`TaxCodeError::Empty`], then
    /// [`TaxCodeError::BadCharacter`] (first offending character) or
    /// [`TaxCodeError::BadLength`], then the checks of the form found: for a branch the parent's
    /// errors come before [`TaxCodeError::BadBranch`].
    pub fn parse(input: &str) -> Result<TaxCode, TaxCodeError> {
        let trimmed = crate::origin::text::trim_input(input);
        if trimmed.is_empty() {
            return Err(TaxCodeError::Empty);
        }
        let mut digits = [b'0'; BRANCH_DIGITS];
        let mut count = 0usize;
        let mut has_dash = false;
        // Every byte before the first refused one is an ASCII digit or dash, so the byte index
        // of a refused byte is also its character index.
        for (position, &byte) in trimmed.as_bytes().iter().enumerate() {
            if byte.is_ascii_digit() {
                let Some(slot) = digits.get_mut(count) else {
                    return Err(TaxCodeError::BadLength);
                };
                *slot = byte;
                count += 1;
            } else if byte == BRANCH_SEPARATOR as u8 && position == ENTERPRISE_DIGITS && !has_dash {
                has_dash = true;
            } else {
                return Err(TaxCodeError::BadCharacter { position });
            }
        }
        match (count, has_dash) {
            (ENTERPRISE_DIGITS, false) => {
                check_enterprise(&digits)?;
                Ok(TaxCode::from_ascii(&digits, count, TaxCodeKind::Enterprise))
            }
            (BRANCH_DIGITS, _) => {
                check_enterprise(&digits)?;
                if !BRANCH_RANGE.contains(&three_digit_value(&digits[ENTERPRISE_DIGITS..])) {
                    return Err(TaxCodeError::BadBranch);
                }
                Ok(TaxCode::from_ascii(&digits, count, TaxCodeKind::Branch))
            }
            (PERSONAL_DIGITS, false) => {
                if !PERSONAL_PROVINCE_RANGE.contains(&three_digit_value(&digits[..3])) {
                    return Err(TaxCodeError::BadProvince);
                }
                Ok(TaxCode::from_ascii(&digits, count, TaxCodeKind::Personal))
            }
            _ => Err(TaxCodeError::BadLength),
        }
    }

    /// Builds the canonical form from the first `count` already checked ASCII digits.
    fn from_ascii(digits: &[u8; BRANCH_DIGITS], count: usize, kind: TaxCodeKind) -> TaxCode {
        let mut canonical = [0u8; MAX_CANONICAL_LEN];
        let len = if kind == TaxCodeKind::Branch {
            canonical[..ENTERPRISE_DIGITS].copy_from_slice(&digits[..ENTERPRISE_DIGITS]);
            canonical[ENTERPRISE_DIGITS] = BRANCH_SEPARATOR as u8;
            canonical[ENTERPRISE_DIGITS + 1..].copy_from_slice(&digits[ENTERPRISE_DIGITS..]);
            MAX_CANONICAL_LEN
        } else {
            let count = count.min(BRANCH_DIGITS);
            canonical[..count].copy_from_slice(&digits[..count]);
            count
        };
        TaxCode {
            canonical,
            len: len as u8,
            kind,
        }
    }

    /// Which kind of taxpayer this code identifies.
    pub fn kind(&self) -> TaxCodeKind {
        self.kind
    }

    /// The canonical form: digits only, branch codes as `0100109106-001`.
    pub fn as_str(&self) -> &str {
        let bytes = self.canonical.get(..usize::from(self.len)).unwrap_or(&[]);
        std::str::from_utf8(bytes).unwrap_or("")
    }

    /// The 10-digit code of the enterprise a branch depends on; `None` for other kinds.
    pub fn parent(&self) -> Option<TaxCode> {
        if self.kind != TaxCodeKind::Branch {
            return None;
        }
        let mut canonical = [0u8; MAX_CANONICAL_LEN];
        canonical[..ENTERPRISE_DIGITS].copy_from_slice(&self.canonical[..ENTERPRISE_DIGITS]);
        Some(TaxCode {
            canonical,
            len: ENTERPRISE_DIGITS as u8,
            kind: TaxCodeKind::Enterprise,
        })
    }

    /// The branch (dependent unit) number 1–999; `None` for other kinds.
    pub fn branch_number(&self) -> Option<u16> {
        if self.kind != TaxCodeKind::Branch {
            return None;
        }
        let digits = self
            .canonical
            .get(ENTERPRISE_DIGITS + 1..MAX_CANONICAL_LEN)?;
        Some(three_digit_value(digits))
    }
}

/// Checks N1–N10 (ASCII digits) of an enterprise code (or of a branch's parent).
fn check_enterprise(digits: &[u8; BRANCH_DIGITS]) -> Result<(), TaxCodeError> {
    let mut body = [0u8; 9];
    for (value, ascii) in body.iter_mut().zip(digits) {
        *value = ascii - b'0';
    }
    if expected_check_digit(&body) != Some(digits[9] - b'0') {
        return Err(TaxCodeError::CheckDigit);
    }
    if body[2..9] == UNISSUED_SEQUENCE {
        return Err(TaxCodeError::UnissuedSequence);
    }
    Ok(())
}

/// The value of three ASCII digits.
fn three_digit_value(digits: &[u8]) -> u16 {
    digits.iter().take(3).fold(0u16, |acc, &digit| {
        acc * 10 + u16::from(digit.wrapping_sub(b'0'))
    })
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaxCode").field(&self.as_str()).finish()
    }
}

impl FromStr for TaxCode {
    type Err = TaxCodeError;

    fn from_str(s: &str) -> Result<TaxCode, TaxCodeError> {
        TaxCode::parse(s)
    }
}

impl Serialize for TaxCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaxCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TaxCode, D::Error> {
        let text = String::deserialize(deserializer)?;
        TaxCode::parse(&text).map_err(|error| serde::de::Error::custom(error.code()))
    }
}

#[cfg(test)]
mod tests;

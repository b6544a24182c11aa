//! GS1 identification keys that can only be built valid: [`Gtin`], [`Gln`] and [`Sscc`].
//!
//! Parse, don't validate: once you hold a `Gtin` its digits, length and check digit are right,
//! and it is always stored as 14 digits (GTIN-8/12/13 are left-padded with zeros). Errors carry
//! `ai: None` and a character position into the string given to `parse`.

use std::fmt;

use serde::{Serialize, Serializer};

use super::check_digit;
use super::error::{Gs1Error, Gs1ErrorCode};

/// Checks that `input` is only ASCII digits, has one of `lengths`, and ends in its check digit;
/// returns the digits left-padded with zeros to `N`.
fn parse_key<const N: usize>(input: &str, lengths: &[usize]) -> Result<[u8; N], Gs1Error> {
    if let Some(bad) = input.bytes().position(|b| !b.is_ascii_digit()) {
        // Everything before `bad` is ASCII, so the byte offset is the character offset.
        return Err(Gs1Error::new(Gs1ErrorCode::BadCharacter, None, Some(bad)));
    }
    let digits = input.as_bytes();
    if !lengths.contains(&digits.len()) || digits.len() > N {
        return Err(Gs1Error::new(Gs1ErrorCode::BadLength, None, None));
    }
    if !check_digit::verify_bytes(digits) {
        let position = digits.len().saturating_sub(1);
        return Err(Gs1Error::new(
            Gs1ErrorCode::CheckDigit,
            None,
            Some(position),
        ));
    }
    let mut padded = [b'0'; N];
    let offset = N - digits.len();
    padded
        .get_mut(offset..)
        .unwrap_or_default()
        .copy_from_slice(digits);
    Ok(padded)
}

fn digits_str(digits: &[u8]) -> &str {
    // Always ASCII digits by construction, so this never falls back.
    std::str::from_utf8(digits).unwrap_or("")
}

/// A valid Global Trade Item Number, stored as 14 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin([u8; 14]);

impl Gtin {
    /// Parses a GTIN-8, -12, -13 or -14 (digits only, no spaces) and normalises it to 14
    /// digits. Errors: `bad_character` (position of the first non-digit), `bad_length`,
    /// `check_digit` (position of the check digit).
    pub fn parse(input: &str) -> Result<Gtin, Gs1Error> {
        parse_key::<14>(input, &[8, 12, 13, 14]).map(Gtin)
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        digits_str(&self.0)
    }

    /// Builds a GTIN from 14 bytes that the field checker has already accepted for AI 01
    /// (digits, length, check digit); `None` if they are not 14 digits after all.
    pub(crate) fn from_checked(digits: &[u8]) -> Option<Gtin> {
        let digits: [u8; 14] = digits.try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(Gtin(digits))
    }

    /// Whether this is a GTIN-8 (stored as `000000` followed by the eight digits).
    pub fn is_gtin8(&self) -> bool {
        self.0.starts_with(b"000000")
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Gtin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A valid Global Location Number (13 digits with check digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gln([u8; 13]);

impl Gln {
    /// Parses exactly 13 digits ending in a correct check digit.
    pub fn parse(input: &str) -> Result<Gln, Gs1Error> {
        parse_key::<13>(input, &[13]).map(Gln)
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        digits_str(&self.0)
    }
}

impl fmt::Display for Gln {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid Serial Shipping Container Code (18 digits with check digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sscc([u8; 18]);

impl Sscc {
    /// Parses exactly 18 digits ending in a correct check digit.
    pub fn parse(input: &str) -> Result<Sscc, Gs1Error> {
        parse_key::<18>(input, &[18]).map(Sscc)
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        digits_str(&self.0)
    }
}

impl fmt::Display for Sscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_of_every_length_normalise_to_fourteen_digits() {
        let gtin13 = Gtin::parse("4006381333931").expect("valid GTIN-13");
        assert_eq!(gtin13.as_str(), "04006381333931");
        assert_eq!(gtin13.to_string(), "04006381333931");
        assert_eq!(Gtin::parse("04006381333931"), Ok(gtin13));
        let gtin14 = Gtin::parse("08935049500018").expect("valid GTIN-14");
        assert_eq!(gtin14.as_str(), "08935049500018");
        let gtin12 = Gtin::parse("036000291452").expect("valid GTIN-12");
        assert_eq!(gtin12.as_str(), "00036000291452");
        let gtin8 = Gtin::parse("96385074").expect("valid GTIN-8");
        assert_eq!(gtin8.as_str(), "00000096385074");
        assert!(gtin8.is_gtin8() && !gtin13.is_gtin8());
    }

    #[test]
    fn invalid_gtins_cannot_be_built() {
        let wrong = Gtin::parse("4006381333932").expect_err("bad check digit");
        assert_eq!(
            (wrong.code, wrong.position),
            (Gs1ErrorCode::CheckDigit, Some(12))
        );
        let short = Gtin::parse("400638133393").expect_err("12 digits, bad check digit");
        assert_eq!(short.code, Gs1ErrorCode::CheckDigit);
        let length = Gtin::parse("40063813339").expect_err("11 digits");
        assert_eq!(length.code, Gs1ErrorCode::BadLength);
        let letter = Gtin::parse("4006é81333931").expect_err("non-digit");
        assert_eq!(
            (letter.code, letter.position),
            (Gs1ErrorCode::BadCharacter, Some(4))
        );
        assert_eq!(
            Gtin::parse("").map_err(|e| e.code),
            Err(Gs1ErrorCode::BadLength)
        );
    }

    #[test]
    fn gln_and_sscc_have_their_own_lengths() {
        assert_eq!(
            Gln::parse("5412345000013").map(|g| g.to_string()),
            Ok("5412345000013".into())
        );
        assert!(Gln::parse("5412345000014").is_err());
        assert!(Gln::parse("08935049500018").is_err());
        let sscc = Sscc::parse("106141411234567897").expect("valid SSCC");
        assert_eq!(sscc.as_str(), "106141411234567897");
        assert!(Sscc::parse("106141411234567898").is_err());
    }

    #[test]
    fn gtin_serialises_as_its_fourteen_digits() {
        let gtin = Gtin::parse("4006381333931").expect("valid");
        assert_eq!(
            serde_json::to_string(&gtin).expect("serialisable"),
            "\"04006381333931\""
        );
    }
}

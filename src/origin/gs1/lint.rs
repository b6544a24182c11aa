//! The component linters the GS1 Barcode Syntax Dictionary names (`csum`, `yymmd0`,
//! `iso3166`, `iban`, `pieceoftotal`, `gcppos1`, …), one [`Linter`] each, and what each checks.
//!
//! A linter sees one component's data, whose length and character set `field.rs` has already
//! checked, and answers the first problem as an error code and a byte offset into the
//! component. The dictionary's name for each is [`Linter::name`]; an unknown name stops the
//! table from being built, so a new GS1 release that adds a linter is caught by a test.
//! Pure: no I/O, no clock (the current year comes in for the date century rule), no panics.
//!
//! Which API code each linter answers: check digits and the GMN check-character pair →
//! `check_digit`; dates and times → `invalid_date`; ISO 3166 countries (and an IBAN's
//! country) → `bad_country_code`; a character the rule does not allow where it stands (a
//! leading zero, a non-digit where the company prefix must start, a broken `%` escape, an
//! all-digit value that needs a letter) → `bad_character`; a value outside the rule's set or
//! range (piece above total, a zero value, a code not in its list, a latitude past 90°, a
//! coupon that does not parse) → `invalid_value`.

mod checks;
pub mod coupon;
pub mod lists;

use checks::{
    company_prefix, coordinate, csum_alpha, full_date, iban, in_list, is_alpha2, percent_escapes,
    piece_of_total, position_in_sequence, time_part,
};

use super::check_digit;
use super::date;
use super::error::Gs1ErrorCode;
use crate::origin::country;

/// A linter's verdict: the problem and its byte offset in the component.
pub type LintResult = Result<(), (Gs1ErrorCode, usize)>;

/// One content check named in the Syntax Dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Linter {
    /// GS1 mod-10 check digit in the last position.
    Csum,
    /// The GMN check-character pair in the last two positions (AIs 8013, 8014).
    CsumAlpha,
    /// A GS1 Company Prefix (at least four digits) starts at the first position.
    GcpPos1,
    /// A GS1 Company Prefix starts at the second position (after an indicator digit).
    GcpPos2,
    /// `YYMMDD`, day `00` allowed (end of month).
    Yymmd0,
    /// `YYMMDD`.
    Yymmdd,
    /// `YYYYMMDD`, day `00` allowed.
    Yyyymmd0,
    /// `YYYYMMDD`.
    Yyyymmdd,
    /// `hhmm`.
    Hhmi,
    /// `hh`, 00–23.
    Hh,
    /// `mm`, 00–59.
    Mi,
    /// `ss`, 00–59.
    Ss,
    /// An ISO 3166-1 numeric country code.
    Iso3166,
    /// An ISO 3166-1 numeric country code or `999` (unknown).
    Iso3166999,
    /// An ISO 3166-1 alpha-2 country code.
    Iso3166Alpha2,
    /// An ISO 4217 numeric currency code.
    Iso4217,
    /// An ISO/IEC 5218 sex code: 0, 1, 2 or 9.
    Iso5218,
    /// An IBAN: country, mod-97 check digits, alphanumerics.
    Iban,
    /// Piece number then total, each half of the digits: neither zero, piece ≤ total.
    PieceOfTotal,
    /// Not all zeros.
    NonZero,
    /// No leading zero.
    NoZeroPrefix,
    /// The single digit `0`.
    Zero,
    /// Winding direction: 0, 1 or 9.
    Winding,
    /// 0 or 1.
    YesNo,
    /// Only `-`.
    Hyphen,
    /// One importer index character: `-`, digits, letters or `_`.
    ImporterIdx,
    /// A UN/ECE Recommendation 21 package type code.
    PackageType,
    /// An AIDC media type: 01–10 or 80–99.
    MediaType,
    /// `position/total`, no leading zeros, position ≤ total.
    PosInSeqSlash,
    /// Latitude, ten digits, at most 1800000000.
    Latitude,
    /// Longitude, ten digits, at most 3600000000.
    Longitude,
    /// Valid `%XX` escapes only.
    PcEnc,
    /// At least one character that is not a digit.
    HasNonDigit,
    /// A North American coupon code (AI 8110).
    CouponCode,
    /// A positive offer file coupon code (AI 8112).
    CouponPosOffer,
}

/// Every linter with its dictionary name.
pub static LINTERS: &[(&str, Linter)] = &[
    ("csum", Linter::Csum),
    ("csumalpha", Linter::CsumAlpha),
    ("gcppos1", Linter::GcpPos1),
    ("gcppos2", Linter::GcpPos2),
    ("yymmd0", Linter::Yymmd0),
    ("yymmdd", Linter::Yymmdd),
    ("yyyymmd0", Linter::Yyyymmd0),
    ("yyyymmdd", Linter::Yyyymmdd),
    ("hhmi", Linter::Hhmi),
    ("hh", Linter::Hh),
    ("mi", Linter::Mi),
    ("ss", Linter::Ss),
    ("iso3166", Linter::Iso3166),
    ("iso3166999", Linter::Iso3166999),
    ("iso3166alpha2", Linter::Iso3166Alpha2),
    ("iso4217", Linter::Iso4217),
    ("iso5218", Linter::Iso5218),
    ("iban", Linter::Iban),
    ("pieceoftotal", Linter::PieceOfTotal),
    ("nonzero", Linter::NonZero),
    ("nozeroprefix", Linter::NoZeroPrefix),
    ("zero", Linter::Zero),
    ("winding", Linter::Winding),
    ("yesno", Linter::YesNo),
    ("hyphen", Linter::Hyphen),
    ("importeridx", Linter::ImporterIdx),
    ("packagetype", Linter::PackageType),
    ("mediatype", Linter::MediaType),
    ("posinseqslash", Linter::PosInSeqSlash),
    ("latitude", Linter::Latitude),
    ("longitude", Linter::Longitude),
    ("pcenc", Linter::PcEnc),
    ("hasnondigit", Linter::HasNonDigit),
    ("couponcode", Linter::CouponCode),
    ("couponposoffer", Linter::CouponPosOffer),
];

use Gs1ErrorCode::{
    BadCharacter, BadCountryCode, BadLength, CheckDigit, InvalidDate, InvalidValue,
};

/// Fails with `code` at `offset` unless `ok`.
#[inline]
fn require(ok: bool, code: Gs1ErrorCode, offset: usize) -> LintResult {
    if ok {
        Ok(())
    } else {
        Err((code, offset))
    }
}

/// The value of ASCII digits (at most 19 of them; callers check the characters first).
fn number(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, b| {
        acc * 10 + u64::from(b.wrapping_sub(b'0') % 10)
    })
}

#[inline]
fn all_digits(data: &[u8]) -> LintResult {
    match data.iter().position(|b| !b.is_ascii_digit()) {
        Some(at) => Err((BadCharacter, at)),
        None => Ok(()),
    }
}

impl Linter {
    /// The linter called `name` in the dictionary.
    pub fn from_name(name: &str) -> Option<Linter> {
        LINTERS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, linter)| linter)
    }

    /// The dictionary's name for this linter.
    pub fn name(self) -> &'static str {
        LINTERS
            .iter()
            .find(|(_, linter)| *linter == self)
            .map_or("", |&(name, _)| name)
    }

    /// Checks one component's data; `current_year` drives the `YYMMDD` century rule. The
    /// linters on every GTIN and date (check digit, company prefix, `YYMMDD`) are inlined
    /// here; the others are one call away.
    #[inline]
    pub fn check(self, data: &[u8], current_year: i32) -> LintResult {
        match self {
            Linter::Csum => require(
                check_digit::verify_bytes(data),
                CheckDigit,
                data.len().saturating_sub(1),
            ),
            Linter::GcpPos1 => company_prefix(data, 0),
            Linter::GcpPos2 => company_prefix(data, 1),
            Linter::Yymmd0 | Linter::Yymmdd => require(
                date::parse_yymmdd(data, current_year, self == Linter::Yymmd0).is_some(),
                InvalidDate,
                0,
            ),
            _ => self.check_other(data, current_year),
        }
    }

    #[inline(never)]
    fn check_other(self, data: &[u8], current_year: i32) -> LintResult {
        match self {
            Linter::Csum | Linter::GcpPos1 | Linter::GcpPos2 | Linter::Yymmd0 | Linter::Yymmdd => {
                self.check(data, current_year)
            }
            Linter::CsumAlpha => csum_alpha(data),
            Linter::Yyyymmd0 | Linter::Yyyymmdd => full_date(data, self == Linter::Yyyymmd0),
            Linter::Hhmi => {
                time_part(data.get(..2).unwrap_or(data), 23)?;
                time_part(data.get(2..).unwrap_or_default(), 59).map_err(|(c, at)| (c, at + 2))
            }
            Linter::Hh => time_part(data, 23),
            Linter::Mi | Linter::Ss => time_part(data, 59),
            Linter::Iso3166 => require(
                std::str::from_utf8(data)
                    .ok()
                    .and_then(country::by_numeric)
                    .is_some(),
                BadCountryCode,
                0,
            ),
            Linter::Iso3166999 if data == b"999" => Ok(()),
            Linter::Iso3166999 => Linter::Iso3166.check(data, current_year),
            Linter::Iso3166Alpha2 => require(is_alpha2(data), BadCountryCode, 0),
            Linter::Iso4217 => in_list(lists::ISO4217, data),
            Linter::Iso5218 => {
                require(matches!(data, [b'0' | b'1' | b'2' | b'9']), InvalidValue, 0)
            }
            Linter::Iban => iban(data),
            Linter::PieceOfTotal => piece_of_total(data),
            Linter::NonZero => {
                all_digits(data)?;
                require(data.iter().any(|&b| b != b'0'), InvalidValue, 0)
            }
            Linter::NoZeroPrefix => {
                require(data.first() != Some(&b'0'), BadCharacter, 0)?;
                all_digits(data)
            }
            Linter::Zero => require(data == b"0", BadCharacter, 0),
            Linter::Winding => require(matches!(data, [b'0' | b'1' | b'9']), InvalidValue, 0),
            Linter::YesNo => require(matches!(data, [b'0' | b'1']), InvalidValue, 0),
            Linter::Hyphen => match data.iter().position(|&b| b != b'-') {
                Some(at) => Err((BadCharacter, at)),
                None => require(!data.is_empty(), BadLength, 0),
            },
            Linter::ImporterIdx => require(
                matches!(data, [b] if b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'),
                BadCharacter,
                0,
            ),
            Linter::PackageType => in_list(lists::PACKAGE_TYPES, data),
            Linter::MediaType => {
                all_digits(data)?;
                let value = number(data);
                require(
                    data.len() == 2 && ((1..=10).contains(&value) || (80..=99).contains(&value)),
                    InvalidValue,
                    0,
                )
            }
            Linter::PosInSeqSlash => position_in_sequence(data),
            Linter::Latitude => coordinate(data, 1_800_000_000),
            Linter::Longitude => coordinate(data, 3_600_000_000),
            Linter::PcEnc => percent_escapes(data),
            Linter::HasNonDigit => {
                require(data.iter().any(|b| !b.is_ascii_digit()), BadCharacter, 0)
            }
            Linter::CouponCode => coupon::coupon_code(data, current_year),
            Linter::CouponPosOffer => coupon::positive_offer(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for &(name, linter) in LINTERS {
            assert_eq!(Linter::from_name(name), Some(linter));
            assert_eq!(linter.name(), name);
        }
        assert_eq!(Linter::from_name("nosuchlinter"), None);
    }

    #[test]
    fn the_gmn_check_pair_and_the_iban_check_follow_their_published_examples() {
        assert_eq!(
            Linter::CsumAlpha.check(b"1987654Ad4X4bL5ttr2310c2K", 2026),
            Ok(())
        );
        assert_eq!(
            Linter::CsumAlpha.check(b"1987654Ad4X4bL5ttr2310c2L", 2026),
            Err((CheckDigit, 23))
        );
        assert_eq!(Linter::Iban.check(b"GB82WEST12345698765432", 2026), Ok(()));
        assert_eq!(
            Linter::Iban.check(b"GB83WEST12345698765432", 2026),
            Err((CheckDigit, 2))
        );
    }
}

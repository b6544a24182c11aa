//! The checks behind the linters that need more than a line: GMN check pair, IBAN,
//! piece-of-total, position in sequence, company prefix position, full dates, times,
//! coordinates, percent escapes and list look-ups. Pure, no panics.

use super::{all_digits, number, require, LintResult};
use crate::origin::country;
use crate::origin::gs1::date;
use crate::origin::gs1::error::Gs1ErrorCode::{
    BadCharacter, BadCountryCode, BadLength, CheckDigit, InvalidDate, InvalidValue,
};

pub(super) fn in_list(list: &[&str], data: &[u8]) -> LintResult {
    let found = list
        .binary_search_by(|entry| entry.as_bytes().cmp(data))
        .is_ok();
    require(found, InvalidValue, 0)
}

pub(super) fn is_alpha2(data: &[u8]) -> bool {
    std::str::from_utf8(data)
        .ok()
        .and_then(country::by_alpha2)
        .is_some()
}

/// `YYYYMMDD`: a real date, or day `00` when allowed.
pub(super) fn full_date(data: &[u8], day_zero: bool) -> LintResult {
    all_digits(data)?;
    require(data.len() == 8, BadLength, 0)?;
    let year = i32::try_from(number(data.get(..4).unwrap_or_default())).unwrap_or(0);
    let month = u32::try_from(number(data.get(4..6).unwrap_or_default())).unwrap_or(0);
    let day = u32::try_from(number(data.get(6..).unwrap_or_default())).unwrap_or(0);
    require((1..=12).contains(&month), InvalidDate, 4)?;
    let day_ok = if day == 0 {
        day_zero
    } else {
        day <= date::days_in_month(year, month)
    };
    require(day_ok, InvalidDate, 6)
}

/// Two digits no greater than `max`.
pub(super) fn time_part(data: &[u8], max: u64) -> LintResult {
    all_digits(data)?;
    require(data.len() == 2, BadLength, 0)?;
    require(number(data) <= max, InvalidDate, 0)
}

/// At least four digits at `start`: where the GS1 Company Prefix begins (the shortest is four
/// digits long; which prefixes exist is not known offline).
#[inline]
pub(super) fn company_prefix(data: &[u8], start: usize) -> LintResult {
    const MIN_PREFIX: usize = 4;
    let Some(prefix) = data.get(start..start + MIN_PREFIX) else {
        return Err((BadLength, 0));
    };
    all_digits(prefix).map_err(|(code, at)| (code, start + at))
}

/// The GMN check-character pair: a weighted sum of the CSET 82 values by primes, mod 1021,
/// written as two characters of a 32-character set.
pub(super) fn csum_alpha(data: &[u8]) -> LintResult {
    const PRIMES: [u32; 97] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181,
        191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281,
        283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397,
        401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503,
        509,
    ];
    const CSET32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    const CSET82: &[u8] =
        b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    let len = data.len();
    if len < 2 || len > PRIMES.len() + 2 {
        return Err((BadLength, 0));
    }
    let body = data.get(..len - 2).unwrap_or_default();
    let mut sum = 0u32;
    for (pos, byte) in body.iter().enumerate() {
        let Some(value) = CSET82.iter().position(|c| c == byte) else {
            return Err((BadCharacter, pos));
        };
        let weight = PRIMES.get(len - 3 - pos).copied().unwrap_or(0);
        sum += u32::try_from(value).unwrap_or(0) * weight;
    }
    sum %= 1021;
    let expected = [
        CSET32.get((sum >> 5) as usize).copied(),
        CSET32.get((sum & 31) as usize).copied(),
    ];
    let given = [data.get(len - 2).copied(), data.get(len - 1).copied()];
    require(expected == given, CheckDigit, len - 2)
}

/// An IBAN: a country code, two check digits making the whole mod 97 equal 1 (letters count
/// 10–35, the first four characters moved to the end), upper-case letters and digits only.
pub(super) fn iban(data: &[u8]) -> LintResult {
    const MIN: usize = 11;
    const MAX: usize = 34;
    require(data.len() >= 4, BadLength, 0)?;
    require(
        is_alpha2(data.get(..2).unwrap_or_default()),
        BadCountryCode,
        0,
    )?;
    require((MIN..=MAX).contains(&data.len()), BadLength, 0)?;
    let mut remainder = 0u32;
    for step in 0..data.len() {
        let at = (step + 4) % data.len();
        let byte = data.get(at).copied().unwrap_or(0);
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            b'A'..=b'Z' => u32::from(byte - b'A') + 10,
            _ => return Err((BadCharacter, at)),
        };
        remainder = (remainder * if value < 10 { 10 } else { 100 } + value) % 97;
    }
    require(remainder == 1, CheckDigit, 2)
}

/// Piece number and total pieces, each half of the digits: neither all zeros, piece ≤ total.
pub(super) fn piece_of_total(data: &[u8]) -> LintResult {
    all_digits(data)?;
    require(
        !data.is_empty() && data.len().is_multiple_of(2),
        BadLength,
        0,
    )?;
    let (piece, total) = data.split_at(data.len() / 2);
    require(piece.iter().any(|&b| b != b'0'), InvalidValue, 0)?;
    require(total.iter().any(|&b| b != b'0'), InvalidValue, piece.len())?;
    require(piece <= total, InvalidValue, 0)
}

/// `position/total`: digits, a slash, digits; no leading zero; position ≤ total.
pub(super) fn position_in_sequence(data: &[u8]) -> LintResult {
    let Some(slash) = data.iter().position(|&b| b == b'/') else {
        return Err((InvalidValue, 0));
    };
    let (position, total) = (
        data.get(..slash).unwrap_or_default(),
        data.get(slash + 1..).unwrap_or_default(),
    );
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    require(digits(position) && digits(total), InvalidValue, 0)?;
    require(position.first() != Some(&b'0'), BadCharacter, 0)?;
    require(total.first() != Some(&b'0'), BadCharacter, slash + 1)?;
    let not_past_end =
        position.len() < total.len() || (position.len() == total.len() && position <= total);
    require(not_past_end, InvalidValue, 0)
}

/// Ten digits no greater than `max`.
pub(super) fn coordinate(data: &[u8], max: u64) -> LintResult {
    all_digits(data)?;
    require(data.len() == 10, BadLength, 0)?;
    require(number(data) <= max, InvalidValue, 0)
}

/// Every `%` starts an escape of two hexadecimal digits.
pub(super) fn percent_escapes(data: &[u8]) -> LintResult {
    let mut at = 0;
    while let Some(&byte) = data.get(at) {
        if byte == b'%' {
            let hex = |i: usize| data.get(i).is_some_and(u8::is_ascii_hexdigit);
            require(hex(at + 1) && hex(at + 2), BadCharacter, at)?;
            at += 3;
        } else {
            at += 1;
        }
    }
    Ok(())
}

//! GS1 dates: `YYMMDD` (AIs 11–17, 7006) and `YYMMDDhhmm` (AI 7003).
//!
//! Century rule (GS1 General Specifications 7.12, RULES.md): take the year in the current
//! century; if that is 51 or more years ahead of the current year use the previous century,
//! if it is 50 or more years behind use the next one. The current year is always a
//! parameter: nothing here reads the clock.
//!
//! Day `00` means "end of the month" (for best-before/expiry) or "day not given"; it is only
//! accepted where the AI table allows it.

use chrono::NaiveDate;

/// A calendar date read from a GS1 field. `day == 0` means the day was given as `00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gs1Date {
    /// Full year after the century rule.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31, or 0 when the field said `00`.
    pub day: u32,
}

impl Gs1Date {
    /// The date as a chrono date; a day `00` becomes the last day of the month (the GS1
    /// reading for best-before and expiry dates).
    pub fn to_naive_date(self) -> Option<NaiveDate> {
        let day = if self.day == 0 {
            days_in_month(self.year, self.month)
        } else {
            self.day
        };
        NaiveDate::from_ymd_opt(self.year, self.month, day)
    }
}

/// Applies the GS1 century rule to a two-digit year `yy` (0–99).
pub fn full_year(yy: u32, current_year: i32) -> i32 {
    let century = current_year - current_year.rem_euclid(100);
    // `yy` is at most 99, so the conversion cannot fail; fall back to 0 defensively.
    let candidate = century + i32::try_from(yy % 100).unwrap_or(0);
    let ahead = candidate - current_year;
    if ahead >= 51 {
        candidate - 100
    } else if ahead <= -50 {
        candidate + 100
    } else {
        candidate
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`; 0 for a month outside 1–12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn two_digits(bytes: &[u8], at: usize) -> Option<u32> {
    match (bytes.get(at), bytes.get(at + 1)) {
        (Some(&a), Some(&b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// Parses exactly six ASCII digits `YYMMDD`. `None` when the length, a character, the month
/// or the day is wrong (day `00` only when `day_zero_allowed`).
pub fn parse_yymmdd(
    digits: impl AsRef<[u8]>,
    current_year: i32,
    day_zero_allowed: bool,
) -> Option<Gs1Date> {
    let bytes = digits.as_ref();
    if bytes.len() != 6 {
        return None;
    }
    let yy = two_digits(bytes, 0)?;
    let month = two_digits(bytes, 2)?;
    let day = two_digits(bytes, 4)?;
    let year = full_year(yy, current_year);
    if !(1..=12).contains(&month) {
        return None;
    }
    let day_ok = if day == 0 {
        day_zero_allowed
    } else {
        day <= days_in_month(year, month)
    };
    day_ok.then_some(Gs1Date { year, month, day })
}

/// Parses exactly ten ASCII digits `YYMMDDhhmm` (AI 7003): a real date (day `00` not allowed),
/// hour 00–23, minute 00–59. Returns the date, hour and minute.
pub fn parse_yymmddhhmm(
    digits: impl AsRef<[u8]>,
    current_year: i32,
) -> Option<(Gs1Date, u32, u32)> {
    let bytes = digits.as_ref();
    if bytes.len() != 10 {
        return None;
    }
    let date = parse_yymmdd(bytes.get(..6)?, current_year, false)?;
    let hour = two_digits(bytes, 6)?;
    let minute = two_digits(bytes, 8)?;
    (hour <= 23 && minute <= 59).then_some((date, hour, minute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn century_rule_follows_the_fifty_year_window() {
        assert_eq!(full_year(27, 2025), 2027);
        assert_eq!(full_year(75, 2025), 2075); // 50 ahead: still this century
        assert_eq!(full_year(76, 2025), 1976); // 51 ahead: previous century
        assert_eq!(full_year(99, 2025), 1999);
        assert_eq!(full_year(0, 2025), 2000);
        assert_eq!(full_year(0, 2060), 2100); // 60 behind: next century
        assert_eq!(full_year(10, 2060), 2110); // 50 behind: next century
        assert_eq!(full_year(11, 2060), 2011); // 49 behind: this century
    }

    #[test]
    fn months_and_days_are_checked_with_leap_years() {
        assert!(parse_yymmdd("271231", 2025, false).is_some());
        assert!(parse_yymmdd("271301", 2025, false).is_none());
        assert!(parse_yymmdd("270001", 2025, false).is_none());
        assert!(parse_yymmdd("270431", 2025, false).is_none());
        assert!(parse_yymmdd("280229", 2025, false).is_some());
        assert!(parse_yymmdd("270229", 2025, false).is_none());
        // 00 is 2000 (leap) seen from 2025 but 2100 (not leap) seen from 2060.
        assert!(parse_yymmdd("000229", 2025, false).is_some());
        assert!(parse_yymmdd("000229", 2060, false).is_none());
    }

    #[test]
    fn day_zero_only_where_allowed_and_means_end_of_month() {
        let date = parse_yymmdd("280200", 2025, true).expect("day 00 allowed");
        assert_eq!(date.day, 0);
        assert_eq!(date.to_naive_date(), NaiveDate::from_ymd_opt(2028, 2, 29));
        assert!(parse_yymmdd("280200", 2025, false).is_none());
    }

    #[test]
    fn malformed_input_is_refused_without_panicking() {
        for bad in [
            "",
            "2712",
            "27123",
            "2712311",
            "27a231",
            "é71231",
            "２７１２３１",
        ] {
            assert!(parse_yymmdd(bad, 2025, true).is_none(), "{bad}");
        }
    }

    #[test]
    fn date_and_time_checks_hours_and_minutes() {
        let (date, hour, minute) = parse_yymmddhhmm("2712312359", 2025).expect("valid");
        assert_eq!(
            (date.year, date.month, date.day, hour, minute),
            (2027, 12, 31, 23, 59)
        );
        assert!(parse_yymmddhhmm("2712312400", 2025).is_none());
        assert!(parse_yymmddhhmm("2712311260", 2025).is_none());
        assert!(parse_yymmddhhmm("2712001200", 2025).is_none());
        assert!(parse_yymmddhhmm("27123112", 2025).is_none());
    }
}

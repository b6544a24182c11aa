//! Pure rules about where goods come from: GS1 codes, countries, tax codes, e-invoices and
//! the findings checks report. Nothing here does I/O or reads the clock; dates are judged on
//! the Vietnamese calendar date ([`vietnam_date`]).

pub mod country;
pub mod einvoice;
pub mod findings;
pub mod gs1;
pub mod tax_code;
mod text;

/// Vietnam's offset from UTC: seven hours all year (no daylight saving time).
pub const VIETNAM_UTC_OFFSET_SECS: i32 = 7 * 3600;

/// The calendar date in Vietnam at `now`: expiry dates, invoice dates and the GS1 century rule
/// are judged on the local date, which runs seven hours ahead of UTC.
pub fn vietnam_date(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    match chrono::FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECS) {
        Some(offset) => now.with_timezone(&offset).date_naive(),
        None => now.date_naive(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_vietnamese_date_turns_at_17_00_utc() {
        let before: chrono::DateTime<chrono::Utc> = "2026-12-31T16:59:59Z".parse().unwrap();
        let after: chrono::DateTime<chrono::Utc> = "2026-12-31T17:00:00Z".parse().unwrap();
        assert_eq!(super::vietnam_date(before).to_string(), "2026-12-31");
        assert_eq!(super::vietnam_date(after).to_string(), "2027-01-01");
    }
}

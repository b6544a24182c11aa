//! A key's terms of use beyond its role: its rate limit and the time after which it no longer
//! works (`rate_per_minute`, `burst`, `not_after` in the keys file), and `--expires-in`.
//!
//! Parsing here is strict: a keys file with a negative rate or a `not_after` that is not an
//! RFC 3339 time is refused as a whole (the previous keys stay in force), never read as
//! "no limit" or "never expires".

use chrono::{DateTime, Utc};

use super::limit::RatePolicy;
use super::Role;

/// Keys that expire within this many days are listed by `originguard_keys_expiring`.
pub const EXPIRY_WARNING_DAYS: i64 = 14;
/// Longest `--expires-in`: ten years.
const MAX_EXPIRES_IN_DAYS: u64 = 3650;

/// What a key may do beyond its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyTerms {
    /// Its rate limit; `None` is unlimited (admin keys without one).
    pub policy: Option<RatePolicy>,
    /// After this the key answers 401 `key_expired`.
    pub not_after: Option<DateTime<Utc>>,
}

impl KeyTerms {
    /// Reads the optional fields of one keys-file entry for a key of `role`; the message
    /// names the field that is wrong.
    pub fn parse(
        role: Role,
        rate_per_minute: Option<i64>,
        burst: Option<i64>,
        not_after: Option<&toml::Value>,
    ) -> Result<KeyTerms, String> {
        let rate = rate_per_minute
            .map(|v| positive("rate_per_minute", v))
            .transpose()?;
        let burst = burst.map(|v| positive("burst", v)).transpose()?;
        let default = RatePolicy::for_role(role);
        let policy = match (rate, burst, default) {
            (None, None, default) => default,
            (Some(rate_per_minute), burst, default) => Some(RatePolicy {
                rate_per_minute,
                burst: burst
                    .or(default.map(|d| d.burst))
                    .unwrap_or((rate_per_minute / 10).max(1)),
            }),
            (None, Some(burst), Some(default)) => Some(RatePolicy { burst, ..default }),
            (None, Some(_), None) => {
                return Err("`burst` needs `rate_per_minute` on an admin key".to_owned())
            }
        };
        let not_after = not_after.map(parse_not_after).transpose()?;
        Ok(KeyTerms { policy, not_after })
    }

    /// Whether the key no longer works at `now`.
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.not_after.is_some_and(|t| now >= t)
    }
}

fn positive(field: &str, value: i64) -> Result<u32, String> {
    u32::try_from(value).ok().filter(|v| *v > 0).ok_or_else(|| {
        format!("`{field}` must be a whole number from 1 to 4294967295, not {value}")
    })
}

/// `not_after` as a quoted RFC 3339 string (`"2027-06-30T00:00:00Z"`) or a TOML date-time
/// with an offset.
fn parse_not_after(value: &toml::Value) -> Result<DateTime<Utc>, String> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err(format!(
                "`not_after` must be an RFC 3339 time such as \"2027-06-30T00:00:00Z\", not {other}"
            ))
        }
    };
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("`not_after` must be an RFC 3339 time such as \"2027-06-30T00:00:00Z\", not {text:?} ({e})")
        })
}

/// `--expires-in`: a whole number of days, hours or minutes (`90d`, `12h`, `30m`).
pub fn parse_expires_in(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let bad = || {
        format!("--expires-in takes a number of days, hours or minutes such as 90d, 12h or 30m, not `{text}`")
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let digits = &text[..text.len() - unit.len_utf8()];
    let count: u64 = digits.parse().map_err(|_| bad())?;
    let minutes = match unit {
        'd' => count.checked_mul(24 * 60),
        'h' => count.checked_mul(60),
        'm' => Some(count),
        _ => None,
    }
    .filter(|m| (1..=MAX_EXPIRES_IN_DAYS * 24 * 60).contains(m))
    .ok_or_else(bad)?;
    Ok(chrono::Duration::minutes(
        i64::try_from(minutes).map_err(|_| bad())?,
    ))
}

/// The keys-file lines for `not_after`, as written by `keys new --expires-in`.
pub fn not_after_line(not_after: DateTime<Utc>) -> String {
    format!(
        "not_after = \"{}\"\n",
        not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_get_their_defaults_and_fields_override_them() {
        let terms = KeyTerms::parse(Role::Operator, None, None, None).unwrap();
        assert_eq!(terms.policy, RatePolicy::for_role(Role::Operator));
        let terms = KeyTerms::parse(Role::Operator, Some(300), None, None).unwrap();
        assert_eq!(
            terms.policy,
            Some(RatePolicy {
                rate_per_minute: 300,
                burst: 20
            })
        );
        let terms = KeyTerms::parse(Role::Platform, None, Some(5), None).unwrap();
        assert_eq!(
            terms.policy,
            Some(RatePolicy {
                rate_per_minute: 6000,
                burst: 5
            })
        );
        assert_eq!(
            KeyTerms::parse(Role::Admin, None, None, None)
                .unwrap()
                .policy,
            None
        );
        assert_eq!(
            KeyTerms::parse(Role::Admin, Some(100), None, None)
                .unwrap()
                .policy,
            Some(RatePolicy {
                rate_per_minute: 100,
                burst: 10
            })
        );
        assert!(KeyTerms::parse(Role::Admin, None, Some(3), None).is_err());
    }

    #[test]
    fn negative_or_zero_rates_are_refused_with_the_field_named() {
        let err = KeyTerms::parse(Role::Platform, Some(-5), None, None).unwrap_err();
        assert!(
            err.contains("rate_per_minute") && err.contains("-5"),
            "{err}"
        );
        let err = KeyTerms::parse(Role::Platform, None, Some(0), None).unwrap_err();
        assert!(err.contains("burst"), "{err}");
    }

    #[test]
    fn not_after_is_rfc_3339_quoted_or_as_a_toml_date_time() {
        let quoted = toml::Value::String("2027-06-30T00:00:00Z".into());
        let terms = KeyTerms::parse(Role::Platform, None, None, Some(&quoted)).unwrap();
        let at = terms.not_after.unwrap();
        assert_eq!(at.to_rfc3339(), "2027-06-30T00:00:00+00:00");
        assert!(!terms.expired_at(at - chrono::Duration::seconds(1)));
        assert!(terms.expired_at(at));
        let table: toml::Table = toml::from_str("t = 2027-06-30T07:00:00+07:00").unwrap();
        let terms = KeyTerms::parse(Role::Platform, None, None, table.get("t")).unwrap();
        assert_eq!(terms.not_after, Some(at));
        for bad in ["2027-06-30", "tomorrow", "2027-13-01T00:00:00Z"] {
            let value = toml::Value::String(bad.into());
            let err = KeyTerms::parse(Role::Platform, None, None, Some(&value)).unwrap_err();
            assert!(err.contains("not_after") && err.contains(bad), "{err}");
        }
    }

    #[test]
    fn expires_in_takes_days_hours_or_minutes() {
        assert_eq!(parse_expires_in("90d").unwrap(), chrono::Duration::days(90));
        assert_eq!(
            parse_expires_in("12h").unwrap(),
            chrono::Duration::hours(12)
        );
        assert_eq!(
            parse_expires_in("30m").unwrap(),
            chrono::Duration::minutes(30)
        );
        for bad in [
            "", "d", "90", "-1d", "0d", "1.5d", "90 d", "1w", "99999d", "9é",
        ] {
            assert!(parse_expires_in(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_written_line_reads_back() {
        let at = DateTime::parse_from_rfc3339("2027-06-30T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let line = not_after_line(at);
        assert_eq!(line, "not_after = \"2027-06-30T00:00:00Z\"\n");
        let table: toml::Table = toml::from_str(&line).unwrap();
        let terms = KeyTerms::parse(Role::Platform, None, None, table.get("not_after")).unwrap();
        assert_eq!(terms.not_after, Some(at));
    }
}

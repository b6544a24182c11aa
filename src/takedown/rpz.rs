//! The blocklist as a response-policy zone, pure parts: the zone's name and canary, its SOA
//! fields, the serial of a version, which answer an IXFR from a given serial needs, and the
//! record-level difference between two versions (RFC 1995).
//!
//! Records are owner names relative to the zone, each with `CNAME .`, exactly as the HTTP RPZ
//! answer writes them ([`super::blocklist::rpz_owners`]); the DNS adapter turns them into
//! wire records. Nothing here does I/O or knows about any DNS library.

use std::collections::{BTreeMap, BTreeSet};

use super::blocklist::{rpz_owners, Change, Entry};

/// The zone served when none is configured.
pub const DEFAULT_ZONE: &str = "rpz.originguard.";
/// The canary name when none is configured: for development and tests only.
pub const DEFAULT_CANARY: &str = "canary.rpz-test.originguard.";
/// TTL of every record, in seconds.
pub const TTL: u32 = 60;
/// SOA MNAME.
pub const SOA_MNAME: &str = "localhost.";
/// SOA RNAME.
pub const SOA_RNAME: &str = "hostmaster.localhost.";
/// SOA REFRESH, in seconds.
pub const SOA_REFRESH: u32 = 3600;
/// SOA RETRY, in seconds.
pub const SOA_RETRY: u32 = 600;
/// SOA EXPIRE, in seconds.
pub const SOA_EXPIRE: u32 = 86_400;
/// SOA MINIMUM (negative caching TTL), in seconds.
pub const SOA_MINIMUM: u32 = 60;
/// The NS of the apex.
pub const NS_NAME: &str = "localhost.";
/// Longest domain name, in characters without the final dot.
const MAX_NAME: usize = 253;

/// A zone name or canary that is not a plain DNS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpzNameError {
    /// The zone name lacks the final dot.
    #[error("the RPZ zone `{0}` must be absolute, with the trailing dot (`rpz.example.`)")]
    NotAbsolute(String),
    /// A label is empty, too long, or holds a character other than a-z, 0-9, `-`, `_`.
    #[error("`{0}` is not a domain name: labels of 1 to 63 of a-z, 0-9, `-`, `_`")]
    BadLabel(String),
    /// The name (or canary plus zone) is longer than 253 characters.
    #[error("`{0}` is longer than 253 characters")]
    TooLong(String),
}

/// The zone's identity: its origin and the canary owner. Built only valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpzZone {
    origin: String,
    canary: String,
}

impl Default for RpzZone {
    fn default() -> Self {
        RpzZone {
            origin: DEFAULT_ZONE.to_owned(),
            canary: DEFAULT_CANARY.trim_end_matches('.').to_owned(),
        }
    }
}

fn check_labels(original: &str, name: &str) -> Result<(), RpzNameError> {
    let bad = || RpzNameError::BadLabel(original.to_owned());
    if name.is_empty() {
        return Err(bad());
    }
    for label in name.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

impl RpzZone {
    /// The zone `origin` (absolute, `rpz.example.`) with the canary `canary` (a domain name,
    /// the final dot optional): its policy record is `<canary>.<origin> CNAME .`, so that a
    /// resolver enforcing the zone answers NXDOMAIN for the canary. Upper case is folded.
    pub fn new(origin: &str, canary: &str) -> Result<RpzZone, RpzNameError> {
        let origin_lower = origin.to_ascii_lowercase();
        let Some(bare_origin) = origin_lower.strip_suffix('.') else {
            return Err(RpzNameError::NotAbsolute(origin.to_owned()));
        };
        check_labels(origin, bare_origin)?;
        let canary_lower = canary.to_ascii_lowercase();
        let bare_canary = canary_lower.strip_suffix('.').unwrap_or(&canary_lower);
        check_labels(canary, bare_canary)?;
        if bare_canary.len() + 1 + bare_origin.len() > MAX_NAME {
            return Err(RpzNameError::TooLong(format!(
                "{bare_canary}.{origin_lower}"
            )));
        }
        Ok(RpzZone {
            origin: origin_lower.clone(),
            canary: bare_canary.to_owned(),
        })
    }

    /// The origin, absolute (`rpz.originguard.`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The canary's owner relative to the origin (`canary.rpz-test.originguard`).
    pub fn canary_owner(&self) -> &str {
        &self.canary
    }

    /// The name a resolver enforcing the zone refuses, absolute (`canary.rpz-test.originguard.`).
    pub fn canary_name(&self) -> String {
        format!("{}.", self.canary)
    }

    /// Whether `name` (absolute, any case) is the origin.
    pub fn is_apex(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.origin)
    }

    /// The head of the zone file at `version`: origin, TTL, SOA, NS, a comment naming the
    /// version and saying the zone is full, and the canary record.
    pub fn header_text(&self, version: u64) -> String {
        let serial = serial(version);
        format!(
            "$ORIGIN {origin}\n$TTL {TTL}\n@ IN SOA {SOA_MNAME} {SOA_RNAME} {serial} {SOA_REFRESH} {SOA_RETRY} {SOA_EXPIRE} {SOA_MINIMUM}\n@ IN NS {NS_NAME}\n; originguard blocklist version {version}: the full zone (an RPZ answer is never a delta)\n; canary, always blocked: NXDOMAIN for {canary}. proves a resolver enforces this zone\n{canary} CNAME .\n",
            origin = self.origin,
            canary = self.canary,
        )
    }
}

/// The SOA serial of a version: the version modulo 2^32.
pub fn serial(version: u64) -> u32 {
    (version & u64::from(u32::MAX)) as u32
}

/// What an IXFR from a secondary at some serial is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IxfrPlan {
    /// The secondary is current, or claims a serial after the current one (RFC 1982
    /// arithmetic): the current SOA alone (RFC 1995, section 2).
    UpToDate,
    /// The difference from this version to the current one, if the change log reaches it.
    Since(u64),
    /// The serial is older than any version: the whole zone.
    Full,
}

/// The plan for an IXFR from `client_serial` while the list is at `current_version`.
pub fn ixfr_plan(client_serial: u32, current_version: u64) -> IxfrPlan {
    let behind = serial(current_version).wrapping_sub(client_serial);
    if behind == 0 || behind >= 1 << 31 {
        return IxfrPlan::UpToDate;
    }
    match current_version.checked_sub(u64::from(behind)) {
        Some(version) => IxfrPlan::Since(version),
        None => IxfrPlan::Full,
    }
}

/// Records (owners relative to the zone) to delete and to add to go from one version to a
/// later one, each list sorted and without the records both versions have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    /// Owners whose `CNAME .` record goes.
    pub deleted: Vec<String>,
    /// Owners whose `CNAME .` record comes.
    pub added: Vec<String>,
}

impl Difference {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.deleted.is_empty() && self.added.is_empty()
    }
}

fn owners_of(entry: &Entry) -> Vec<String> {
    rpz_owners(&entry.value, entry.kind, entry.subdomains)
}

/// The record-level difference made by `changes` (the log after the start version, in version
/// order). Per value, what was there at the start is the entry of its first change when that
/// was a removal, and what is there at the end is the entry of its last change when that was
/// an addition; so a value removed and added again with or without its subdomains changes
/// exactly the records that differ.
pub fn difference(changes: &[Change]) -> Difference {
    let mut first: BTreeMap<&str, &Change> = BTreeMap::new();
    let mut last: BTreeMap<&str, &Change> = BTreeMap::new();
    for change in changes {
        first.entry(change.entry.value.as_str()).or_insert(change);
        last.insert(change.entry.value.as_str(), change);
    }
    let mut before: BTreeSet<String> = BTreeSet::new();
    let mut after: BTreeSet<String> = BTreeSet::new();
    for (value, last) in last {
        if let Some(first) = first.get(value).filter(|f| !f.added) {
            before.extend(owners_of(&first.entry));
        }
        if last.added {
            after.extend(owners_of(&last.entry));
        }
    }
    Difference {
        deleted: before.difference(&after).cloned().collect(),
        added: after.difference(&before).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::takedown::request::{Category, TargetType};

    fn entry(value: &str, kind: TargetType, subdomains: bool) -> Entry {
        Entry {
            value: value.into(),
            kind,
            subdomains,
            takedown_id: "td_1".into(),
            category: Category::Counterfeit,
            added_in: 0,
        }
    }

    fn change(version: u64, added: bool, entry: Entry) -> Change {
        Change {
            version,
            added,
            entry,
        }
    }

    fn domain(value: &str, subdomains: bool) -> Entry {
        entry(value, TargetType::Domain, subdomains)
    }

    #[test]
    fn zone_names_are_absolute_plain_names() {
        let zone = RpzZone::new("RPZ.Example.", "Canary.Example.NET.").unwrap();
        assert_eq!(zone.origin(), "rpz.example.");
        assert_eq!(zone.canary_owner(), "canary.example.net");
        assert_eq!(zone.canary_name(), "canary.example.net.");
        assert!(zone.is_apex("rpz.EXAMPLE."));
        assert!(!zone.is_apex("x.rpz.example."));
        assert_eq!(
            RpzZone::new("rpz.example", "c.example"),
            Err(RpzNameError::NotAbsolute("rpz.example".into()))
        );
        assert!(matches!(
            RpzZone::new("rpz..example.", "c"),
            Err(RpzNameError::BadLabel(_))
        ));
        assert!(matches!(
            RpzZone::new("rpz.example.", "a b"),
            Err(RpzNameError::BadLabel(_))
        ));
        let long = vec!["a".repeat(63); 4].join(".");
        assert!(matches!(
            RpzZone::new("rpz.example.", &long),
            Err(RpzNameError::TooLong(_))
        ));
        // A canary without the final dot is the same name.
        assert_eq!(
            RpzZone::new("rpz.example.", "c.example").unwrap(),
            RpzZone::new("rpz.example.", "c.example.").unwrap()
        );
    }

    #[test]
    fn the_header_is_a_full_zone_head_with_the_canary() {
        let text = RpzZone::default().header_text(42);
        assert!(text.starts_with("$ORIGIN rpz.originguard.\n$TTL 60\n"));
        assert!(text.contains("@ IN SOA localhost. hostmaster.localhost. 42 3600 600 86400 60\n"));
        assert!(text.contains("; originguard blocklist version 42: the full zone"));
        assert!(text.ends_with("\ncanary.rpz-test.originguard CNAME .\n"));
        // The serial wraps; the comment keeps the whole version.
        let wrapped = RpzZone::default().header_text((1 << 32) + 7);
        assert!(wrapped.contains(" 7 3600 600 86400 60\n"), "{wrapped}");
        assert!(wrapped.contains("version 4294967303:"), "{wrapped}");
    }

    #[test]
    fn ixfr_plans_follow_serial_arithmetic() {
        assert_eq!(ixfr_plan(10, 10), IxfrPlan::UpToDate);
        assert_eq!(ixfr_plan(11, 10), IxfrPlan::UpToDate, "a future serial");
        // 11 behind version 10: before the first version.
        assert_eq!(ixfr_plan(u32::MAX, 10), IxfrPlan::Full);
        assert_eq!(ixfr_plan(7, 10), IxfrPlan::Since(7));
        assert_eq!(ixfr_plan(0, 10), IxfrPlan::Since(0));
        // Across the 2^32 wrap: serial 4294967290 is version 2^32 - 6 when the list is at 2^32 + 3.
        assert_eq!(
            ixfr_plan(4_294_967_290, (1 << 32) + 3),
            IxfrPlan::Since((1 << 32) - 6)
        );
        // A serial "behind" by more than the list's whole history never existed.
        assert_eq!(ixfr_plan(3_000_000_000, 5), IxfrPlan::Full);
        // More than 2^31 "behind" is ahead in serial arithmetic: a future serial.
        assert_eq!(ixfr_plan(2_000_000_000, 5), IxfrPlan::UpToDate);
    }

    #[test]
    fn differences_are_record_level_net_effects() {
        let d = difference(&[
            change(5, true, domain("a.com", true)),
            change(6, true, domain("b.com", false)),
            change(7, false, domain("b.com", false)),
            change(8, false, domain("c.com", true)),
            change(9, false, entry("203.0.113.7", TargetType::Ip, false)),
            change(10, true, entry("198.51.100.0/24", TargetType::Cidr, false)),
        ]);
        assert_eq!(
            d.added,
            ["*.a.com", "24.0.100.51.198.rpz-ip", "a.com"].map(String::from)
        );
        assert_eq!(
            d.deleted,
            ["*.c.com", "32.7.113.0.203.rpz-ip", "c.com"].map(String::from)
        );
        assert!(!d.is_empty());
    }

    #[test]
    fn a_value_added_again_without_subdomains_loses_only_its_wildcard() {
        let d = difference(&[
            change(3, false, domain("shop.com", true)),
            change(4, true, domain("shop.com", false)),
        ]);
        assert_eq!(d.deleted, ["*.shop.com".to_owned()]);
        assert!(d.added.is_empty());
        let back = difference(&[
            change(3, false, domain("shop.com", false)),
            change(4, true, domain("shop.com", true)),
        ]);
        assert_eq!(back.added, ["*.shop.com".to_owned()]);
        assert!(back.deleted.is_empty());
        // Removed and added again unchanged: nothing to transfer.
        assert!(difference(&[
            change(3, false, domain("x.com", true)),
            change(4, true, domain("x.com", true)),
        ])
        .is_empty());
    }
}

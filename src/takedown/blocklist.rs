//! The operators' blocklist, pure parts: entries, the canonical list and its checksum, deltas
//! from the change log, and the RPZ zone (RFC draft "DNS Response Policy Zones", as BIND 9 and
//! Unbound load it).
//!
//! Canonical values: domains lower-case ASCII (punycode), IPs and CIDR blocks in canonical
//! text. The checksum is SHA-256 over every active value, sorted byte-wise, each followed by
//! `\n`: `sort | sha256sum` of the text format's lines (with `LC_ALL=C`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::request::{Category, TakedownRequest, TargetType};

/// One active entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    /// The canonical value.
    pub value: String,
    /// `domain`, `ip` or `cidr`.
    #[serde(rename = "type")]
    pub kind: TargetType,
    /// Whether names under the domain are blocked too.
    pub subdomains: bool,
    /// The takedown request that put it there.
    pub takedown_id: String,
    /// The kind of violation.
    pub category: Category,
    /// The version that added it.
    pub added_in: u64,
}

/// The entry a takedown request asks for. A registrable domain (`giay-gia.com`) is blocked
/// with its subdomains; a host below it (`shop.giay-gia.com`) alone.
pub fn entry_for(id: &str, request: &TakedownRequest, registrable: Option<&str>) -> Entry {
    let subdomains =
        request.target_type == TargetType::Domain && registrable == Some(&request.target_value);
    Entry {
        value: request.target_value.clone(),
        kind: request.target_type,
        subdomains,
        takedown_id: id.to_owned(),
        category: request.category,
        added_in: 0,
    }
}

/// The JSON answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlocklistAnswer {
    /// The version this answer describes.
    pub version: u64,
    /// The `since` asked for (null for a full answer without `since`).
    pub since: Option<u64>,
    /// Whether this is the whole list.
    pub full: bool,
    /// Entries added (for a full answer: every active entry).
    pub additions: Vec<Entry>,
    /// Entries removed since `since` (always empty in a full answer).
    pub removals: Vec<Entry>,
    /// SHA-256 (hex) of the canonical full list at `version`: every value sorted byte-wise,
    /// each followed by `\n`.
    pub checksum: String,
}

/// Incremental checksum of the canonical list: feed values in byte-wise order.
#[derive(Debug, Clone, Default)]
pub struct Checksum(Sha256);

impl Checksum {
    /// Adds one value.
    pub fn push(&mut self, value: &str) {
        self.0.update(value.as_bytes());
        self.0.update(b"\n");
    }

    /// The hex digest.
    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// One record of the change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The version it made.
    pub version: u64,
    /// Added (`true`) or removed.
    pub added: bool,
    /// The entry (as added, or as it was when removed).
    pub entry: Entry,
}

/// Additions and removals between two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// Entries present at the end that were absent (or different) at the start.
    pub additions: Vec<Entry>,
    /// Entries present at the start and absent at the end.
    pub removals: Vec<Entry>,
}

/// The net effect of `changes` (in version order): a value added and removed within the
/// range does not appear; one removed and added again appears as an addition.
pub fn delta(changes: &[Change]) -> Delta {
    let mut first: BTreeMap<&str, &Change> = BTreeMap::new();
    let mut last: BTreeMap<&str, &Change> = BTreeMap::new();
    for change in changes {
        first.entry(change.entry.value.as_str()).or_insert(change);
        last.insert(change.entry.value.as_str(), change);
    }
    let mut out = Delta::default();
    for (value, last) in last {
        let was_present = first.get(value).is_some_and(|f| !f.added);
        if last.added {
            let mut entry = last.entry.clone();
            entry.added_in = last.version;
            out.additions.push(entry);
        } else if was_present {
            out.removals.push(last.entry.clone());
        }
    }
    out
}

/// The zone's default origin (`--rpz-zone` sets another).
pub const RPZ_ORIGIN: &str = super::rpz::DEFAULT_ZONE;

/// The head of the default RPZ zone at `version` (SOA serial = version, modulo 2^32), with
/// its canary: see [`super::rpz::RpzZone::header_text`].
pub fn rpz_header(version: u64) -> String {
    super::rpz::RpzZone::default().header_text(version)
}

/// The RPZ records of one entry: `name CNAME .` (and `*.name CNAME .` with subdomains) for
/// domains, `rpz-ip` triggers for addresses and blocks.
pub fn rpz_records(value: &str, kind: TargetType, subdomains: bool, out: &mut String) {
    for owner in rpz_owners(value, kind, subdomains) {
        let _ = writeln!(out, "{owner} CNAME .");
    }
}

/// The owner names (relative to the zone) of one entry's `CNAME .` records: the RPZ text and
/// the zone served over DNS are both made of these.
pub fn rpz_owners(value: &str, kind: TargetType, subdomains: bool) -> Vec<String> {
    match kind {
        TargetType::Domain if subdomains => vec![value.to_owned(), format!("*.{value}")],
        TargetType::Domain => vec![value.to_owned()],
        TargetType::Ip | TargetType::Cidr => rpz_ip_owner(value).into_iter().collect(),
    }
}

/// `32.7.113.0.203.rpz-ip` for `203.0.113.7`; `48.zz.db8.2001.rpz-ip` for `2001:db8::/48`.
pub fn rpz_ip_owner(value: &str) -> Option<String> {
    let (address, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (value, None),
    };
    let ip: IpAddr = address.parse().ok()?;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let prefix = prefix.unwrap_or(32);
            Some(format!(
                "{prefix}.{}.{}.{}.{}.rpz-ip",
                o[3], o[2], o[1], o[0]
            ))
        }
        IpAddr::V6(v6) => {
            let prefix = prefix.unwrap_or(128);
            // The canonical text compresses the longest zero run as `::`; RPZ writes it `zz`.
            let text = v6.to_string();
            let reversed = |part: &str| -> Vec<String> {
                part.split(':')
                    .filter(|g| !g.is_empty())
                    .rev()
                    .map(str::to_owned)
                    .collect()
            };
            let labels: Vec<String> = match text.split_once("::") {
                Some((left, right)) => {
                    let mut labels = reversed(right);
                    labels.push("zz".into());
                    labels.extend(reversed(left));
                    labels
                }
                None => reversed(&text),
            };
            Some(format!("{prefix}.{}.rpz-ip", labels.join(".")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(value: &str) -> Entry {
        Entry {
            value: value.into(),
            kind: TargetType::Domain,
            subdomains: true,
            takedown_id: "td_1".into(),
            category: Category::Counterfeit,
            added_in: 0,
        }
    }

    fn change(version: u64, added: bool, value: &str) -> Change {
        Change {
            version,
            added,
            entry: entry(value),
        }
    }

    #[test]
    fn deltas_are_net_effects() {
        let d = delta(&[
            change(5, true, "a.com"),
            change(6, true, "b.com"),
            change(7, false, "b.com"),
            change(8, false, "c.com"),
            change(9, false, "d.com"),
            change(10, true, "d.com"),
        ]);
        let added: Vec<(&str, u64)> = d
            .additions
            .iter()
            .map(|e| (e.value.as_str(), e.added_in))
            .collect();
        assert_eq!(added, [("a.com", 5), ("d.com", 10)]);
        let removed: Vec<&str> = d.removals.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(removed, ["c.com"]);
    }

    #[test]
    fn the_checksum_is_sha256_of_the_sorted_lines() {
        let mut checksum = Checksum::default();
        checksum.push("a.com");
        checksum.push("b.com");
        assert_eq!(
            checksum.finish(),
            hex::encode(Sha256::digest(b"a.com\nb.com\n"))
        );
    }

    #[test]
    fn rpz_ip_triggers_follow_the_rpz_draft() {
        assert_eq!(
            rpz_ip_owner("203.0.113.7").as_deref(),
            Some("32.7.113.0.203.rpz-ip")
        );
        assert_eq!(
            rpz_ip_owner("198.51.100.0/24").as_deref(),
            Some("24.0.100.51.198.rpz-ip")
        );
        assert_eq!(
            rpz_ip_owner("2001:db8::/48").as_deref(),
            Some("48.zz.db8.2001.rpz-ip")
        );
        assert_eq!(
            rpz_ip_owner("2001:db8::1").as_deref(),
            Some("128.1.zz.db8.2001.rpz-ip")
        );
        assert_eq!(
            rpz_ip_owner("2001:db8:1:2:3:4:5:6").as_deref(),
            Some("128.6.5.4.3.2.1.db8.2001.rpz-ip")
        );
        let mut out = String::new();
        rpz_records("giay.example.com", TargetType::Domain, true, &mut out);
        assert_eq!(
            out,
            "giay.example.com CNAME .\n*.giay.example.com CNAME .\n"
        );
    }
}

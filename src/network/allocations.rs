//! IP allocation data: which country a Regional Internet Registry delegated an address to.
//!
//! Reads the RIR "delegated-stats" format (`delegated-apnic-latest`, `delegated-ripencc-…`):
//! `registry|cc|type|start|value|date|status[|extensions]`. The version header, summary lines
//! (`apnic|*|ipv4|*|N|summary`), comments and blank lines are skipped; `asn` records and
//! statuses other than `allocated`/`assigned` (`available`, `reserved`) are skipped too. For
//! `ipv4`, `value` is an address count (not necessarily a power of two); for `ipv6` it is a
//! prefix length. Malformed lines, and ranges overlapping an earlier one, are counted in
//! [`AllocationTable::rejected`] and otherwise ignored.
//!
//! Ranges are kept in two sorted tables (IPv4, IPv6) and looked up by binary search, O(log n).
//! An IPv4-mapped IPv6 address is looked up as its IPv4 address. Nothing here touches the
//! network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// One delegated range, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range<T> {
    start: T,
    end: T,
    country: [u8; 2],
}

impl<T> Range<T> {
    fn country_ref(&self) -> &[u8; 2] {
        &self.country
    }
}

/// Failure to load an allocation file.
#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    /// The file could not be read.
    #[error("cannot read allocation file {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Sorted IPv4 and IPv6 delegation ranges with their ISO 3166 country codes.
#[derive(Debug, Clone, Default)]
pub struct AllocationTable {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    rejected: usize,
}

/// What one line of a delegated-stats file is.
enum Line {
    Skip,
    Reject,
    V4(Range<u32>),
    V6(Range<u128>),
}

impl AllocationTable {
    /// Reads and parses a delegated-stats file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<AllocationTable, AllocationError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| AllocationError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Ok(AllocationTable::parse(&text))
    }

    /// Parses delegated-stats text. Never fails: bad lines are counted in `rejected`.
    pub fn parse(text: &str) -> AllocationTable {
        let mut table = AllocationTable::default();
        for line in text.lines() {
            match parse_line(line) {
                Line::Skip => {}
                Line::Reject => table.rejected += 1,
                Line::V4(range) => table.v4.push(range),
                Line::V6(range) => table.v6.push(range),
            }
        }
        table.v4 = drop_overlaps(std::mem::take(&mut table.v4), &mut table.rejected);
        table.v6 = drop_overlaps(std::mem::take(&mut table.v6), &mut table.rejected);
        table
    }

    /// The country the address was delegated to, e.g. `Some("VN")`.
    pub fn lookup(&self, ip: IpAddr) -> Option<&str> {
        let country = match ip {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4))?.country_ref(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => find(&self.v4, u32::from(v4))?.country_ref(),
                None => find(&self.v6, u128::from(v6))?.country_ref(),
            },
        };
        std::str::from_utf8(country).ok()
    }

    /// How many lines were malformed or overlapped an earlier range.
    pub fn rejected(&self) -> usize {
        self.rejected
    }

    /// How many IPv4 and IPv6 ranges are loaded.
    pub fn len(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// True when no range is loaded.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// Sorts by start and drops any range that overlaps the one kept before it.
fn drop_overlaps<T: Ord + Copy>(mut ranges: Vec<Range<T>>, rejected: &mut usize) -> Vec<Range<T>> {
    ranges.sort_by_key(|r| r.start);
    let mut kept: Vec<Range<T>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match kept.last() {
            Some(previous) if range.start <= previous.end => *rejected += 1,
            _ => kept.push(range),
        }
    }
    kept
}

/// The range containing `ip`: the last one starting at or before it, if it reaches `ip`.
fn find<T: Ord + Copy>(ranges: &[Range<T>], ip: T) -> Option<&Range<T>> {
    let after = ranges.partition_point(|r| r.start <= ip);
    let candidate = ranges.get(after.checked_sub(1)?)?;
    (ip <= candidate.end).then_some(candidate)
}

fn parse_line(line: &str) -> Line {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Line::Skip;
    }
    let fields: Vec<&str> = line.split('|').collect();
    // Version header: `2|apnic|20250101|…` (first field is the format version, a number).
    if fields
        .first()
        .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    {
        return Line::Skip;
    }
    if fields.get(5) == Some(&"summary") {
        return Line::Skip;
    }
    if fields.len() < 7 {
        return Line::Reject;
    }
    let (kind, country, start, value, status) =
        (fields[2], fields[1], fields[3], fields[4], fields[6]);
    match kind {
        "ipv4" | "ipv6" => {}
        "asn" => return Line::Skip,
        _ => return Line::Reject,
    }
    match status {
        "allocated" | "assigned" => {}
        "available" | "reserved" => return Line::Skip,
        _ => return Line::Reject,
    }
    let Some(country) = parse_country(country) else {
        return Line::Reject;
    };
    let parsed = if kind == "ipv4" {
        parse_v4(start, value, country).map(Line::V4)
    } else {
        parse_v6(start, value, country).map(Line::V6)
    };
    parsed.unwrap_or(Line::Reject)
}

fn parse_country(text: &str) -> Option<[u8; 2]> {
    match text.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => None,
    }
}

fn parse_v4(start: &str, count: &str, country: [u8; 2]) -> Option<Range<u32>> {
    let start = u32::from(start.parse::<Ipv4Addr>().ok()?);
    let count: u32 = count.parse().ok()?;
    let end = start.checked_add(count.checked_sub(1)?)?;
    Some(Range {
        start,
        end,
        country,
    })
}

fn parse_v6(start: &str, prefix: &str, country: [u8; 2]) -> Option<Range<u128>> {
    let start = u128::from(start.parse::<Ipv6Addr>().ok()?);
    let prefix: u32 = prefix.parse().ok()?;
    if prefix > 128 {
        return None;
    }
    let host = u128::MAX.checked_shr(prefix).unwrap_or(0);
    if start & host != 0 {
        return None;
    }
    Some(Range {
        start,
        end: start | host,
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_sized_ipv4_blocks_and_boundaries() {
        let table = AllocationTable::parse(
            "apnic|VN|ipv4|192.0.2.0|100|20200101|allocated\n\
             apnic|CN|ipv4|192.0.2.100|156|20200101|assigned\n",
        );
        assert_eq!(table.lookup("192.0.2.99".parse().expect("ip")), Some("VN"));
        assert_eq!(table.lookup("192.0.2.100".parse().expect("ip")), Some("CN"));
        assert_eq!(table.lookup("192.0.2.255".parse().expect("ip")), Some("CN"));
        assert_eq!(table.lookup("192.0.3.0".parse().expect("ip")), None);
        assert_eq!(table.lookup("192.0.1.255".parse().expect("ip")), None);
    }

    #[test]
    fn bad_lines_and_overlaps_are_counted() {
        let table = AllocationTable::parse(
            "apnic|VN|ipv4|192.0.2.0|256|20200101|allocated\n\
             apnic|VN|ipv4|192.0.2.128|8|20200101|allocated\n\
             apnic|VN|ipv4|not-an-ip|8|20200101|allocated\n\
             apnic|VN|ipv4|255.255.255.255|2|20200101|allocated\n\
             apnic|VN|ipv6|2001:db8::1|32|20200101|allocated\n\
             apnic|VIETNAM|ipv4|198.51.100.0|256|20200101|allocated\n\
             apnic|VN|ipv4|203.0.113.0|0|20200101|allocated\n\
             garbage\n",
        );
        assert_eq!(table.rejected(), 7);
        assert_eq!(table.len(), (1, 0));
    }
}

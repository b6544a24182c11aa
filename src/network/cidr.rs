//! CIDR blocks as targets: parsed strictly, printed canonically.
//!
//! Pure: no I/O. A block with bits set after its prefix (`192.0.2.1/24`) is refused with
//! `cidr_host_bits` instead of being normalised, so a typo never silently widens into a
//! different block. Canonical text is the network address in its standard form (RFC 5952 for
//! IPv6), a slash and the prefix length, as the blocklist stores it.

use std::fmt;
use std::net::IpAddr;

use super::names::NameError;

/// An IP network: an address whose bits after `prefix` are all zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix`. Host bits after the prefix are refused (`cidr_host_bits`)
    /// rather than silently cleared, so a typo is never widened into a different block.
    pub fn parse(input: &str) -> Result<Cidr, NameError> {
        let (addr, prefix) = input.split_once('/').ok_or(NameError::InvalidCidr)?;
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let network: IpAddr = addr.parse().map_err(|_| NameError::InvalidCidr)?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NameError::InvalidCidr);
        }
        let prefix: u8 = prefix.parse().map_err(|_| NameError::InvalidCidr)?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(NameError::InvalidCidr);
        }
        let host_bits = match network {
            IpAddr::V4(v4) => {
                u128::from(u32::from(v4) & u32::MAX.checked_shr(prefix.into()).unwrap_or(0))
            }
            IpAddr::V6(v6) => u128::from(v6) & u128::MAX.checked_shr(prefix.into()).unwrap_or(0),
        };
        if host_bits != 0 {
            return Err(NameError::CidrHostBits);
        }
        Ok(Cidr { network, prefix })
    }

    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The block holding exactly `ip` (`/32` or `/128`).
    pub fn single(ip: IpAddr) -> Cidr {
        Cidr {
            network: ip,
            prefix: if ip.is_ipv4() { 32 } else { 128 },
        }
    }

    /// The block in one IPv6 space: IPv4 blocks as their IPv4-mapped form (`::ffff:0:0/96`),
    /// so that `10.0.0.0/8` and `::ffff:10.0.0.0/104` are the same block.
    fn in_v6_space(&self) -> (u128, u8) {
        match self.network {
            IpAddr::V4(v4) => (
                u128::from(v4.to_ipv6_mapped()),
                self.prefix.saturating_add(96),
            ),
            IpAddr::V6(v6) => (u128::from(v6), self.prefix),
        }
    }

    /// Whether the two blocks share any address (one holds the other), IPv4 blocks and their
    /// IPv4-mapped IPv6 forms counting as the same.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        let (a, a_prefix) = self.in_v6_space();
        let (b, b_prefix) = other.in_v6_space();
        let shorter = a_prefix.min(b_prefix);
        let mask = u128::MAX.checked_shl(128 - u32::from(shorter)).unwrap_or(0);
        a & mask == b & mask
    }
}

/// Address blocks that are never a takedown target, whatever the configuration: publishing
/// one as an RPZ address rule would break the operators' own networks. IPv4 blocks also cover
/// their IPv4-mapped IPv6 forms. Documentation ranges are not here: they are the tests'.
pub const NEVER_TARGETS: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// The never-a-target block `block` overlaps, if any.
pub fn never_target(block: &Cidr) -> Option<&'static str> {
    NEVER_TARGETS
        .iter()
        .copied()
        .find(|text| Cidr::parse(text).is_ok_and(|reserved| reserved.overlaps(block)))
}

impl fmt::Display for Cidr {
    /// Canonical text: the network address in its standard form (RFC 5952 for IPv6), a slash
    /// and the prefix length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_refuses_host_bits_and_prints_canonically() {
        assert_eq!(Cidr::parse("192.0.2.1/24"), Err(NameError::CidrHostBits));
        let block = Cidr::parse("2001:0db8:0000::/32").expect("valid block");
        assert_eq!(block.to_string(), "2001:db8::/32");
        assert_eq!(Cidr::parse("0.0.0.0/0").map(|c| c.prefix()), Ok(0));
        assert_eq!(
            Cidr::parse("::/0").map(|c| c.to_string()),
            Ok("::/0".into())
        );
        assert_eq!(Cidr::parse("192.0.2.0/33"), Err(NameError::InvalidCidr));
    }

    #[test]
    fn overlap_is_containment_either_way_across_the_mapped_space() {
        let block = |t: &str| Cidr::parse(t).unwrap();
        assert!(block("198.51.100.0/24").overlaps(&block("198.51.100.128/25")));
        assert!(block("198.51.100.128/25").overlaps(&block("198.51.100.0/24")));
        assert!(!block("198.51.100.0/25").overlaps(&block("198.51.100.128/25")));
        assert!(block("10.0.0.0/8").overlaps(&block("::ffff:10.1.2.3/128")));
        assert!(block("::/0").overlaps(&block("192.0.2.0/24")));
        assert!(!block("2001:db8::/32").overlaps(&block("192.0.2.0/24")));
    }

    #[test]
    fn reserved_addresses_are_never_targets_and_documentation_is() {
        for reserved in [
            "10.0.0.1",
            "127.0.0.1",
            "::1",
            "fc00::1",
            "fd12::1",
            "169.254.1.1",
            "100.64.0.1",
            "224.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "172.31.255.255",
            "192.168.1.1",
        ] {
            let ip: IpAddr = reserved.parse().unwrap();
            assert!(never_target(&Cidr::single(ip)).is_some(), "{reserved}");
        }
        for fine in [
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "2001:db8::1",
            "8.8.8.8",
            "100.128.0.1",
        ] {
            let ip: IpAddr = fine.parse().unwrap();
            assert_eq!(never_target(&Cidr::single(ip)), None, "{fine}");
        }
        assert!(never_target(&Cidr::parse("10.1.0.0/16").unwrap()).is_some());
        assert!(never_target(&Cidr::parse("fd00::/32").unwrap()).is_some());
        assert_eq!(never_target(&Cidr::parse("203.0.113.0/24").unwrap()), None);
    }
}

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
}

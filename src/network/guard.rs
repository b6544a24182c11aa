//! The address guard: decides whether originguard may open a connection to an IP address.
//!
//! Pure: no I/O. Every outgoing connection (TLS peek, evidence fetch, webhook) must pass
//! [`AddressGuard::check`] first. Refused: private, loopback, link-local, documentation,
//! shared (CGNAT), multicast, broadcast, unspecified, benchmarking, IETF protocol assignments,
//! reserved and non-global IPv6 space. IPv6 forms that carry an IPv4 address (IPv4-mapped,
//! IPv4-translated, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`) are judged by
//! the IPv4 address they embed. Only loopback can ever be allowed, and only with
//! `allow_loopback` (`ORIGINGUARD_ALLOW_LOOPBACK_TARGETS`, for tests); loopback reached through
//! a tunnel or translator form (6to4, Teredo, NAT64, translated) is never allowed, since such a
//! packet leaves the machine.
//!
//! The ranges are data ([`IPV4_RANGES`], [`IPV6_RANGES`]), walked first-match-wins.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::i18n::Lang;

/// Why an address is refused. Codes are stable machine codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// Private-use space: 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local), fec0::/10.
    Private,
    /// Loopback: 127/8, ::1.
    Loopback,
    /// Link-local: 169.254/16, fe80::/10.
    LinkLocal,
    /// Documentation: 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Shared address space (carrier-grade NAT): 100.64/10.
    SharedAddressSpace,
    /// Multicast: 224/4, ff00::/8.
    Multicast,
    /// Limited broadcast: 255.255.255.255.
    Broadcast,
    /// Unspecified: 0.0.0.0, ::.
    Unspecified,
    /// "This network": 0/8.
    ThisNetwork,
    /// IETF protocol assignments: 192.0.0/24, 2001::/23 (outside Teredo).
    ProtocolAssignments,
    /// Benchmarking: 198.18/15, 2001:2::/48.
    Benchmarking,
    /// Reserved or not globally routable: 240/4, 192.88.99/24, ::/8 leftovers, 100::/64,
    /// 64:ff9b:1::/48, anything outside 2000::/3.
    Reserved,
}

impl BlockReason {
    /// The stable machine code, e.g. `link_local`.
    pub fn code(&self) -> &'static str {
        match self {
            BlockReason::Private => "private",
            BlockReason::Loopback => "loopback",
            BlockReason::LinkLocal => "link_local",
            BlockReason::Documentation => "documentation",
            BlockReason::SharedAddressSpace => "shared_address_space",
            BlockReason::Multicast => "multicast",
            BlockReason::Broadcast => "broadcast",
            BlockReason::Unspecified => "unspecified",
            BlockReason::ThisNetwork => "this_network",
            BlockReason::ProtocolAssignments => "protocol_assignments",
            BlockReason::Benchmarking => "benchmarking",
            BlockReason::Reserved => "reserved",
        }
    }

    /// A human-readable description of the range, in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            BlockReason::Private => lang.pick("a private address", "địa chỉ nội bộ"),
            BlockReason::Loopback => lang.pick("a loopback address", "địa chỉ loopback"),
            BlockReason::LinkLocal => lang.pick("a link-local address", "địa chỉ link-local"),
            BlockReason::Documentation => {
                lang.pick("a documentation address", "địa chỉ dành cho tài liệu")
            }
            BlockReason::SharedAddressSpace => lang.pick(
                "a carrier-grade NAT (shared) address",
                "địa chỉ dùng chung (NAT của nhà mạng)",
            ),
            BlockReason::Multicast => lang.pick("a multicast address", "địa chỉ multicast"),
            BlockReason::Broadcast => lang.pick("the broadcast address", "địa chỉ quảng bá"),
            BlockReason::Unspecified => {
                lang.pick("the unspecified address", "địa chỉ không xác định")
            }
            BlockReason::ThisNetwork => lang.pick("a 'this network' address", "địa chỉ 'mạng này'"),
            BlockReason::ProtocolAssignments => lang.pick(
                "an address reserved for IETF protocol assignments",
                "địa chỉ dành riêng cho giao thức IETF",
            ),
            BlockReason::Benchmarking => {
                lang.pick("a benchmarking address", "địa chỉ dành cho đo kiểm")
            }
            BlockReason::Reserved => lang.pick(
                "a reserved, not globally routable address",
                "địa chỉ dành riêng, không định tuyến toàn cầu",
            ),
        }
    }
}

/// The guard's refusal of one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("blocked_address: {ip} is {}", reason.message(Lang::En))]
pub struct Blocked {
    /// The refused address, as given.
    pub ip: IpAddr,
    /// The range family it falls in.
    pub reason: BlockReason,
}

impl Blocked {
    /// The machine code every refusal carries in results: `blocked_address`.
    pub const CODE: &'static str = "blocked_address";

    /// A human-readable message naming the address and its range.
    pub fn message(&self, lang: Lang) -> String {
        let prefix = lang.pick("Connection refused to", "Không kết nối tới");
        format!("{prefix} {}: {}", self.ip, self.reason.message(lang))
    }
}

/// How an IPv6 range is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V6Rule {
    /// Refused for this reason.
    Refuse(BlockReason),
    /// Judged by the IPv4 address in the last 32 bits, as that address itself (IPv4-mapped).
    EmbeddedLast32,
    /// Judged by the IPv4 address in the last 32 bits; never allowable (translator forms).
    TranslatedLast32,
    /// 6to4: judged by the IPv4 address in bits 16..48; never allowable.
    SixToFour,
    /// Teredo: judged by the server (bits 32..64) and the obfuscated client (last 32 bits,
    /// inverted) IPv4 addresses; never allowable.
    Teredo,
}

/// IPv4 ranges refused, most specific first: `(network, prefix length, reason)`.
pub const IPV4_RANGES: &[(Ipv4Addr, u8, BlockReason)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 32, BlockReason::Unspecified),
    (Ipv4Addr::new(0, 0, 0, 0), 8, BlockReason::ThisNetwork),
    (Ipv4Addr::new(10, 0, 0, 0), 8, BlockReason::Private),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        BlockReason::SharedAddressSpace,
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, BlockReason::Loopback),
    (Ipv4Addr::new(169, 254, 0, 0), 16, BlockReason::LinkLocal),
    (Ipv4Addr::new(172, 16, 0, 0), 12, BlockReason::Private),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        BlockReason::ProtocolAssignments,
    ),
    (Ipv4Addr::new(192, 0, 2, 0), 24, BlockReason::Documentation),
    (Ipv4Addr::new(192, 88, 99, 0), 24, BlockReason::Reserved),
    (Ipv4Addr::new(192, 168, 0, 0), 16, BlockReason::Private),
    (Ipv4Addr::new(198, 18, 0, 0), 15, BlockReason::Benchmarking),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        BlockReason::Documentation,
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        BlockReason::Documentation,
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, BlockReason::Multicast),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        BlockReason::Broadcast,
    ),
    (Ipv4Addr::new(240, 0, 0, 0), 4, BlockReason::Reserved),
];

const fn v6(segments: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::new(
        segments[0],
        segments[1],
        segments[2],
        segments[3],
        segments[4],
        segments[5],
        segments[6],
        segments[7],
    )
}

/// IPv6 ranges, most specific first: `(network, prefix length, rule)`. An address matching
/// none of them is still refused unless it is in global unicast space 2000::/3.
pub const IPV6_RANGES: &[(Ipv6Addr, u8, V6Rule)] = &[
    (v6([0; 8]), 128, V6Rule::Refuse(BlockReason::Unspecified)),
    (
        v6([0, 0, 0, 0, 0, 0, 0, 1]),
        128,
        V6Rule::Refuse(BlockReason::Loopback),
    ),
    (
        v6([0, 0, 0, 0, 0, 0xffff, 0, 0]),
        96,
        V6Rule::EmbeddedLast32,
    ),
    (
        v6([0, 0, 0, 0, 0xffff, 0, 0, 0]),
        96,
        V6Rule::TranslatedLast32,
    ),
    (
        v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]),
        96,
        V6Rule::TranslatedLast32,
    ),
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]),
        48,
        V6Rule::Refuse(BlockReason::Reserved),
    ),
    (v6([0; 8]), 8, V6Rule::Refuse(BlockReason::Reserved)),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0]),
        64,
        V6Rule::Refuse(BlockReason::Reserved),
    ),
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 32, V6Rule::Teredo),
    (
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0]),
        48,
        V6Rule::Refuse(BlockReason::Benchmarking),
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0]),
        23,
        V6Rule::Refuse(BlockReason::ProtocolAssignments),
    ),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
        32,
        V6Rule::Refuse(BlockReason::Documentation),
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]),
        20,
        V6Rule::Refuse(BlockReason::Documentation),
    ),
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16, V6Rule::SixToFour),
    (
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]),
        7,
        V6Rule::Refuse(BlockReason::Private),
    ),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]),
        10,
        V6Rule::Refuse(BlockReason::LinkLocal),
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]),
        10,
        V6Rule::Refuse(BlockReason::Private),
    ),
    (
        v6([0xff00, 0, 0, 0, 0, 0, 0, 0]),
        8,
        V6Rule::Refuse(BlockReason::Multicast),
    ),
];

/// Global unicast IPv6 space; anything else not matched above is `reserved`.
const IPV6_GLOBAL_UNICAST: (Ipv6Addr, u8) = (v6([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3);

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The refusal reason for an IPv4 address, if any.
fn classify_v4(ip: Ipv4Addr) -> Option<BlockReason> {
    IPV4_RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

/// A refusal reason and whether `allow_loopback` may lift it.
fn classify(ip: IpAddr) -> Option<(BlockReason, bool)> {
    let ip6 = match ip {
        IpAddr::V4(v4) => return classify_v4(v4).map(|r| (r, r == BlockReason::Loopback)),
        IpAddr::V6(v6) => v6,
    };
    let bits = u128::from(ip6);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let rule = IPV6_RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip6, *net, *prefix))
        .map(|(_, _, rule)| *rule);
    let never_allowable = |reason: BlockReason| (reason, false);
    match rule {
        Some(V6Rule::Refuse(reason)) => Some((reason, reason == BlockReason::Loopback)),
        Some(V6Rule::EmbeddedLast32) => classify_v4(low32).map(|r| (r, r == BlockReason::Loopback)),
        Some(V6Rule::TranslatedLast32) => classify_v4(low32).map(never_allowable),
        Some(V6Rule::SixToFour) => {
            classify_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32)).map(never_allowable)
        }
        Some(V6Rule::Teredo) => {
            let server = Ipv4Addr::from(((bits >> 64) & 0xffff_ffff) as u32);
            let client = Ipv4Addr::from(!((bits & 0xffff_ffff) as u32));
            classify_v4(server)
                .or_else(|| classify_v4(client))
                .map(never_allowable)
        }
        None if !in_v6(ip6, IPV6_GLOBAL_UNICAST.0, IPV6_GLOBAL_UNICAST.1) => {
            Some((BlockReason::Reserved, false))
        }
        None => None,
    }
}

/// Decides which addresses originguard may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddressGuard {
    /// Permit 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (tests only). Nothing else can be
    /// permitted.
    pub allow_loopback: bool,
}

impl AddressGuard {
    /// A guard that refuses every special-purpose address, loopback included.
    pub fn strict() -> AddressGuard {
        AddressGuard {
            allow_loopback: false,
        }
    }

    /// `Ok` when a connection to `ip` is permitted, else the refusal with its reason.
    pub fn check(&self, ip: IpAddr) -> Result<(), Blocked> {
        match classify(ip) {
            None => Ok(()),
            Some((BlockReason::Loopback, true)) if self.allow_loopback => Ok(()),
            Some((reason, _)) => Err(Blocked { ip, reason }),
        }
    }
}

/// True for addresses meant for use inside one network, never routed on the Internet:
/// private-use and unique-local space, site-local, shared (CGNAT) space, loopback and
/// link-local, including their IPv4-mapped forms. Documentation, multicast and reserved
/// addresses are refused by the guard but are not "private". This is the `private` flag of
/// resolution results.
pub fn is_private(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let reason = match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(_) => classify(ip).map(|(r, _)| r),
    };
    matches!(
        reason,
        Some(
            BlockReason::Private
                | BlockReason::SharedAddressSpace
                | BlockReason::Loopback
                | BlockReason::LinkLocal
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_zero_and_full_masks_do_not_overflow() {
        assert!(in_v4(Ipv4Addr::new(1, 2, 3, 4), Ipv4Addr::UNSPECIFIED, 0));
        assert!(in_v6(Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED, 0));
        assert!(!in_v6(Ipv6Addr::LOCALHOST, Ipv6Addr::UNSPECIFIED, 128));
    }
}

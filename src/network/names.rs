//! Domain names and resolution targets, parsed once and valid from then on.
//!
//! Pure: no I/O, no async. A [`DomainName`] can only be built through [`DomainName::parse`],
//! which applies IDNA (UTS #46) to ASCII, lower-cases, drops one trailing dot and checks the
//! DNS length and letter-digit-hyphen rules, so a held `DomainName` is always a valid ASCII
//! host name. [`Target::parse`] reads what clients send to `POST /v1/resolve`: a URL, a bare
//! domain (optionally `host:port`), an IPv4/IPv6 address or a CIDR block ([`Cidr`]).
//!
//! Registrable domains come from the Public Suffix List embedded by the `psl` crate, which
//! carries the `.vn` second-level names (`com.vn`, `hanoi.vn`, …). This module never resolves
//! or connects to anything.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub use super::cidr::Cidr;
use crate::i18n::Lang;

/// Longest name accepted, in ASCII octets, without the trailing dot (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 253;
/// Longest label accepted, in ASCII octets (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest raw input looked at; anything longer is refused before IDNA runs.
pub const MAX_INPUT_LEN: usize = 2048;

/// Why a target or a domain name was refused. Codes are stable machine codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum NameError {
    /// The input is not a URL, domain, IP address or CIDR block.
    #[error("invalid_target")]
    InvalidTarget,
    /// The host part is not a valid domain name (IDNA failure, bad hyphens, …).
    #[error("invalid_domain")]
    InvalidDomain,
    /// A label is longer than 63 octets after IDNA conversion.
    #[error("label_too_long")]
    LabelTooLong,
    /// The name is longer than 253 octets after IDNA conversion.
    #[error("name_too_long")]
    NameTooLong,
    /// The name has an empty label (`a..b`, leading dot, or only a dot).
    #[error("empty_label")]
    EmptyLabel,
    /// A label holds a character outside letters, digits and hyphen.
    #[error("invalid_character")]
    InvalidCharacter,
    /// The name has a single label (`localhost`), which is never a public host name.
    #[error("single_label")]
    SingleLabel,
    /// The last label is all digits, as in `127.1`: never a real top-level domain.
    #[error("numeric_tld")]
    NumericTld,
    /// The port is not a number from 1 to 65535.
    #[error("invalid_port")]
    InvalidPort,
    /// The CIDR block is malformed (bad address or prefix length).
    #[error("invalid_cidr")]
    InvalidCidr,
    /// The CIDR block has bits set after the prefix (`192.0.2.1/24`).
    #[error("cidr_host_bits")]
    CidrHostBits,
}

impl NameError {
    /// The stable machine code, e.g. `invalid_domain`.
    pub fn code(&self) -> &'static str {
        match self {
            NameError::InvalidTarget => "invalid_target",
            NameError::InvalidDomain => "invalid_domain",
            NameError::LabelTooLong => "label_too_long",
            NameError::NameTooLong => "name_too_long",
            NameError::EmptyLabel => "empty_label",
            NameError::InvalidCharacter => "invalid_character",
            NameError::SingleLabel => "single_label",
            NameError::NumericTld => "numeric_tld",
            NameError::InvalidPort => "invalid_port",
            NameError::InvalidCidr => "invalid_cidr",
            NameError::CidrHostBits => "cidr_host_bits",
        }
    }

    /// A human-readable message in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        match self {
            NameError::InvalidTarget => lang.pick(
                "Not a URL, domain name, IP address or CIDR block",
                "Không phải URL, tên miền, địa chỉ IP hay khối CIDR",
            ),
            NameError::InvalidDomain => {
                lang.pick("Not a valid domain name", "Tên miền không hợp lệ")
            }
            NameError::LabelTooLong => lang.pick(
                "A label of the domain name is longer than 63 characters",
                "Một nhãn của tên miền dài quá 63 ký tự",
            ),
            NameError::NameTooLong => lang.pick(
                "The domain name is longer than 253 characters",
                "Tên miền dài quá 253 ký tự",
            ),
            NameError::EmptyLabel => lang.pick(
                "The domain name has an empty label",
                "Tên miền có nhãn rỗng",
            ),
            NameError::InvalidCharacter => lang.pick(
                "The domain name holds a character other than letters, digits and hyphens",
                "Tên miền chứa ký tự không phải chữ, số hoặc dấu gạch ngang",
            ),
            NameError::SingleLabel => lang.pick(
                "The domain name has only one label",
                "Tên miền chỉ có một nhãn",
            ),
            NameError::NumericTld => lang.pick(
                "The top-level domain is all digits",
                "Tên miền cấp cao nhất chỉ gồm chữ số",
            ),
            NameError::InvalidPort => lang.pick("The port is not valid", "Cổng không hợp lệ"),
            NameError::InvalidCidr => {
                lang.pick("The CIDR block is not valid", "Khối CIDR không hợp lệ")
            }
            NameError::CidrHostBits => lang.pick(
                "The CIDR block has bits set after its prefix",
                "Khối CIDR có bit khác 0 sau phần tiền tố",
            ),
        }
    }
}

/// A valid, lower-case ASCII (IDNA) domain name without trailing dot, of at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Parses and normalises a domain name: IDNA to ASCII (Unicode labels become `xn--…`),
    /// lower case, one trailing dot removed, then length and letter-digit-hyphen checks.
    pub fn parse(input: &str) -> Result<DomainName, NameError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(NameError::NameTooLong);
        }
        let trimmed = input.strip_suffix('.').unwrap_or(input);
        if trimmed.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        let ascii = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii(trimmed).map_err(|_| NameError::InvalidDomain)?
        };
        // IDNA mapping may produce a trailing dot itself (e.g. from an ideographic full stop).
        let ascii = ascii.strip_suffix('.').map(str::to_owned).unwrap_or(ascii);
        check_ascii_name(&ascii)?;
        if ascii.starts_with("xn--") || ascii.contains(".xn--") {
            // Punycode labels must decode: reject `xn--` garbage that was passed in as ASCII.
            let (_, result) = idna::domain_to_unicode(&ascii);
            result.map_err(|_| NameError::InvalidDomain)?;
        }
        Ok(DomainName(ascii))
    }

    /// The ASCII (punycode) form, e.g. `xn--hng-hiu-8va4100e.vn`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Unicode form for people, e.g. `hàng-hiệu.vn`; the ASCII form if decoding fails.
    pub fn to_unicode(&self) -> String {
        let (unicode, result) = idna::domain_to_unicode(&self.0);
        match result {
            Ok(()) => unicode,
            Err(_) => self.0.clone(),
        }
    }

    /// The labels, left to right.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }

    /// True when the name is under the `.vn` country-code top-level domain.
    pub fn is_vn(&self) -> bool {
        self.0.rsplit('.').next() == Some("vn")
    }

    /// The registrable domain (public suffix plus one label) from the embedded Public Suffix
    /// List: `shop.myphamxachtay.com.vn` → `myphamxachtay.com.vn`. `None` when the name is
    /// itself a public suffix (`com.vn`).
    pub fn registrable_domain(&self) -> Option<DomainName> {
        psl::domain_str(&self.0).map(|d| DomainName(d.to_owned()))
    }

    /// The public suffix of the name (`com.vn`, `vn`, `co.uk`), from the embedded list.
    pub fn public_suffix(&self) -> Option<&str> {
        psl::suffix_str(&self.0)
    }

    /// Whether the name is itself a suffix of the list's ICANN section (`com.vn`, `vn`) or
    /// unknown to the list as a whole (a bare unlisted TLD). Suffixes of the private section
    /// (`blogspot.com`, `workers.dev`) are names a company runs, and are not.
    pub fn is_icann_suffix(&self) -> bool {
        match psl::suffix(self.0.as_bytes()) {
            Some(suffix) if suffix.as_bytes() == self.0.as_bytes() => {
                suffix.typ() != Some(psl::Type::Private)
            }
            _ => false,
        }
    }
}

/// Checks an already lower-cased ASCII name (no trailing dot) against DNS host name rules.
fn check_ascii_name(name: &str) -> Result<(), NameError> {
    let mut count = 0usize;
    let mut last = "";
    for label in name.split('.') {
        count += 1;
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong);
        }
        last = label;
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::NameTooLong);
    }
    for label in name.split('.') {
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(NameError::InvalidCharacter);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::InvalidDomain);
        }
    }
    if count < 2 {
        return Err(NameError::SingleLabel);
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameError::NumericTld);
    }
    Ok(())
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for DomainName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DomainName::parse(s)
    }
}

impl serde::Serialize for DomainName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// One thing a client asks to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A host name, from a bare domain or the host of a URL; `port` is the URL's explicit port.
    Domain {
        /// The validated name.
        name: DomainName,
        /// The explicit port from a URL or `host:port`, used for the TLS peek.
        port: Option<u16>,
    },
    /// An IP address, bare or the host of a URL (`https://[2001:db8::1]:8443/`).
    Ip {
        /// The address.
        ip: IpAddr,
        /// The explicit port from a URL, used for the TLS peek.
        port: Option<u16>,
    },
    /// A CIDR block, in canonical form.
    Cidr(Cidr),
}

impl Target {
    /// Parses a target: URL (`scheme://[userinfo@]host[:port][/path…]`), bare domain or
    /// `domain:port`, IPv4/IPv6 address (brackets allowed), or CIDR block. Surrounding white
    /// space is ignored. A path after a host without scheme (`shop.example.vn/p/1`) is
    /// accepted as a URL.
    pub fn parse(input: &str) -> Result<Target, NameError> {
        let input = input.trim();
        if input.is_empty() || input.len() > MAX_INPUT_LEN {
            return Err(NameError::InvalidTarget);
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(NameError::InvalidTarget);
        }
        if let Some((scheme, rest)) = input.split_once("://") {
            let valid_scheme = !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && scheme.as_bytes()[0].is_ascii_alphabetic();
            if !valid_scheme {
                return Err(NameError::InvalidTarget);
            }
            if is_special_scheme(scheme) {
                return parse_special_url(input);
            }
            return parse_authority(authority_of(rest));
        }
        if let Some((left, right)) = input.split_once(['/', '\\']) {
            // After an address, anything that could be meant as a prefix length is read as
            // one, so `203.0.113.0/-1` is an invalid block, never the single address.
            let looks_like_cidr = !right.is_empty()
                && right
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+');
            let left_bare = left.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
            if looks_like_cidr && left_bare.unwrap_or(left).parse::<IpAddr>().is_ok() {
                return Cidr::parse(input).map(Target::Cidr);
            }
            return parse_authority(authority_of(input));
        }
        if let Ok(ip) = input.parse::<IpAddr>() {
            return Ok(Target::Ip { ip, port: None });
        }
        // As a browser reads `http://` + input: the host ends at `?` or `#` too.
        parse_authority(authority_of(input))
    }
}

/// The WHATWG URL Standard's special schemes, whose URLs browsers parse with `\` as `/`.
fn is_special_scheme(scheme: &str) -> bool {
    ["http", "https", "ws", "wss", "ftp"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

/// Parses a URL of a special scheme exactly as a browser does (the `url` crate follows the
/// WHATWG URL Standard): `https://shop.vn\@other.com/` goes to `shop.vn`, so that is the
/// host taken, never `other.com`.
fn parse_special_url(input: &str) -> Result<Target, NameError> {
    let url = url::Url::parse(input).map_err(|error| match error {
        url::ParseError::InvalidPort => NameError::InvalidPort,
        _ => NameError::InvalidTarget,
    })?;
    let port = url.port();
    if port == Some(0) {
        return Err(NameError::InvalidPort);
    }
    match url.host() {
        Some(url::Host::Domain(name)) => Ok(Target::Domain {
            name: DomainName::parse(name)?,
            port,
        }),
        Some(url::Host::Ipv4(ip)) => Ok(Target::Ip {
            ip: IpAddr::V4(ip),
            port,
        }),
        Some(url::Host::Ipv6(ip)) => Ok(Target::Ip {
            ip: IpAddr::V6(ip),
            port,
        }),
        None => Err(NameError::InvalidTarget),
    }
}

/// The path of a URL target (`/fake-shop-99`) as a browser reads it; empty for a bare
/// domain or address.
pub fn url_path(input: &str) -> String {
    let input = input.trim();
    if let Some((scheme, _)) = input.split_once("://") {
        if is_special_scheme(scheme) {
            return url::Url::parse(input)
                .map(|url| url.path().to_owned())
                .unwrap_or_default();
        }
    }
    let rest = input.split_once("://").map_or(input, |(_, rest)| rest);
    let Some(start) = rest.find(['/', '\\']) else {
        return String::new();
    };
    let path = &rest[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].replace('\\', "/")
}

/// The authority part of what follows `scheme://`: up to the first `/`, `\`, `?` or `#`.
fn authority_of(rest: &str) -> &str {
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

/// Parses `[userinfo@]host[:port]`, where host is a name, IPv4 or bracketed IPv6.
fn parse_authority(authority: &str) -> Result<Target, NameError> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if host_port.is_empty() {
        return Err(NameError::InvalidTarget);
    }
    if let Some(rest) = host_port.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(NameError::InvalidTarget)?;
        let ip: IpAddr = host.parse().map_err(|_| NameError::InvalidTarget)?;
        let port = match after {
            "" => None,
            p => Some(parse_port(
                p.strip_prefix(':').ok_or(NameError::InvalidTarget)?,
            )?),
        };
        return Ok(Target::Ip { ip, port });
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, Some(parse_port(port)?)),
        None => (host_port, None),
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Target::Ip { ip, port });
    }
    Ok(Target::Domain {
        name: DomainName::parse(host)?,
        port,
    })
}

/// Parses a decimal port from 1 to 65535.
fn parse_port(text: &str) -> Result<u16, NameError> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NameError::InvalidPort);
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(NameError::InvalidPort),
        Ok(port) => Ok(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_idn_becomes_punycode_and_back() {
        let name = DomainName::parse("Hàng-Hiệu.VN.").expect("valid IDN");
        assert_eq!(name.as_str(), "xn--hng-hiu-8va4100e.vn");
        assert_eq!(name.to_unicode(), "hàng-hiệu.vn");
        assert!(name.is_vn());
    }

    #[test]
    fn lengths_are_checked_after_conversion() {
        let label = "a".repeat(63);
        assert!(DomainName::parse(&format!("{label}.vn")).is_ok());
        assert_eq!(
            DomainName::parse(&format!("a{label}.vn")),
            Err(NameError::LabelTooLong)
        );
        let long = ["abcdefghi"; 26].join(".");
        assert_eq!(long.len(), 259);
        assert_eq!(DomainName::parse(&long), Err(NameError::NameTooLong));
    }
}

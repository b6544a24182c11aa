//! Platforms and shared infrastructure: the reference data that keeps enforcement on the
//! offender.
//!
//! A [`Platform`] (a marketplace, a social network, a CDN…) owns domains; a URL on one of them
//! is a notice to that platform, never a block of its domain. Its `account_pattern` names the
//! seller's account in a URL's path. [`SharedInfrastructure`] lists address blocks that many
//! unrelated sites share (CDN and hosting ranges); an address target inside one is held for
//! an authority's confirmation.
//!
//! Pure: parsing and matching only, no I/O. Storing is `store::platforms`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{optional_text, parse_json, required_text, RecordError};
use crate::i18n::Text;
use crate::network::cidr::Cidr;
use crate::network::names::DomainName;

/// Most domains of one platform.
pub const MAX_DOMAINS: usize = 200;
/// Most address blocks of one shared-infrastructure record.
pub const MAX_CIDRS: usize = 2000;
/// Longest `account_pattern`, in bytes.
const MAX_PATTERN: usize = 200;
/// Longest platform id.
const MAX_ID: usize = 64;
/// Longest account taken from a URL, in characters.
pub const MAX_ACCOUNT: usize = 200;
/// The placeholder in an account pattern.
const PLACEHOLDER: &str = "{account}";

/// What a platform is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKind {
    /// A marketplace (Shopee, Lazada, Tiki, Sendo, TikTok Shop).
    Marketplace,
    /// A social network (Facebook, Instagram).
    SocialNetwork,
    /// Video sharing (YouTube, TikTok).
    Video,
    /// Messaging (Zalo).
    Messaging,
    /// A search engine.
    Search,
    /// Site hosting (blogs, site builders).
    Hosting,
    /// A content delivery network.
    Cdn,
}

/// What shared infrastructure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InfrastructureKind {
    /// A content delivery network's ranges.
    Cdn,
    /// A hosting provider's ranges.
    Hosting,
}

/// A platform as stored: its id, name, kind, domains and account pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Platform {
    /// Stable id (`shopee`), also the `platform` of its keys.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it is.
    pub kind: PlatformKind,
    /// Registrable domains or hosts, lower-case ASCII; a host equal to or below one of them
    /// belongs to the platform.
    pub domains: Vec<String>,
    /// A path template naming the seller's account (`/{account}`, `/@{account}`,
    /// `/shop/{account}`), or null.
    pub account_pattern: Option<String>,
}

/// Address blocks many unrelated sites share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SharedInfrastructure {
    /// Its name (the key it is stored under).
    pub name: String,
    /// What it is.
    pub kind: InfrastructureKind,
    /// The blocks, in canonical text.
    pub cidrs: Vec<String>,
}

/// Whether `text` is a platform id: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
pub fn is_platform_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformInput {
    id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    domains: Option<Vec<String>>,
    account_pattern: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfrastructureInput {
    name: Option<String>,
    kind: Option<String>,
    cidrs: Option<Vec<String>>,
}

fn kind_error(field: &str, allowed: &str) -> RecordError {
    RecordError::new(
        field,
        "invalid_kind",
        Text::new(
            format!("kind must be one of: {allowed}."),
            format!("kind phải là một trong: {allowed}."),
        ),
    )
}

fn parse_kind<T: serde::de::DeserializeOwned>(
    value: Option<String>,
    allowed: &str,
    errors: &mut Vec<RecordError>,
) -> Option<T> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        errors.push(RecordError::missing("kind"));
        return None;
    };
    let parsed = serde_json::from_value(serde_json::Value::String(value)).ok();
    if parsed.is_none() {
        errors.push(kind_error("kind", allowed));
    }
    parsed
}

/// Validates one platform line.
pub fn validate_platform(line: &str) -> Result<Platform, Vec<RecordError>> {
    let input: PlatformInput = parse_json(line)?;
    let mut errors = Vec::new();
    let id = required_text(input.id, "id", MAX_ID, &mut errors);
    if !id.is_empty() && !is_platform_id(&id) {
        errors.push(RecordError::new(
            "id",
            "invalid_id",
            Text::fixed(
                "An id is 1 to 64 lower-case letters, digits, `-` or `_`.",
                "Mã định danh gồm 1 đến 64 chữ thường, chữ số, `-` hoặc `_`.",
            ),
        ));
    }
    let name = required_text(input.name, "name", 200, &mut errors);
    let kind = parse_kind::<PlatformKind>(
        input.kind,
        "marketplace, social_network, video, messaging, search, hosting, cdn",
        &mut errors,
    );
    let domains = domains(input.domains.unwrap_or_default(), &mut errors);
    let account_pattern = optional_text(
        input.account_pattern,
        "account_pattern",
        MAX_PATTERN,
        &mut errors,
    );
    if let Some(pattern) = &account_pattern {
        if let Err(error) = AccountPattern::parse(pattern) {
            errors.push(error);
        }
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(Platform {
            id,
            name,
            kind,
            domains,
            account_pattern,
        }),
        _ => Err(errors),
    }
}

/// The domains of a platform, canonical and without repeats; at least one.
fn domains(raw: Vec<String>, errors: &mut Vec<RecordError>) -> Vec<String> {
    if raw.is_empty() {
        errors.push(RecordError::missing("domains"));
        return Vec::new();
    }
    if raw.len() > MAX_DOMAINS {
        errors.push(RecordError::new(
            "domains",
            "too_many",
            Text::new(
                format!("At most {MAX_DOMAINS} domains."),
                format!("Tối đa {MAX_DOMAINS} tên miền."),
            ),
        ));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, text) in raw.iter().enumerate() {
        match DomainName::parse(text.trim()) {
            // A platform owns names, never an ICANN suffix such as `com.vn`; a private-section
            // suffix (`blogspot.com`) is the company's own.
            Ok(name) if !name.is_icann_suffix() => {
                if !out.iter().any(|d| d == name.as_str()) {
                    out.push(name.as_str().to_owned());
                }
            }
            _ => errors.push(RecordError::new(
                format!("domains[{i}]"),
                "invalid_domain",
                Text::fixed(
                    "Not a domain name, or a public suffix such as com.vn.",
                    "Không phải tên miền, hoặc là hậu tố công cộng như com.vn.",
                ),
            )),
        }
    }
    out
}

/// Validates one shared-infrastructure line.
pub fn validate_infrastructure(line: &str) -> Result<SharedInfrastructure, Vec<RecordError>> {
    let input: InfrastructureInput = parse_json(line)?;
    let mut errors = Vec::new();
    let name = required_text(input.name, "name", 200, &mut errors);
    let kind = parse_kind::<InfrastructureKind>(input.kind, "cdn, hosting", &mut errors);
    let raw = input.cidrs.unwrap_or_default();
    let mut cidrs: Vec<String> = Vec::with_capacity(raw.len());
    if raw.is_empty() {
        errors.push(RecordError::missing("cidrs"));
    } else if raw.len() > MAX_CIDRS {
        errors.push(RecordError::new(
            "cidrs",
            "too_many",
            Text::new(
                format!("At most {MAX_CIDRS} blocks."),
                format!("Tối đa {MAX_CIDRS} dải địa chỉ."),
            ),
        ));
    } else {
        for (i, text) in raw.iter().enumerate() {
            match Cidr::parse(text.trim()) {
                Ok(block) => {
                    let text = block.to_string();
                    if !cidrs.contains(&text) {
                        cidrs.push(text);
                    }
                }
                Err(error) => errors.push(RecordError::new(
                    format!("cidrs[{i}]"),
                    error.code(),
                    Text::fixed(
                        "Not a CIDR block (address/prefix, no host bits set).",
                        "Không phải dải CIDR (địa chỉ/độ dài tiền tố, không có bit máy).",
                    ),
                )),
            }
        }
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(SharedInfrastructure { name, kind, cidrs }),
        _ => Err(errors),
    }
}

/// A parsed account pattern: literal path segments before the account, and the account
/// segment's literal prefix and suffix (`/@{account}` has prefix `@`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPattern {
    leading: Vec<String>,
    prefix: String,
    suffix: String,
}

impl AccountPattern {
    /// Parses a pattern: it starts with `/` and names `{account}` exactly once, inside one
    /// segment, after any number of literal segments.
    pub fn parse(pattern: &str) -> Result<AccountPattern, RecordError> {
        let bad = || {
            RecordError::new(
                "account_pattern",
                "invalid_pattern",
                Text::fixed(
                    "A path template starting with `/` that names {account} once, as in /{account}, /@{account} or /shop/{account}.",
                    "Mẫu đường dẫn bắt đầu bằng `/` và chứa {account} đúng một lần, như /{account}, /@{account} hay /shop/{account}.",
                ),
            )
        };
        let rest = pattern.strip_prefix('/').ok_or_else(bad)?;
        if pattern.matches(PLACEHOLDER).count() != 1
            || pattern
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
        {
            return Err(bad());
        }
        let segments: Vec<&str> = rest.split('/').collect();
        let Some(at) = segments.iter().position(|s| s.contains(PLACEHOLDER)) else {
            return Err(bad());
        };
        // Segments after the account's add nothing to finding it; allow none, so a pattern
        // never silently ignores part of itself.
        if at + 1 != segments.len() && !(at + 2 == segments.len() && segments[at + 1].is_empty()) {
            return Err(bad());
        }
        let leading: Vec<String> = segments[..at]
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if leading
            .iter()
            .any(|s| s.is_empty() || s.contains(['{', '}']))
        {
            return Err(bad());
        }
        let (prefix, suffix) = segments[at].split_once(PLACEHOLDER).ok_or_else(bad)?;
        if prefix.contains(['{', '}']) || suffix.contains(['{', '}']) {
            return Err(bad());
        }
        Ok(AccountPattern {
            leading,
            prefix: prefix.to_ascii_lowercase(),
            suffix: suffix.to_ascii_lowercase(),
        })
    }

    /// The account a URL path names, lower-case, if the path fits the pattern.
    pub fn account(&self, path: &str) -> Option<String> {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        for literal in &self.leading {
            if !segments.next()?.eq_ignore_ascii_case(literal) {
                return None;
            }
        }
        let segment = segments.next()?.to_lowercase();
        let account = segment
            .strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())?;
        (!account.is_empty() && account.chars().count() <= MAX_ACCOUNT).then(|| account.to_owned())
    }
}

impl Platform {
    /// The domain of this platform that `host` is equal to or below, if any.
    pub fn domain_of(&self, host: &str) -> Option<&str> {
        self.domains
            .iter()
            .find(|d| host == d.as_str() || host.ends_with(&format!(".{d}")))
            .map(String::as_str)
    }

    /// The account the URL path names, by the platform's pattern.
    pub fn account(&self, path: &str) -> Option<String> {
        let pattern = AccountPattern::parse(self.account_pattern.as_deref()?).ok()?;
        pattern.account(path)
    }
}

impl SharedInfrastructure {
    /// Whether any of its blocks overlaps `block`.
    pub fn overlaps(&self, block: &Cidr) -> bool {
        self.cidrs
            .iter()
            .filter_map(|c| Cidr::parse(c).ok())
            .any(|c| c.overlaps(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_line_is_normalised() {
        let p = validate_platform(
            r#"{"id":"shopee","name":"Shopee","kind":"marketplace","domains":["Shopee.VN","shp.ee","shopee.vn"],"account_pattern":"/{account}"}"#,
        )
        .unwrap();
        assert_eq!(p.domains, ["shopee.vn", "shp.ee"]);
        assert_eq!(p.domain_of("mall.shopee.vn"), Some("shopee.vn"));
        assert_eq!(p.domain_of("notshopee.vn"), None);
        assert_eq!(p.account("/Fake-Shop-99/"), Some("fake-shop-99".into()));
        let blogger = validate_platform(
            r#"{"id":"blogger","name":"Blogger","kind":"hosting","domains":["blogspot.com","blogger.com"]}"#,
        )
        .unwrap();
        assert_eq!(blogger.domains, ["blogspot.com", "blogger.com"]);
    }

    #[test]
    fn every_bad_field_of_a_platform_is_named() {
        let errors = validate_platform(
            r#"{"id":"Shop ee","name":"","kind":"bazaar","domains":["com.vn","ok.vn"],"account_pattern":"/shop"}"#,
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("id", "invalid_id"),
                ("name", "missing_field"),
                ("kind", "invalid_kind"),
                ("domains[0]", "invalid_domain"),
                ("account_pattern", "invalid_pattern"),
            ]
        );
    }

    #[test]
    fn account_patterns_take_the_first_matching_segment() {
        let at = AccountPattern::parse("/@{account}").unwrap();
        assert_eq!(at.account("/@shop_fake/video/1"), Some("shop_fake".into()));
        assert_eq!(at.account("/video/1"), None);
        let shop = AccountPattern::parse("/shop/{account}").unwrap();
        assert_eq!(shop.account("/SHOP/abc"), Some("abc".into()));
        assert_eq!(shop.account("/store/abc"), None);
        assert_eq!(shop.account("/shop/"), None);
        for bad in [
            "{account}",
            "/",
            "/{account}/{account}",
            "/{account}/x",
            "/a b/{account}",
            "/{x}/{account}",
        ] {
            assert!(AccountPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn infrastructure_needs_parseable_blocks() {
        let ok = validate_infrastructure(
            r#"{"name":"Example CDN","kind":"cdn","cidrs":["198.51.100.0/24","2001:0db8::/32"]}"#,
        )
        .unwrap();
        assert_eq!(ok.cidrs, ["198.51.100.0/24", "2001:db8::/32"]);
        assert!(ok.overlaps(&Cidr::parse("198.51.100.7/32").unwrap()));
        assert!(ok.overlaps(&Cidr::parse("198.51.0.0/16").unwrap()));
        assert!(!ok.overlaps(&Cidr::parse("203.0.113.0/24").unwrap()));
        let errors = validate_infrastructure(
            r#"{"name":"x","kind":"isp","cidrs":["198.51.100.0/-1","10.0.0.1/8"]}"#,
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "invalid_kind"),
                ("cidrs[0]", "invalid_cidr"),
                ("cidrs[1]", "cidr_host_bits")
            ]
        );
    }
}

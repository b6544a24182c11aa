//! The platforms' channel and the collateral-damage guard: where a takedown may go, and the
//! rules of platform notices (deadlines, outcomes, repeat offenders, compliance figures).
//!
//! Pure: no I/O. The worker looks up the platform and the shared infrastructure a target
//! touches and hands them to [`destination`]; the store keeps the counts that
//! [`recommend`] and [`compliance`] read.
//!
//! The rule it enforces: a takedown reaches the narrowest party that can act on it. A listing
//! or account on a platform is a notice to that platform. A target that is itself a platform's
//! domain, a public suffix, or an address in shared infrastructure is never enforced without
//! an authority's explicit, audited confirmation.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::{TakedownRequest, TargetType};
use super::Channel;
use crate::network::cidr::Cidr;
use crate::network::names::url_path;
use crate::reference::platform::{Platform, SharedInfrastructure};

/// Seconds in a day, for the repeat-offender windows.
const DAY_SECS: i64 = 86_400;
/// The window of the short repeat-offender count, in days.
pub const WINDOW_SHORT_DAYS: i64 = 30;
/// The window of the long repeat-offender count, in days.
pub const WINDOW_LONG_DAYS: i64 = 90;

/// Thresholds of the lock recommendation (Decree 147/2024/NĐ-CP's, configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockThresholds {
    /// Upheld notices in 30 days from which a temporary lock is recommended.
    pub upheld_30d: u32,
    /// Upheld notices in 90 days from which a temporary lock is recommended.
    pub upheld_90d: u32,
    /// Temporary locks after which a permanent lock is recommended.
    pub permanent_after_locks: u32,
}

impl Default for LockThresholds {
    fn default() -> Self {
        LockThresholds {
            upheld_30d: 5,
            upheld_90d: 10,
            permanent_after_locks: 3,
        }
    }
}

/// Settings of the platforms' channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformSettings {
    /// Time a platform has to act on a notice (24 hours).
    pub deadline: Duration,
    /// When the next notice recommends a lock.
    pub lock: LockThresholds,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        PlatformSettings {
            deadline: Duration::from_secs(24 * 3600),
            lock: LockThresholds::default(),
        }
    }
}

/// What a notice recommends the platform do with the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LockRecommendation {
    /// Lock the account for a time (7 to 30 days).
    Temporary,
    /// Lock the account for good.
    Permanent,
}

impl LockRecommendation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LockRecommendation::Temporary => "temporary",
            LockRecommendation::Permanent => "permanent",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<LockRecommendation> {
        match text {
            "temporary" => Some(LockRecommendation::Temporary),
            "permanent" => Some(LockRecommendation::Permanent),
            _ => None,
        }
    }
}

/// An account's record with one platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountHistory {
    /// Notices upheld (`removed`, `account_locked`) in the last 30 days.
    pub upheld_30d: u64,
    /// Notices upheld in the last 90 days.
    pub upheld_90d: u64,
    /// Temporary locks the platform reported.
    pub temporary_locks: u64,
}

/// The recommendation a new notice carries, given the account's record: permanent once it
/// was locked temporarily often enough, temporary once enough notices were upheld.
pub fn recommend(history: &AccountHistory, lock: &LockThresholds) -> Option<LockRecommendation> {
    if history.temporary_locks >= u64::from(lock.permanent_after_locks) {
        Some(LockRecommendation::Permanent)
    } else if history.upheld_30d >= u64::from(lock.upheld_30d)
        || history.upheld_90d >= u64::from(lock.upheld_90d)
    {
        Some(LockRecommendation::Temporary)
    } else {
        None
    }
}

/// The start of the short and long windows before `now`, in milliseconds since the epoch.
pub fn windows(now: DateTime<Utc>) -> (i64, i64) {
    let ms = now.timestamp_millis();
    (
        ms - WINDOW_SHORT_DAYS * DAY_SECS * 1000,
        ms - WINDOW_LONG_DAYS * DAY_SECS * 1000,
    )
}

/// What a platform reports it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The listing or content was removed.
    Removed,
    /// The seller's account was locked (for `lock_days`, or for good without it).
    AccountLocked,
    /// The platform declined, with a reason.
    Declined,
}

impl Outcome {
    /// Whether the notice counts against the account.
    pub fn is_upheld(self) -> bool {
        matches!(self, Outcome::Removed | Outcome::AccountLocked)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Removed => "removed",
            Outcome::AccountLocked => "account_locked",
            Outcome::Declined => "declined",
        }
    }
}

/// Why a takedown is held for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ReviewFindingCode)]
pub enum FindingCode {
    /// The address or block overlaps ranges many unrelated sites share.
    SharedInfrastructure,
    /// The target is a platform's own domain: blocking it blocks every seller and user.
    PlatformDomain,
    /// The target is a public suffix (`blogspot.com`, `com.vn`): blocking it blocks every
    /// name registered below it.
    PublicSuffix,
}

/// One reason a takedown is held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ReviewFinding)]
pub struct Finding {
    /// Why enforcing the request would hit more than the offender.
    pub code: FindingCode,
    /// The platform's, infrastructure's or suffix's name.
    pub name: String,
    /// Its kind (`marketplace`, `cdn`, … or `public_suffix`).
    pub kind: String,
}

/// Where the worker sends a resolved takedown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A notice to the platform the target is on; the account when the URL names one.
    Platform {
        /// The platform's id.
        platform: String,
        /// The seller's account, when known.
        account: Option<String>,
    },
    /// Held until an authority confirms, with the reasons.
    Review(Vec<Finding>),
    /// Enforced on its own channel (registry or operators).
    Channel(Channel),
}

/// The channel that enforces a request on its own: a `.vn` domain the registry, anything
/// else the operators.
pub fn own_channel(request: &TakedownRequest) -> Channel {
    if request.target_type == TargetType::Domain && request.is_vn {
        Channel::Registry
    } else {
        Channel::Operators
    }
}

/// Decides where a request goes.
///
/// - `platform`: the platform whose domain the target's host is equal to or below (looked up
///   by the caller). A bare platform domain (`shopee.vn`, `www.facebook.com`, a URL with no
///   path) is held as `platform_domain`; anything on it with a path, or a host below it
///   (`shop1.blogspot.com`), is a notice. The account comes from the platform's pattern, or
///   is the host itself when the host is below the platform's domain.
/// - `public_suffix`: whether a domain target is itself a public suffix.
/// - `shared`: the shared infrastructure an address or block target overlaps.
pub fn destination(
    request: &TakedownRequest,
    platform: Option<&Platform>,
    public_suffix: bool,
    shared: &[SharedInfrastructure],
) -> Destination {
    match request.target_type {
        TargetType::Domain => {
            let host = request.target_value.as_str();
            if let Some((platform, domain)) =
                platform.and_then(|p| p.domain_of(host).map(|d| (p, d)))
            {
                let path = url_path(&request.target);
                let account = platform.account(&path);
                let root = host == domain || host.strip_prefix("www.") == Some(domain);
                let bare = path.trim_matches('/').is_empty();
                if root && bare {
                    return Destination::Review(vec![Finding {
                        code: FindingCode::PlatformDomain,
                        name: platform.name.clone(),
                        kind: kind_name(&platform.kind),
                    }]);
                }
                let account = account.or_else(|| (!root).then(|| host.to_owned()));
                return Destination::Platform {
                    platform: platform.id.clone(),
                    account,
                };
            }
            if public_suffix {
                return Destination::Review(vec![Finding {
                    code: FindingCode::PublicSuffix,
                    name: host.to_owned(),
                    kind: "public_suffix".into(),
                }]);
            }
            Destination::Channel(own_channel(request))
        }
        TargetType::Ip | TargetType::Cidr => {
            let block = match Cidr::parse(&request.target_value) {
                Ok(block) => block,
                Err(_) => match request.target_value.parse() {
                    Ok(ip) => Cidr::single(ip),
                    Err(_) => return Destination::Channel(own_channel(request)),
                },
            };
            let findings: Vec<Finding> = shared
                .iter()
                .filter(|infra| infra.overlaps(&block))
                .map(|infra| Finding {
                    code: FindingCode::SharedInfrastructure,
                    name: infra.name.clone(),
                    kind: kind_name(&infra.kind),
                })
                .collect();
            if findings.is_empty() {
                Destination::Channel(own_channel(request))
            } else {
                Destination::Review(findings)
            }
        }
    }
}

fn kind_name<T: Serialize>(kind: &T) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One platform's figures for authorities.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlatformCompliance {
    /// The platform's id.
    pub platform: String,
    /// Notices waiting for the platform.
    pub open: u64,
    /// Open notices past their due time.
    pub overdue: u64,
    /// Median hours from notice to outcome, over outcomes of the last 30 days (null when
    /// none).
    pub median_hours_to_act_30d: Option<f64>,
    /// Notices declined in the last 30 days.
    pub declined_30d: u64,
}

/// One outcome as the compliance figures need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Acted {
    /// Seconds from notice to outcome.
    pub seconds: f64,
    /// The outcome.
    pub outcome: Outcome,
}

/// A platform's compliance from its open counts and its outcomes of the last 30 days.
pub fn compliance(platform: &str, open: u64, overdue: u64, acted: &[Acted]) -> PlatformCompliance {
    let mut hours: Vec<f64> = acted.iter().map(|a| a.seconds / 3600.0).collect();
    hours.sort_by(f64::total_cmp);
    let median = match hours.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours[n / 2]),
        n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
    };
    PlatformCompliance {
        platform: platform.to_owned(),
        open,
        overdue,
        median_hours_to_act_30d: median.map(|h| (h * 100.0).round() / 100.0),
        declined_30d: acted
            .iter()
            .filter(|a| a.outcome == Outcome::Declined)
            .count() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::takedown::request::TakedownInput;

    fn request(target: &str) -> TakedownRequest {
        let input: TakedownInput = serde_json::from_value(serde_json::json!({
            "target": target, "category": "counterfeit",
            "legal_basis": {"document_number": "1/QĐ", "issued_on": "2026-11-02", "issuer": "QLTT"},
            "evidence": [{"url": "https://example.com/", "captured_at": "2026-11-01T08:00:00Z",
                          "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
        }))
        .unwrap();
        input.validate(Utc::now()).unwrap()
    }

    fn platform(id: &str, domains: &[&str], pattern: Option<&str>) -> Platform {
        Platform {
            id: id.into(),
            name: id.into(),
            kind: crate::reference::platform::PlatformKind::Marketplace,
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            account_pattern: pattern.map(str::to_owned),
        }
    }

    #[test]
    fn a_sellers_page_is_a_notice_and_the_bare_platform_is_held() {
        let facebook = platform("facebook", &["facebook.com"], Some("/{account}"));
        let go = |t: &str| destination(&request(t), Some(&facebook), false, &[]);
        assert_eq!(
            go("https://www.facebook.com/FakeShop123"),
            Destination::Platform {
                platform: "facebook".into(),
                account: Some("fakeshop123".into())
            }
        );
        for bare in [
            "facebook.com",
            "www.facebook.com",
            "https://www.facebook.com/",
        ] {
            assert!(
                matches!(go(bare), Destination::Review(f) if f[0].code == FindingCode::PlatformDomain),
                "{bare}"
            );
        }
        let blogger = platform("blogger", &["blogspot.com"], None);
        assert_eq!(
            destination(&request("shop1.blogspot.com"), Some(&blogger), false, &[]),
            Destination::Platform {
                platform: "blogger".into(),
                account: Some("shop1.blogspot.com".into())
            }
        );
    }

    #[test]
    fn off_platform_targets_keep_their_channel_unless_they_are_shared() {
        assert_eq!(
            destination(&request("giay-gia.vn"), None, false, &[]),
            Destination::Channel(Channel::Registry)
        );
        assert_eq!(
            destination(&request("fake-brand.com"), None, false, &[]),
            Destination::Channel(Channel::Operators)
        );
        assert!(matches!(
            destination(&request("blogspot.com"), None, true, &[]),
            Destination::Review(f) if f[0].code == FindingCode::PublicSuffix
        ));
        let cdn = SharedInfrastructure {
            name: "Example CDN".into(),
            kind: crate::reference::platform::InfrastructureKind::Cdn,
            cidrs: vec!["198.51.100.0/24".into()],
        };
        let shared = std::slice::from_ref(&cdn);
        for inside in ["198.51.100.7", "198.51.100.128/25", "198.51.0.0/16"] {
            assert_eq!(
                destination(&request(inside), None, false, shared),
                Destination::Review(vec![Finding {
                    code: FindingCode::SharedInfrastructure,
                    name: "Example CDN".into(),
                    kind: "cdn".into()
                }]),
                "{inside}"
            );
        }
        assert_eq!(
            destination(&request("203.0.113.7"), None, false, shared),
            Destination::Channel(Channel::Operators)
        );
    }

    #[test]
    fn paths_are_read_as_a_browser_reads_them() {
        assert_eq!(
            url_path("https://shopee.vn/fake-shop-99?x=1"),
            "/fake-shop-99"
        );
        assert_eq!(url_path("HTTPS://shopee.vn\\fake-shop-99"), "/fake-shop-99");
        assert_eq!(url_path("shopee.vn/a/b#c"), "/a/b");
        assert_eq!(url_path("shopee.vn\\a"), "/a");
        assert_eq!(url_path("shopee.vn"), "");
        assert_eq!(url_path("https://shopee.vn"), "/");
    }

    #[test]
    fn recommendations_cross_their_thresholds() {
        let lock = LockThresholds::default();
        let h = |upheld_30d, upheld_90d, temporary_locks| AccountHistory {
            upheld_30d,
            upheld_90d,
            temporary_locks,
        };
        assert_eq!(recommend(&h(4, 9, 2), &lock), None);
        assert_eq!(
            recommend(&h(5, 5, 0), &lock),
            Some(LockRecommendation::Temporary)
        );
        assert_eq!(
            recommend(&h(0, 10, 0), &lock),
            Some(LockRecommendation::Temporary)
        );
        assert_eq!(
            recommend(&h(0, 0, 3), &lock),
            Some(LockRecommendation::Permanent)
        );
    }

    #[test]
    fn compliance_takes_the_median_and_counts_declines() {
        let acted = |hours: f64, outcome| Acted {
            seconds: hours * 3600.0,
            outcome,
        };
        let c = compliance(
            "shopee",
            3,
            1,
            &[
                acted(1.0, Outcome::Removed),
                acted(30.0, Outcome::Declined),
                acted(2.0, Outcome::AccountLocked),
                acted(5.0, Outcome::Removed),
            ],
        );
        assert_eq!(c.median_hours_to_act_30d, Some(3.5));
        assert_eq!(c.declined_30d, 1);
        assert_eq!(compliance("x", 0, 0, &[]).median_hours_to_act_30d, None);
    }
}

//! Takedown requests, pure: what an agency asks for and its validation ([`request`]), the
//! state machine and what each transition changes ([`state`]), the channel rules and the
//! collateral-damage guard ([`platform`]), the operators' blocklist ([`blocklist`]) and
//! their compliance ([`compliance`]). Nothing here does I/O; the workflow steps that store
//! these decisions are `service::takedowns`.

pub mod blocklist;
pub mod compliance;
pub mod platform;
pub mod request;
pub mod rpz;
pub mod schema;
pub mod state;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use request::{TakedownInput, TakedownRequest};
pub use state::{Event, State};

/// Which side enforces a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// VNNIC, for domains under `.vn`.
    Registry,
    /// The telecom operators' blocklist, for other domains, IPs and CIDR blocks.
    Operators,
    /// The platform a listing or account is on (a notice; nothing is blocked).
    Platform,
}

impl Channel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Registry => "registry",
            Channel::Operators => "operators",
            Channel::Platform => "platform",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "registry" => Some(Channel::Registry),
            "operators" => Some(Channel::Operators),
            "platform" => Some(Channel::Platform),
            _ => None,
        }
    }
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// The state entered.
    pub state: State,
    /// When the request entered this state (UTC).
    pub at: DateTime<Utc>,
    /// The key name (or `worker`, `scheduler`) that caused it.
    pub actor: String,
    /// Why, when a reason was given.
    pub reason: Option<String>,
}

/// A running or ended suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Suspension {
    /// Its length in days.
    pub days: u32,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
}

/// A takedown request with everything known about it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Takedown {
    /// Its id (`td_…`, sorts by submission time).
    pub id: String,
    /// Where it stands.
    pub state: State,
    /// Who enforces it, once routed.
    pub channel: Option<Channel>,
    /// The agency that filed it (null for an admin without agency).
    pub agency: Option<String>,
    /// The key name that filed it.
    pub submitted_by: String,
    /// The request as validated.
    #[serde(flatten)]
    pub request: TakedownRequest,
    /// What resolving the target found when it was routed (see `POST /v1/resolve`).
    #[schema(value_type = Option<Object>)]
    pub resolution: Option<serde_json::Value>,
    /// The suspension, when the registry suspended the domain.
    pub suspension: Option<Suspension>,
    /// Work the registry still has to do (`reinstate` after a withdrawn suspension).
    pub registry_task: Option<String>,
    /// Why the request is (or was) held for review: what enforcing it would also hit.
    pub findings: Vec<platform::Finding>,
    /// The notice to a platform, when the request went to the platforms' channel.
    pub notice: Option<Notice>,
    /// Every state change, oldest first.
    pub history: Vec<HistoryEntry>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A notice to a platform: who, which account, when it is due, and what it recommends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    /// The platform's id.
    pub platform: String,
    /// The seller's account the URL names, when it names one.
    pub account: Option<String>,
    /// When the notice went out.
    pub notified_at: DateTime<Utc>,
    /// When the platform must have acted (24 hours after the notice by default).
    pub due_at: DateTime<Utc>,
    /// The lock the account's record calls for, at the time of the notice.
    pub lock_recommendation: Option<platform::LockRecommendation>,
    /// The days of a temporary lock, when the platform reported one.
    pub lock_days: Option<u32>,
    /// When the platform reported its outcome.
    pub acted_at: Option<DateTime<Utc>>,
}

/// Takedown settings shared by the API and the workers.
#[derive(Debug, Clone)]
pub struct TakedownSettings {
    /// The length of a "day" of suspension (a day; shorter in tests).
    pub suspension_day: Duration,
    /// Longest suspension the registry may order, in days.
    pub max_suspend_days: u32,
    /// Whether new registry requests are pushed to the registry's webhook.
    pub webhook_enabled: bool,
    /// Peek at the target's TLS certificate when resolving it.
    pub resolve_tls: bool,
    /// Blocklist changes kept in the log (older `since` values get a full answer).
    pub blocklist_retention: u64,
    /// How long operators have to apply an addition before it counts against them.
    pub operator_deadline: Duration,
    /// The platforms' channel: deadline and lock thresholds.
    pub platforms: platform::PlatformSettings,
}

impl Default for TakedownSettings {
    fn default() -> Self {
        TakedownSettings {
            suspension_day: Duration::from_secs(86_400),
            max_suspend_days: 90,
            webhook_enabled: false,
            resolve_tls: true,
            blocklist_retention: 100_000,
            operator_deadline: Duration::from_secs(24 * 3600),
            platforms: platform::PlatformSettings::default(),
        }
    }
}

/// A fresh id: `td_`, the time in milliseconds (12 hex digits) and 48 random bits, so ids
/// sort by submission time.
pub fn new_id(now: DateTime<Utc>) -> String {
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let random: u64 = rand::random::<u64>() & 0xffff_ffff_ffff;
    format!("td_{millis:012x}{random:012x}")
}

/// Whether `text` has the shape of an id this service gives out.
pub fn is_id(text: &str) -> bool {
    text.strip_prefix("td_")
        .is_some_and(|rest| rest.len() == 24 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_are_recognised() {
        let early = new_id("2026-01-01T00:00:00Z".parse().unwrap());
        let late = new_id("2026-01-01T00:00:00.001Z".parse().unwrap());
        assert!(early < late);
        assert!(is_id(&early) && is_id(&late));
        assert!(!is_id("td_123"));
        assert!(!is_id("../etc/passwd"));
    }
}

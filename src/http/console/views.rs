//! What the console's templates show of a takedown request: plain strings built here once,
//! so the templates only print (and askama escapes) them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::page::{days_left, when};
use super::texts::Texts;
use crate::takedown::Takedown;

/// The machine name serde gives an enum value (`ip_infringement`).
pub fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// One request in a list.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its id.
    pub id: String,
    /// The target as filed.
    pub target: String,
    /// Its category's code.
    pub category: String,
    /// Its state, for people.
    pub state: &'static str,
    /// Its state's code.
    pub state_code: &'static str,
    /// When it was filed.
    pub filed: String,
    /// The agency that filed it.
    pub agency: String,
    /// Days left of a running suspension.
    pub days_left: Option<u64>,
}

impl Row {
    /// The row of `takedown`.
    pub fn of(takedown: &Takedown, t: &Texts, now: DateTime<Utc>, day: std::time::Duration) -> Row {
        Row {
            id: takedown.id.clone(),
            target: takedown.request.target.clone(),
            category: code(&takedown.request.category),
            state: t.state(takedown.state),
            state_code: takedown.state.as_str(),
            filed: when(&takedown.created_at),
            agency: takedown.agency.clone().unwrap_or_default(),
            days_left: running_suspension(takedown).map(|ends| days_left(ends, now, day)),
        }
    }
}

/// The rows of `takedowns`, days left counted from now.
pub fn rows(takedowns: &[Takedown], t: &Texts, day: std::time::Duration) -> Vec<Row> {
    let now = Utc::now();
    takedowns
        .iter()
        .map(|td| Row::of(td, t, now, day))
        .collect()
}

fn running_suspension(takedown: &Takedown) -> Option<DateTime<Utc>> {
    (takedown.state == crate::takedown::State::Suspended)
        .then(|| takedown.suspension.as_ref().map(|s| s.ends_at))
        .flatten()
}

/// One evidence item.
#[derive(Debug, Clone)]
pub struct EvidenceView {
    /// Where it was captured.
    pub url: String,
    /// SHA-256 of what was captured.
    pub sha256: String,
    /// When.
    pub captured_at: String,
    /// What it shows.
    pub description: String,
}

impl EvidenceView {
    /// The view of one evidence item.
    pub fn of(evidence: &crate::takedown::request::Evidence) -> EvidenceView {
        EvidenceView {
            url: evidence.url.clone(),
            sha256: evidence.sha256.clone(),
            captured_at: when(&evidence.captured_at),
            description: evidence.description.clone().unwrap_or_default(),
        }
    }
}

/// An address of the resolution snapshot.
#[derive(Debug, Clone)]
pub struct AddressView {
    /// The address.
    pub ip: String,
    /// Its allocation country.
    pub country: String,
}

/// The TLS certificate of the snapshot.
#[derive(Debug, Clone)]
pub struct CertView {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// End of validity.
    pub not_after: String,
    /// SHA-256 of the certificate.
    pub sha256: String,
}

/// What resolving the target found.
#[derive(Debug, Clone, Default)]
pub struct ResolutionView {
    /// Name servers.
    pub name_servers: Vec<String>,
    /// Addresses with their countries.
    pub addresses: Vec<AddressView>,
    /// The certificate, when one was fetched.
    pub tls: Option<CertView>,
}

fn text_of(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl ResolutionView {
    /// Reads the snapshot the workers stored (the shape of one `POST /v1/resolve` result).
    pub fn of(snapshot: &Value) -> ResolutionView {
        let name_servers = snapshot
            .pointer("/records/ns")
            .and_then(Value::as_array)
            .map(|ns| {
                ns.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let addresses = snapshot
            .get("addresses")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .map(|a| AddressView {
                        ip: text_of(a, "ip"),
                        country: text_of(a, "country"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tls = snapshot
            .get("tls")
            .filter(|v| v.is_object())
            .map(|c| CertView {
                subject: text_of(c, "subject"),
                issuer: text_of(c, "issuer"),
                not_after: text_of(c, "not_after"),
                sha256: text_of(c, "sha256"),
            });
        ResolutionView {
            name_servers,
            addresses,
            tls,
        }
    }
}

/// One state change.
#[derive(Debug, Clone)]
pub struct HistoryView {
    /// The state reached, for people.
    pub state: &'static str,
    /// When.
    pub at: String,
    /// The key name (or `worker`, `scheduler`).
    pub actor: String,
    /// Why.
    pub reason: String,
}

/// A finding of a held request.
#[derive(Debug, Clone)]
pub struct FindingView {
    /// Its code.
    pub code: String,
    /// What it names.
    pub name: String,
    /// Its kind.
    pub kind: String,
}

/// Everything about one request.
#[derive(Debug, Clone)]
pub struct Detail {
    /// Its row (id, target, category, state, filing time, agency, days left).
    pub row: Row,
    /// The target's kind and normal form.
    pub target_value: String,
    /// Who enforces it.
    pub channel: String,
    /// What the authority asked for.
    pub requested_action: String,
    /// The authority's notes.
    pub notes: String,
    /// The key name that filed it.
    pub submitted_by: String,
    /// The decision's number.
    pub document_number: String,
    /// The decision's date.
    pub issued_on: String,
    /// Who issued it.
    pub issuer: String,
    /// The evidence.
    pub evidence: Vec<EvidenceView>,
    /// The resolution snapshot, once routed.
    pub resolution: Option<ResolutionView>,
    /// The end of a suspension.
    pub suspended_until: Option<String>,
    /// Why it is held.
    pub findings: Vec<FindingView>,
    /// Its state changes, oldest first.
    pub history: Vec<HistoryView>,
}

impl Detail {
    /// The details of `takedown`.
    pub fn of(
        takedown: &Takedown,
        t: &Texts,
        now: DateTime<Utc>,
        day: std::time::Duration,
    ) -> Detail {
        let request = &takedown.request;
        Detail {
            row: Row::of(takedown, t, now, day),
            target_value: request.target_value.clone(),
            channel: takedown.channel.as_ref().map(code).unwrap_or_default(),
            requested_action: request
                .requested_action
                .as_ref()
                .map(code)
                .unwrap_or_default(),
            notes: request.notes.clone().unwrap_or_default(),
            submitted_by: takedown.submitted_by.clone(),
            document_number: request.legal_basis.document_number.clone(),
            issued_on: request.legal_basis.issued_on.to_string(),
            issuer: request.legal_basis.issuer.clone(),
            evidence: request.evidence.iter().map(EvidenceView::of).collect(),
            resolution: takedown.resolution.as_ref().map(ResolutionView::of),
            suspended_until: takedown.suspension.as_ref().map(|s| when(&s.ends_at)),
            findings: takedown
                .findings
                .iter()
                .map(|f| FindingView {
                    code: code(&f.code),
                    name: f.name.clone(),
                    kind: f.kind.clone(),
                })
                .collect(),
            history: takedown
                .history
                .iter()
                .map(|h| HistoryView {
                    state: t.state(h.state),
                    at: when(&h.at),
                    actor: h.actor.clone(),
                    reason: h.reason.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

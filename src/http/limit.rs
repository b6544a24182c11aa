//! Fair use at the HTTP edge: the middleware that charges each `/v1/` request to its key's
//! rate limit, answers 429 `rate_limited` over it, and adds the `RateLimit-Policy` and
//! `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-11) to every limited key's answer.
//!
//! It runs after routing and before the handler, so the [`Caller`](crate::auth::Caller)
//! extractor still decides 401 (no key, unknown, expired) and 403 (wrong role); this only
//! finds the key, leaves it in the request for the extractor, and checks its budget, which
//! costs a few atomic operations on that key's own state and never waits on Redis (see
//! [`crate::auth::limit`]). Requests without a known key, expired keys, keys without a limit
//! and the operations endpoints pass untouched. Batches and NDJSON loads cost one unit more
//! per 100 lines, charged as their body is read, so a large load puts its key into debt
//! instead of being refused half-way.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::extract::{bearer_secret, Identified};
use super::problem::ApiError;
use crate::app::AppState;
use crate::auth::key_terms::EXPIRY_WARNING_DAYS;
use crate::auth::limit::{extra_units_for_lines, Decision, KeyBudget, Limiter, RatePolicy};
use crate::auth::KeyEntry;

/// Counter of 429 answers, by key (`name#key_id`).
pub const RATE_LIMITED_TOTAL: &str = "originguard_rate_limited_total";
/// Gauge of keys within [`EXPIRY_WARNING_DAYS`] of their `not_after`, by name.
pub const KEYS_EXPIRING: &str = "originguard_keys_expiring";
/// The `RateLimit-Policy` field.
pub static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The `RateLimit` field.
pub static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The routes whose body is a batch or an NDJSON load, counted by lines. A test checks that
/// this lists every operation of the OpenAPI document with an NDJSON body.
pub const LINE_COUNTED: &[(Method, &str)] = &[
    (Method::POST, "/v1/claims/verify-batch"),
    (Method::POST, "/v1/takedowns/batch"),
    (Method::PUT, "/v1/reference/{kind}"),
];

/// Middleware: charges the request to its key's rate limit (see the module documentation).
pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(limiter) = state.limiter() else {
        return next.run(request).await;
    };
    if !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let Some(entry) = bearer_secret(request.headers())
        .ok()
        .and_then(|secret| state.keys().identify(secret))
    else {
        return next.run(request).await;
    };
    let Some((budget, policy, decision)) = charge_request(limiter, &entry) else {
        request.extensions_mut().insert(Identified(entry));
        return next.run(request).await;
    };
    if let Decision::Refused { retry_after_secs } = decision {
        let mut response = ApiError::rate_limited(retry_after_secs).into_response();
        add_fields(&mut response, policy, decision);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        return response;
    }
    if counts_lines(&request) {
        let charge = LineCharge {
            limiter: limiter.clone(),
            budget,
            policy,
            lines: 0,
            open_line: false,
        };
        request = request.map(|body| charge.wrap(body));
    }
    request.extensions_mut().insert(Identified(entry));
    let mut response = next.run(request).await;
    add_fields(&mut response, policy, decision);
    response
}

/// Charges one request to `entry`'s rate limit (the API's middleware and the console both
/// call this): `None` when the key has no limit or is expired (the caller's extractor then
/// refuses it), else its budget, policy and the decision, a refusal counted in
/// [`RATE_LIMITED_TOTAL`].
pub fn charge_request(
    limiter: &Limiter,
    entry: &KeyEntry,
) -> Option<(Arc<KeyBudget>, RatePolicy, Decision)> {
    let policy = entry.terms.policy?;
    if entry.terms.expired_at(chrono::Utc::now()) {
        return None;
    }
    let budget = entry.budget(limiter);
    let decision = limiter.check(&budget, 1, policy);
    if let Decision::Refused { .. } = decision {
        metrics::counter!(RATE_LIMITED_TOTAL, "key" => entry.label()).increment(1);
    }
    Some((budget, policy, decision))
}

/// Charges the extra units of a batch of `lines` lines (one per 100) to `entry`'s limit, as
/// the API does for its NDJSON bodies.
pub fn charge_lines(limiter: &Limiter, entry: &KeyEntry, lines: u64) {
    let (Some(policy), extra) = (entry.terms.policy, extra_units_for_lines(lines)) else {
        return;
    };
    if extra > 0 {
        limiter.charge(&entry.budget(limiter), extra, policy);
    }
}

fn add_fields(response: &mut Response, policy: RatePolicy, decision: Decision) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy.header_value()) {
        headers.insert(RATELIMIT_POLICY.clone(), value);
    }
    if let Ok(value) = HeaderValue::from_str(&decision.header_value()) {
        headers.insert(RATELIMIT.clone(), value);
    }
}

fn counts_lines(request: &Request) -> bool {
    let Some(path) = request.extensions().get::<MatchedPath>() else {
        return false;
    };
    LINE_COUNTED
        .iter()
        .any(|(method, route)| method == request.method() && *route == path.as_str())
}

/// Counts the lines of a body as it is read and charges one unit per 100 when the body is
/// dropped (read to the end, or abandoned).
struct LineCharge {
    limiter: Limiter,
    budget: Arc<KeyBudget>,
    policy: RatePolicy,
    lines: u64,
    /// Whether bytes follow the last newline seen (a last line without one).
    open_line: bool,
}

impl LineCharge {
    fn wrap(mut self, body: Body) -> Body {
        Body::from_stream(body.into_data_stream().map(move |chunk| {
            if let Ok(bytes) = &chunk {
                self.observe(bytes);
            }
            chunk
        }))
    }

    fn observe(&mut self, bytes: &[u8]) {
        let newlines = bytes.iter().filter(|b| **b == b'\n').count();
        self.lines += newlines as u64;
        if let Some(last) = bytes.last() {
            self.open_line = *last != b'\n';
        }
    }
}

impl Drop for LineCharge {
    fn drop(&mut self) {
        let lines = self.lines + u64::from(self.open_line);
        let extra = extra_units_for_lines(lines);
        if extra > 0 {
            self.limiter.charge(&self.budget, extra, self.policy);
        }
    }
}

/// The `originguard_keys_expiring` lines of `/metrics`: for each key name with a key that
/// expires within [`EXPIRY_WARNING_DAYS`] days, the seconds left until the soonest such
/// expiry. Written at scrape time from the keys in force, so a renewed or removed key drops
/// out at once.
pub fn keys_expiring_text(keys: &[KeyEntry], now: chrono::DateTime<chrono::Utc>) -> String {
    let horizon = now + chrono::Duration::days(EXPIRY_WARNING_DAYS);
    let mut soonest: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for key in keys {
        let Some(not_after) = key.terms.not_after else {
            continue;
        };
        if not_after <= now || not_after > horizon {
            continue;
        }
        let left = (not_after - now).num_seconds();
        soonest
            .entry(key.caller.name.as_str())
            .and_modify(|s| *s = (*s).min(left))
            .or_insert(left);
    }
    let mut text = format!(
        "# HELP {KEYS_EXPIRING} Seconds until a key of this name expires, for keys within {EXPIRY_WARNING_DAYS} days of their not_after.\n# TYPE {KEYS_EXPIRING} gauge\n"
    );
    for (name, left) in soonest {
        text.push_str(&format!(
            "{KEYS_EXPIRING}{{name=\"{}\"}} {left}\n",
            escape_label(name)
        ));
    }
    text
}

/// A Prometheus label value: backslash, double quote and newline escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ndjson_operation_is_counted_by_lines() {
        let doc = serde_json::to_value(crate::http::router::openapi()).unwrap();
        let mut ndjson = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation["requestBody"]["content"]
                    .get("application/x-ndjson")
                    .is_some()
                {
                    ndjson.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        ndjson.sort();
        let mut counted: Vec<_> = LINE_COUNTED
            .iter()
            .map(|(m, p)| (m.as_str().to_owned(), (*p).to_owned()))
            .collect();
        counted.sort();
        assert_eq!(ndjson, counted);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

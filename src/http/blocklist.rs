//! The operators' blocklist: `GET /v1/blocklist` (JSON delta or full list, text, RPZ zone),
//! `POST /v1/blocklist/acks` and `GET /v1/blocklist/compliance`.
//!
//! Full answers are streamed page by page from a copy of the list taken at one version, so
//! their size in memory does not grow with the list. A delta is answered at the newest
//! version whose checksum is known (the workers compute it after each change), so it never
//! waits for a pass over the whole list.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::JsonBodyProblems;
use super::extract::{allow, ApiJson, ApiQuery};
use super::problem::{ApiError, FieldProblem, Problem, Text};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::store::blocklist as store;
use crate::store::Store;
use crate::takedown::blocklist::{delta, rpz_header, rpz_records, Checksum, Entry};

/// The blocklist routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(blocklist).layer(allow(&[Role::Operator, Role::Authority])))
        .routes(routes!(acknowledge).layer(allow(&[Role::Operator])))
        .routes(routes!(compliance).layer(allow(&[Role::Authority])))
}

/// Query of `GET /v1/blocklist`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlocklistQuery {
    /// The version the caller has; without it (or when older than the retained log) the
    /// answer is the full list. Newer than the current version is a 422.
    #[param(value_type = Option<u64>, example = 41)]
    pub since: Option<String>,
    /// `json` (default), `text` or `rpz`; without it, taken from `Accept` (`text/plain`,
    /// `text/dns`).
    #[param(value_type = Option<Format>, inline)]
    pub format: Option<String>,
}

/// The JSON answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlocklistAnswer {
    /// The version this answer describes.
    pub version: u64,
    /// The `since` asked for (null for a full answer without `since`).
    pub since: Option<u64>,
    /// Whether this is the whole list.
    pub full: bool,
    /// Entries added (for a full answer: every active entry).
    pub additions: Vec<Entry>,
    /// Entries removed.
    pub removals: Vec<Entry>,
    /// SHA-256 (hex) of the canonical full list at `version`: every value sorted byte-wise,
    /// each followed by `\n`.
    pub checksum: String,
}

/// The form of a blocklist answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(rename_all = "lowercase")]
enum Format {
    Json,
    Text,
    Rpz,
}

fn format_of(query: Option<&str>, headers: &HeaderMap) -> Result<Format, ApiError> {
    match query {
        Some("json") => Ok(Format::Json),
        Some("text") => Ok(Format::Text),
        Some("rpz") => Ok(Format::Rpz),
        Some(_) => Err(bad(
            "format",
            "format is json, text or rpz.",
            "format là json, text hoặc rpz.",
        )),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Ok(if accept.contains("text/dns") {
                Format::Rpz
            } else if accept.contains("text/plain") {
                Format::Text
            } else {
                Format::Json
            })
        }
    }
}

fn bad(field: &str, en: &str, vi: &str) -> ApiError {
    ApiError::invalid(vec![FieldProblem {
        field: field.into(),
        code: "invalid_value".into(),
        message: Text::new(en.to_owned(), vi.to_owned()),
    }])
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn not_modified(headers: &HeaderMap, version: u64) -> bool {
    let tag = format!("\"{version}\"");
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

/// The blocklist: a delta since a version, or the full list, as JSON, text or an RPZ zone.
#[utoipa::path(get, path = "/v1/blocklist", tag = "blocklist", params(BlocklistQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the list the caller has (or `*`): 304 while it is current", example = "\"42\"")),
    responses(
        (status = 200, description = "The list or delta, as `format` or `Accept` asks",
            headers(("ETag" = String, description = "The version, quoted")),
            content(
                (BlocklistAnswer = "application/json"),
                (String = "text/plain", example = json!("# version 42\n198.51.100.7\n203.0.113.0/24\nfake-shoes.example.com\n")),
                (String = "text/dns", example = json!("$ORIGIN rpz.originguard.\n$TTL 60\n@ IN SOA localhost. hostmaster.localhost. 42 3600 600 86400 60\n@ IN NS localhost.\n; originguard blocklist version 42\nfake-shoes.example.com CNAME .\n*.fake-shoes.example.com CNAME .\n32.7.100.51.198.rpz-ip CNAME .\n")),
            )),
        (status = 304, description = "`If-None-Match` names the current version",
            headers(("ETag" = String, description = "The version, quoted"))),
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an operator, authority or admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad since or format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn blocklist(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<BlocklistQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format.as_deref(), &headers)?;
    let since = match query.since.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            bad(
                "since",
                "since is a version number.",
                "since là số phiên bản.",
            )
        })?),
    };
    let store_ref = state.store();
    let current = store::version(store_ref).await?;
    if since.is_some_and(|s| s > current) {
        return Err(bad(
            "since",
            "since is newer than the current version.",
            "since mới hơn phiên bản hiện tại.",
        ));
    }
    if not_modified(&headers, current) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag(current))]).into_response());
    }
    if format == Format::Json {
        if let Some(since) = since {
            if let Some((version, body)) = delta_json(store_ref, state.deltas(), since).await? {
                return Ok((
                    [
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        ),
                        (header::ETAG, etag(version)),
                    ],
                    body,
                )
                    .into_response());
            }
        }
    }
    let (version, snapshot) = store::snapshot(store_ref).await?;
    let (content_type, head) = match format {
        Format::Json => (
            "application/json",
            format!(
                "{{\"version\":{version},\"since\":{},\"full\":true,\"additions\":[",
                since
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "null".into())
            ),
        ),
        Format::Text => (
            "text/plain; charset=utf-8",
            format!("# version {version}\n"),
        ),
        Format::Rpz => ("text/dns", rpz_header(version)),
    };
    let body = full_stream(store_ref.clone(), snapshot, format, head);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag(version)),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Rendered delta answers by `(since, version)`. A delta between two versions never changes
/// (the log only grows at its end), so every poller asking from the same version gets the same
/// bytes; at most [`DELTA_CACHE_ENTRIES`] are kept.
#[derive(Debug, Default)]
pub struct DeltaCache(std::sync::Mutex<std::collections::HashMap<(u64, u64), Bytes>>);

/// Most deltas kept rendered.
pub const DELTA_CACHE_ENTRIES: usize = 256;

impl DeltaCache {
    fn get(&self, key: (u64, u64)) -> Option<Bytes> {
        self.0.lock().ok()?.get(&key).cloned()
    }

    fn put(&self, key: (u64, u64), body: Bytes) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= DELTA_CACHE_ENTRIES {
                map.clear();
            }
            map.insert(key, body);
        }
    }
}

/// The JSON delta from `since` and its version, rendered once per `(since, version)`.
async fn delta_json(
    store_ref: &Store,
    cache: &DeltaCache,
    since: u64,
) -> redis::RedisResult<Option<(u64, Bytes)>> {
    if let (Some(version), Some(_)) = cached_checksum(store_ref).await? {
        // A cached delta stands only while the log still reaches back to `since`.
        if let Some(body) = cache.get((since, version)) {
            if store::log_reaches(store_ref, since).await? {
                return Ok(Some((version, body)));
            }
        }
    }
    let Some(answer) = delta_answer(store_ref, since).await? else {
        return Ok(None);
    };
    let body = Bytes::from(serde_json::to_vec(&answer).unwrap_or_default());
    cache.put((since, answer.version), body.clone());
    Ok(Some((answer.version, body)))
}

/// A delta from `since`, at the newest version whose checksum is known (or computed now);
/// `None` when the log no longer reaches back to `since`.
async fn delta_answer(
    store_ref: &Store,
    since: u64,
) -> redis::RedisResult<Option<BlocklistAnswer>> {
    let (cached_version, cached) = cached_checksum(store_ref).await?;
    let (version, checksum) = match (cached_version, cached) {
        (Some(v), Some(sum)) if v >= since => (v, sum),
        _ => {
            let (version, snapshot) = store::snapshot(store_ref).await?;
            let sum = store::checksum(store_ref, version, &snapshot).await?;
            (version, sum)
        }
    };
    let Some(changes) = store::changes(store_ref, since, version).await? else {
        return Ok(None);
    };
    let delta = delta(&changes);
    Ok(Some(BlocklistAnswer {
        version,
        since: Some(since),
        full: false,
        additions: delta.additions,
        removals: delta.removals,
        checksum,
    }))
}

async fn cached_checksum(store_ref: &Store) -> redis::RedisResult<(Option<u64>, Option<String>)> {
    let mut conn = store_ref.conn();
    redis::cmd("HMGET")
        .arg(crate::store::keys::blocklist_checksum())
        .arg("version")
        .arg("sha256")
        .query_async(&mut conn)
        .await
}

struct FullState {
    store: Store,
    snapshot: String,
    format: Format,
    after: Option<String>,
    checksum: Checksum,
    head: Option<String>,
    first: bool,
    done: bool,
}

/// The full list, page by page, closing with the checksum for JSON.
fn full_stream(
    store: Store,
    snapshot: String,
    format: Format,
    head: String,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let state = FullState {
        store,
        snapshot,
        format,
        after: None,
        checksum: Checksum::default(),
        head: Some(head),
        first: true,
        done: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut out = s.head.take().unwrap_or_default();
        let members = match store::page(&s.store, &s.snapshot, s.after.as_deref()).await {
            Ok(members) => members,
            Err(error) => {
                tracing::error!(%error, "reading the blocklist failed mid-answer");
                s.done = true;
                return Some((Err(std::io::Error::other(error)), s));
            }
        };
        let last_page = members.len() < store::PAGE;
        s.after = members.last().cloned();
        let values: Vec<(&str, bool)> = members.iter().map(|m| store::parse_member(m)).collect();
        for (value, _) in &values {
            s.checksum.push(value);
        }
        match s.format {
            Format::Text => {
                for (value, _) in &values {
                    out.push_str(value);
                    out.push('\n');
                }
            }
            Format::Rpz => {
                for (value, subdomains) in &values {
                    rpz_records(value, store::kind_of(value), *subdomains, &mut out);
                }
            }
            Format::Json => {
                let names: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
                let entries = match store::entries(&s.store, &names).await {
                    Ok(entries) => entries,
                    Err(error) => {
                        tracing::error!(%error, "reading blocklist entries failed mid-answer");
                        s.done = true;
                        return Some((Err(std::io::Error::other(error)), s));
                    }
                };
                for entry in entries {
                    if !s.first {
                        out.push(',');
                    }
                    s.first = false;
                    out.push_str(&serde_json::to_string(&entry).unwrap_or_default());
                }
            }
        }
        if last_page {
            s.done = true;
            if s.format == Format::Json {
                let sum = std::mem::take(&mut s.checksum).finish();
                out.push_str(&format!("],\"removals\":[],\"checksum\":\"{sum}\"}}"));
            }
        }
        Some((Ok(Bytes::from(out)), s))
    })
}

/// `POST /v1/blocklist/acks` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": 42}))]
pub struct AckInput {
    /// The version the operator applied.
    pub version: u64,
    /// The operator acknowledged for: admin keys only (an operator key always acknowledges
    /// for its own operator, and naming another is refused).
    #[schema(example = "viettel", pattern = "^[a-z0-9_-]{1,64}$")]
    pub operator: Option<String>,
}

/// An acknowledgement as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct AckAnswer {
    /// The operator (from the key, never from the body).
    pub operator: String,
    /// The version applied.
    pub version: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// An operator reports the version it applied (admin may record it for a named operator,
/// audited under the admin key's name).
#[utoipa::path(post, path = "/v1/blocklist/acks", tag = "blocklist", request_body = AckInput,
    responses(
        (status = 200, description = "Recorded", body = AckAnswer),
        JsonBodyProblems,
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an operator key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A version that does not exist yet, or a missing or foreign operator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AckInput>,
) -> Result<Json<AckAnswer>, ApiError> {
    // An operator's key acknowledges for its own operator only; admin names the operator.
    let named = input.operator.as_deref();
    let operator =
        match (caller.role, caller.operator.as_deref(), named) {
            (Role::Operator, Some(own), None) => own.to_owned(),
            (Role::Operator, Some(own), Some(other)) if other == own => own.to_owned(),
            (Role::Operator, Some(_), Some(_)) => {
                return Err(bad(
                    "operator",
                    "An operator key acknowledges for its own operator only.",
                    "Khóa của nhà mạng chỉ xác nhận cho chính nhà mạng đó.",
                ))
            }
            (Role::Admin, _, Some(operator)) if is_operator_id(operator) => operator.to_owned(),
            (Role::Admin, _, _) => return Err(bad(
                "operator",
                "Admin names the operator acknowledged for: 1 to 64 of a-z, 0-9, - and _.",
                "Quản trị viên cần nêu nhà mạng được xác nhận: 1 đến 64 ký tự a-z, 0-9, - và _.",
            )),
            _ => return Err(ApiError::forbidden()),
        };
    let current = store::version(state.store()).await?;
    if input.version > current {
        return Err(bad(
            "version",
            "This version does not exist yet.",
            "Phiên bản này chưa tồn tại.",
        ));
    }
    let ack = store::ack(state.store(), caller.actor(), &operator, input.version).await?;
    Ok(Json(AckAnswer {
        operator,
        version: ack.version,
        at: ack.at,
    }))
}

/// Whether `text` can name an operator: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
fn is_operator_id(text: &str) -> bool {
    crate::reference::platform::is_platform_id(text)
}

/// One operator's standing.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorCompliance {
    /// The operator.
    pub operator: String,
    /// The version it last acknowledged (null: never).
    pub acked_version: Option<u64>,
    /// When.
    pub acked_at: Option<DateTime<Utc>>,
    /// Versions between its acknowledgement and the current one.
    pub versions_behind: u64,
    /// Seconds since the first change it has not applied was made (0 when current).
    pub seconds_behind: i64,
    /// Additions older than the enforcement deadline that it has not applied.
    pub overdue_entries: u64,
}

/// Compliance of every operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceAnswer {
    /// The current version.
    pub version: u64,
    /// The enforcement deadline, in seconds.
    pub deadline_seconds: u64,
    /// Per operator: those in the keys file, and any that acknowledged before.
    pub operators: Vec<OperatorCompliance>,
}

/// Most log records read per operator for the compliance figures.
const COMPLIANCE_SCAN: usize = 100_000;

/// Per operator: acknowledged version, versions and seconds behind, overdue additions.
#[utoipa::path(get, path = "/v1/blocklist/compliance", tag = "blocklist",
    responses(
        (status = 200, description = "Per operator", body = ComplianceAnswer),
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority or admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn compliance(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ComplianceAnswer>, ApiError> {
    let store_ref = state.store();
    let version = store::version(store_ref).await?;
    let deadline = state.settings().takedowns.operator_deadline;
    let mut operators: Vec<String> = state
        .keys()
        .snapshot()
        .iter()
        .filter(|k| k.caller.role == Role::Operator)
        .filter_map(|k| k.caller.operator.clone())
        .collect();
    let acks = store::acks(store_ref).await?;
    operators.extend(acks.iter().map(|(op, _)| op.clone()));
    operators.sort();
    operators.dedup();
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(deadline).unwrap_or(chrono::Duration::days(1));
    let mut out = Vec::with_capacity(operators.len());
    for operator in operators {
        let ack = acks.iter().find(|(op, _)| *op == operator).map(|(_, a)| a);
        let acked = ack.map(|a| a.version).unwrap_or(0);
        let pending = if acked < version {
            store::additions_after(store_ref, acked, COMPLIANCE_SCAN).await?
        } else {
            Vec::new()
        };
        let seconds_behind = pending
            .first()
            .map(|(_, at, _)| (now - *at).num_seconds().max(0))
            .unwrap_or(0);
        let overdue_entries = pending
            .iter()
            .filter(|(_, at, added)| *added && *at <= cutoff)
            .count() as u64;
        out.push(OperatorCompliance {
            operator,
            acked_version: ack.map(|a| a.version),
            acked_at: ack.map(|a| a.at),
            versions_behind: version.saturating_sub(acked),
            seconds_behind,
            overdue_entries,
        });
    }
    Ok(Json(ComplianceAnswer {
        version,
        deadline_seconds: deadline.as_secs(),
        operators: out,
    }))
}

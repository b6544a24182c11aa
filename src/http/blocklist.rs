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
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::service::blocklist as service;
use crate::store::blocklist as store;
use crate::store::Store;
use crate::takedown::blocklist::{rpz_records, BlocklistAnswer, Checksum};
use crate::takedown::compliance::ComplianceAnswer;

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
    /// The version the caller has: JSON and text answer the delta since it (text as `-value`
    /// / `+value` lines after `# version N since M`); without it, or when it is older than the
    /// retained log, the answer is the full list. RPZ is always the full zone. Newer than the
    /// current version is a 422.
    #[param(value_type = Option<u64>, example = 41)]
    pub since: Option<String>,
    /// `json` (default), `text` or `rpz`; without it, taken from `Accept` (`text/plain`,
    /// `text/dns`).
    #[param(inline)]
    pub format: Option<Format>,
}

/// The form of a blocklist answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The JSON answer: a delta or the full list, with the checksum.
    Json,
    /// One value a line after a `# version N` line.
    Text,
    /// A complete RPZ zone file.
    Rpz,
}

fn format_of(query: Option<Format>, headers: &HeaderMap) -> Format {
    match query {
        Some(format) => format,
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("text/dns") {
                Format::Rpz
            } else if accept.contains("text/plain") {
                Format::Text
            } else {
                Format::Json
            }
        }
    }
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether `If-None-Match` names `version`: `*`, or its tag, strong (`"N"`) or weak
/// (`W/"N"`), as RFC 9110's weak comparison for `If-None-Match` says.
fn not_modified(headers: &HeaderMap, version: u64) -> bool {
    let tag = format!("\"{version}\"");
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag
            })
        })
}

/// Every answer varies with `Accept` (it picks the format when `format` is absent).
fn vary(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// The text delta: `# version N since M`, then `-value` lines, then `+value` lines, each
/// sorted byte-wise.
fn delta_text(answer: &BlocklistAnswer, since: u64) -> String {
    let mut out = format!("# version {} since {since}\n", answer.version);
    for entry in &answer.removals {
        out.push('-');
        out.push_str(&entry.value);
        out.push('\n');
    }
    for entry in &answer.additions {
        out.push('+');
        out.push_str(&entry.value);
        out.push('\n');
    }
    out
}

/// The blocklist: a delta since a version, or the full list, as JSON, text or an RPZ zone.
#[utoipa::path(get, path = "/v1/blocklist", tag = "blocklist", params(BlocklistQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of the list the caller has, strong or weak (`W/\"42\"`), or `*`: 304 while it is current", example = "\"42\"")),
    responses(
        (status = 200, description = "The list or delta, as `format` or `Accept` asks",
            headers(("ETag" = String, description = "The version, quoted"),
                ("Vary" = String, description = "`accept`: the format may come from `Accept`")),
            content(
                (BlocklistAnswer = "application/json"),
                (String = "text/plain", example = json!("# version 42 since 40\n-198.51.100.7\n+203.0.113.0/24\n+fake-shoes.example.com\n")),
                (String = "text/dns", example = json!("$ORIGIN rpz.originguard.\n$TTL 60\n@ IN SOA localhost. hostmaster.localhost. 42 3600 600 86400 60\n@ IN NS localhost.\n; originguard blocklist version 42: the full zone (an RPZ answer is never a delta)\n; canary, always blocked: NXDOMAIN for canary.rpz-test.originguard. proves a resolver enforces this zone\ncanary.rpz-test.originguard CNAME .\nfake-shoes.example.com CNAME .\n*.fake-shoes.example.com CNAME .\n32.7.100.51.198.rpz-ip CNAME .\n")),
            )),
        (status = 304, description = "`If-None-Match` names the current version",
            headers(("ETag" = String, description = "The version, quoted"),
                ("Vary" = String, description = "`accept`"))),
        (status = 422, description = "Bad since or format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn blocklist(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: ApiQuery<BlocklistQuery>,
) -> Result<Response, ApiError> {
    list(state, caller, headers, query).await.map(vary)
}

async fn list(
    state: AppState,
    _caller: Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<BlocklistQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format, &headers);
    let since = match query.since.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::invalid_value(
                "since",
                "since is a version number.",
                "since là số phiên bản.",
            )
        })?),
    };
    let store_ref = state.store();
    let current = store::version(store_ref).await?;
    if since.is_some_and(|s| s > current) {
        return Err(ApiError::invalid_value(
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
            if let Some((version, body)) =
                service::delta_json(store_ref, state.deltas(), since).await?
            {
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
    if format == Format::Text {
        if let Some(since) = since {
            if let Some(answer) = service::delta_answer(store_ref, since).await? {
                return Ok((
                    [
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("text/plain; charset=utf-8"),
                        ),
                        (header::ETAG, etag(answer.version)),
                    ],
                    delta_text(&answer, since),
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
        Format::Rpz => ("text/dns", state.settings().rpz_zone.header_text(version)),
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
        (status = 200, description = "The acknowledgement as recorded (and audited)", body = AckAnswer),
        JsonBodyProblems,
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
                return Err(ApiError::invalid_value(
                    "operator",
                    "An operator key acknowledges for its own operator only.",
                    "Khóa của nhà mạng chỉ xác nhận cho chính nhà mạng đó.",
                ))
            }
            (Role::Admin, _, Some(operator)) if is_operator_id(operator) => operator.to_owned(),
            (Role::Admin, _, _) => return Err(ApiError::invalid_value(
                "operator",
                "Admin names the operator acknowledged for: 1 to 64 of a-z, 0-9, - and _.",
                "Quản trị viên cần nêu nhà mạng được xác nhận: 1 đến 64 ký tự a-z, 0-9, - và _.",
            )),
            _ => return Err(ApiError::forbidden()),
        };
    let current = store::version(state.store()).await?;
    if input.version > current {
        return Err(ApiError::invalid_value(
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

/// Per operator: acknowledged version, versions and seconds behind, overdue additions.
#[utoipa::path(get, path = "/v1/blocklist/compliance", tag = "blocklist",
    responses(
        (status = 200, description = "Each operator's acknowledged version and how far behind it is", body = ComplianceAnswer),
    ),
    security(("bearer" = [])))]
pub async fn compliance(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ComplianceAnswer>, ApiError> {
    let keys = state.keys().snapshot();
    let from_keys = keys
        .iter()
        .filter(|k| k.caller.role == Role::Operator)
        .filter_map(|k| k.caller.operator.as_deref());
    let deadline = state.settings().takedowns.operator_deadline;
    Ok(Json(
        service::compliance(state.store(), from_keys, deadline, Utc::now()).await?,
    ))
}

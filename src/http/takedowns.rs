//! Takedown requests (submit: authority, admin): `POST /v1/takedowns` (+ `batch`), `GET` one
//! and the list, and `withdraw`. An authority sees only its agency's requests; others are 404.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::{BadPath, JsonBodyProblems};
use super::extract::{allow, ApiJson, ApiQuery, IdPaging, SizedJson};
use super::problem::{ApiError, FieldProblem, Problem, Text};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::service::takedowns::{self as workflow, StepError};
use crate::store::takedowns::{self as store, index_for};
use crate::takedown::request::FieldError;
use crate::takedown::schema::Reason;
use crate::takedown::{is_id, Channel, State as TdState, Takedown, TakedownInput};

/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;
/// Requests of one batch stored at the same time. They wait in the appender's queue together,
/// so that one group (up to `store::change::MAX_GROUP`, 129) can carry most of them: with 32,
/// groups held about 33 changes and Redis waited between them; 128 gave 18–20 % more
/// submissions per second (BENCHMARKS.md, "Beside the peers, third pass").
const BATCH_CONCURRENCY: usize = 128;

/// The takedown routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit, list).layer(allow(&[Role::Authority])))
        .routes(routes!(submit_batch).layer(allow(&[Role::Authority])))
        .routes(routes!(get_one).layer(allow(&[Role::Authority])))
        .routes(routes!(withdraw).layer(allow(&[Role::Authority])))
        .routes(routes!(confirm).layer(allow(&[Role::Authority])))
}

impl From<FieldError> for FieldProblem {
    fn from(error: FieldError) -> FieldProblem {
        FieldProblem::new(error.field, error.code, error.message)
    }
}

impl From<StepError> for ApiError {
    fn from(error: StepError) -> ApiError {
        match error {
            StepError::NotFound => ApiError::not_found(),
            StepError::Conflict { state } => ApiError::conflict(Text::new(
                format!("Not allowed while the request is {}.", state.as_str()),
                format!(
                    "Không được phép khi yêu cầu đang ở trạng thái {}.",
                    state.as_str()
                ),
            )),
            StepError::IdempotencyMismatch => ApiError::conflict(Text::fixed(
                "This Idempotency-Key was used with a different body.",
                "Idempotency-Key này đã được dùng với nội dung khác.",
            )),
            StepError::Invalid(errors) => {
                ApiError::invalid(errors.into_iter().map(FieldProblem::from).collect())
            }
            StepError::Busy => ApiError::conflict(Text::fixed(
                "The blocklist entry kept changing; try again.",
                "Mục trong danh sách chặn liên tục thay đổi; hãy thử lại.",
            )),
            StepError::Store(error) => ApiError::from(error),
        }
    }
}

/// Parses a takedown body: 400 when it is not JSON, 422 when it does not fit the shape.
fn parse_body(
    bytes: &[u8],
    keep_value: bool,
) -> Result<(Option<serde_json::Value>, TakedownInput), ApiError> {
    read_input(bytes, keep_value).map_err(|error| match error {
        InputError::NotJson(e) => super::extract::not_json(&e.to_string()),
        InputError::Shape(e) => {
            ApiError::invalid(vec![super::extract::shape_problem(&e.to_string(), "body")])
        }
    })
}

/// Why a body did not read as a takedown.
enum InputError {
    /// It is not JSON at all.
    NotJson(serde_json::Error),
    /// It is JSON of the wrong shape.
    Shape(serde_json::Error),
}

/// Reads a takedown from its JSON text. The JSON value is kept only when `keep_value` (an
/// idempotency digest is made of it); otherwise the text is read straight into the typed
/// input, and a wrong type met early does not hide a body that is not JSON further on (that
/// is checked, only on the error path).
fn read_input(
    bytes: &[u8],
    keep_value: bool,
) -> Result<(Option<serde_json::Value>, TakedownInput), InputError> {
    if keep_value {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(InputError::NotJson)?;
        // Read from the parsed value in place (no copy of it).
        let input = TakedownInput::deserialize(&value).map_err(InputError::Shape)?;
        return Ok((Some(value), input));
    }
    match serde_json::from_slice(bytes) {
        Ok(input) => Ok((None, input)),
        Err(error) => Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Err(syntax) => InputError::NotJson(syntax),
                Ok(_) => InputError::Shape(error),
            },
        ),
    }
}

/// The request's `Idempotency-Key`, checked and read from the headers in place (the `HeaderMap`
/// extractor copies every header of the request).
#[derive(Debug)]
pub struct IdempotencyKey(Option<String>);

impl IdempotencyKey {
    /// The key `headers` carry, checked as a request's is (for callers of the handlers that
    /// are not a request, such as the console).
    pub fn from_headers(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
        let Some(value) = headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        match value.to_str() {
            Ok(key) if !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY => {
                Ok(IdempotencyKey(Some(key.to_owned())))
            }
            _ => Err(ApiError::invalid_value(
                "Idempotency-Key",
                format!("1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters."),
                format!("Từ 1 đến {MAX_IDEMPOTENCY_KEY} ký tự ASCII hiển thị được."),
            )),
        }
    }

    /// No key.
    pub fn none() -> IdempotencyKey {
        IdempotencyKey(None)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        IdempotencyKey::from_headers(&parts.headers)
    }
}

/// Files a takedown request. Answers 202 once it and its queue entry are in Redis; a worker
/// then resolves and routes it. With `Idempotency-Key`, a repeat with the same body answers
/// the first result; another body is 409.
#[utoipa::path(post, path = "/v1/takedowns", tag = "takedowns", request_body = TakedownInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body return the first answer", min_length = 1, max_length = 200, pattern = r"^[\t\x20-\x7E]+$", example = "qltt-hn-2026-11-02-0001")),
    responses(
        (status = 202, description = "Accepted and queued", body = Takedown),
        (status = 400, description = "The body is not well-formed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the service accepts (`--body-limit`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad fields (or a bad Idempotency-Key), one entry each", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (value, input) = parse_body(&body, key.is_some())?;
    let idem = key
        .zip(value)
        .map(|(k, v)| workflow::idempotency(&caller, &k, &v));
    let (takedown, _) = workflow::submit(state.store(), &caller, &input, idem).await?;
    // A new request with one piece of evidence is about 1 KB.
    let answer = SizedJson {
        value: takedown,
        capacity: 2048,
    };
    Ok((StatusCode::ACCEPTED, answer).into_response())
}

/// One answer line of a batch: the line number with the accepted request, or with why the
/// line was rejected.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchAnswer {
    /// An accepted line.
    Accepted(AcceptedLine),
    /// A rejected line.
    Rejected(RejectedTakedownLine),
}

/// An accepted batch line.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedLine {
    /// The line number, from 1.
    #[schema(minimum = 1)]
    pub line: usize,
    /// The accepted request's id.
    pub id: String,
    /// Its state (`received`).
    pub state: TdState,
}

/// A rejected batch line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedTakedownLine {
    /// The line number, from 1.
    #[schema(minimum = 1)]
    pub line: usize,
    /// Why the line was rejected.
    pub errors: Vec<BatchError>,
}

/// One problem of a rejected line.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchError {
    /// The field (`body` for the line as a whole).
    pub field: String,
    /// Stable machine code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// Files one request a line (NDJSON, up to 10,000 lines); each line is accepted or rejected
/// on its own. Answers NDJSON in input order: `line` with `id` or `errors`. With
/// `Idempotency-Key`, sending the same batch again returns the same ids; a line that differs
/// from the first sending is that line's `conflict`.
#[utoipa::path(post, path = "/v1/takedowns/batch", tag = "takedowns",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One takedown request (as in `POST /v1/takedowns`) a line",
        example = json!("{\"target\":\"https://giay-gia.vn/p/1\",\"category\":\"counterfeit\",\"legal_basis\":{\"document_number\":\"123/QĐ-QLTT\",\"issued_on\":\"2026-11-02\",\"issuer\":\"Cục Quản lý thị trường Hà Nội\"},\"evidence\":[{\"url\":\"https://giay-gia.vn/p/1\",\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"captured_at\":\"2026-11-01T08:00:00Z\"}]}\n{\"target\":\"203.0.113.0/24\",\"category\":\"smuggled\",\"legal_basis\":{\"document_number\":\"124/QĐ-QLTT\",\"issued_on\":\"2026-11-02\",\"issuer\":\"Cục Quản lý thị trường Hà Nội\"},\"evidence\":[{\"url\":\"http://203.0.113.7/shop\",\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\",\"captured_at\":\"2026-11-01T09:30:00Z\"}],\"requested_action\":\"block\"}\n")),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a resent batch safe: each line keeps the id it got", min_length = 1, max_length = 200, pattern = r"^[\t\x20-\x7E]+$", example = "qltt-hn-batch-2026-11-02")),
    responses(
        (status = 200, description = "One answer line per input line", body = BatchAnswer, content_type = "application/x-ndjson"),
        (status = 400, description = "The body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10,000 lines or 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad Idempotency-Key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn submit_batch(
    State(state): State<AppState>,
    caller: Caller,
    lang: Lang,
    IdempotencyKey(key): IdempotencyKey,
    body: Body,
) -> Result<Response, ApiError> {
    let lines = super::batch::read_lines(body).await?;
    let shared = Arc::new((state, caller, key));
    let answers = stream::iter(lines)
        .map(move |line| {
            let shared = Arc::clone(&shared);
            async move {
                let (state, caller, key) = &*shared;
                batch_line(state, caller, key.as_deref(), line, lang).await
            }
        })
        .buffered(BATCH_CONCURRENCY);
    Ok(super::batch::ndjson_response(answers))
}

/// One line of a batch; with the batch's `Idempotency-Key`, the line's own key is that key
/// and its line number, so sending the same batch again files nothing twice.
async fn batch_line(
    state: &AppState,
    caller: &Caller,
    key: Option<&str>,
    line: crate::ndjson::Line,
    lang: Lang,
) -> BatchAnswer {
    let rejected = |errors: Vec<BatchError>| {
        BatchAnswer::Rejected(RejectedTakedownLine {
            line: line.number,
            errors,
        })
    };
    let whole = |code: &str, message: String| {
        vec![BatchError {
            field: "body".into(),
            code: code.into(),
            message,
        }]
    };
    let text = match &line.text {
        Ok(text) => text,
        Err(error) => return rejected(whole(error.code(), error.message(lang).to_owned())),
    };
    let (value, input) = match read_input(text.as_bytes(), key.is_some()) {
        Ok(read) => read,
        Err(InputError::NotJson(e)) => return rejected(whole("malformed_json", e.to_string())),
        // Worded as when read from a value: without the position.
        Err(InputError::Shape(e)) => {
            let text = e.to_string();
            let message = super::extract::without_position(&text).to_owned();
            return rejected(whole("invalid_value", message));
        }
    };
    let idem = key
        .zip(value)
        .map(|(k, v)| workflow::idempotency(caller, &format!("{k}#{}", line.number), &v));
    match workflow::submit(state.store(), caller, &input, idem).await {
        Ok((takedown, _)) => BatchAnswer::Accepted(AcceptedLine {
            line: line.number,
            id: takedown.id,
            state: takedown.state,
        }),
        // The same problem a single submission gets, told as the line's errors.
        Err(error) => rejected(line_errors(ApiError::from(error), lang)),
    }
}

/// A problem as a batch line's errors: its field problems, or the problem itself for the
/// line as a whole (`body`), with its code and its detail (or title).
fn line_errors(problem: ApiError, lang: Lang) -> Vec<BatchError> {
    if problem.errors.is_empty() {
        let text = problem.detail.as_ref().unwrap_or(&problem.title);
        return vec![BatchError {
            field: "body".into(),
            code: problem.code.into(),
            message: text.get(lang).to_owned(),
        }];
    }
    problem
        .errors
        .iter()
        .map(|e| BatchError {
            field: e.field.clone(),
            code: e.code.clone(),
            message: e.message.get(lang).to_owned(),
        })
        .collect()
}

/// Filters and paging of the takedown listing (newest first).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only requests in this state.
    #[param(inline)]
    pub state: Option<TdState>,
    /// Only requests routed to this channel.
    #[param(inline)]
    pub channel: Option<Channel>,
    /// Only requests for this target (as given, or its canonical form).
    #[param(example = "giay-gia.vn")]
    pub target: Option<String>,
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakedownPage {
    /// The requests of this page, newest first.
    pub takedowns: Vec<Takedown>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// Lists requests, newest first: an authority its agency's, admin all.
#[utoipa::path(get, path = "/v1/takedowns", tag = "takedowns", operation_id = "list_takedowns", params(ListQuery, IdPaging),
    responses(
        (status = 200, description = "A page of requests", body = TakedownPage),
        (status = 422, description = "Bad filter or paging", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    paging: IdPaging,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<TakedownPage>, ApiError> {
    let (wanted_state, wanted_channel) = (query.state, query.channel);
    let wanted_target = query.target.as_deref().map(|t| {
        let mut ignored = Vec::new();
        crate::takedown::request::parse_target(t, &mut ignored)
            .map(|(_, value, _)| value)
            .unwrap_or_else(|| t.trim().to_owned())
    });
    let index = if caller.role == Role::Admin {
        index_for(None)
    } else {
        match caller.agency.as_deref() {
            Some(agency) => index_for(Some(agency)),
            None => {
                return Ok(Json(TakedownPage {
                    takedowns: Vec::new(),
                    next_cursor: None,
                }))
            }
        }
    };
    let (takedowns, next_cursor) = store::list(
        state.store(),
        &index,
        paging.cursor.as_deref(),
        paging.limit,
        true,
        |t| {
            wanted_state.is_none_or(|s| t.state == s)
                && wanted_channel.is_none_or(|c| t.channel == Some(c))
                && wanted_target
                    .as_deref()
                    .is_none_or(|w| t.request.target_value == w || t.request.target == w)
                && workflow::visible(&caller, t)
        },
    )
    .await?;
    Ok(Json(TakedownPage {
        takedowns,
        next_cursor,
    }))
}

/// One request with its state, channel, resolution snapshot and history.
#[utoipa::path(get, path = "/v1/takedowns/{id}", tag = "takedowns",
    params(("id" = String, Path, description = "The request's id: `td_` and 24 hexadecimal digits (any other shape is a 404)", pattern = "^td_[0-9A-Fa-f]{24}$", example = "td_019a3c5e7f80a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The request with its state, channel, resolution and history", body = Takedown),
        BadPath,
        (status = 404, description = "No such request, or another agency's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Takedown>, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::not_found());
    }
    store::load(state.store(), &id)
        .await?
        .filter(|t| workflow::visible(&caller, t))
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// The body of a withdrawal: why the authority withdraws its request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Lifted by court order 45/2026/QĐ-TA."}))]
pub struct WithdrawInput {
    /// Why the authority withdraws: shown in the history and the audit log.
    // Optional to the parser: a missing reason is the handler's 422 naming `reason`.
    #[schema(value_type = Reason)]
    pub reason: Option<String>,
}

/// Withdraws a request: enforcement is lifted (a block comes off the operators' list; a
/// suspended domain gets a reinstatement task for the registry).
#[utoipa::path(post, path = "/v1/takedowns/{id}/withdraw", tag = "takedowns", request_body = WithdrawInput,
    params(("id" = String, Path, description = "The request's id: `td_` and 24 hexadecimal digits (any other shape is a 404)", pattern = "^td_[0-9A-Fa-f]{24}$", example = "td_019a3c5e7f80a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The request in its new state", body = Takedown),
        JsonBodyProblems,
        (status = 404, description = "No such request, or another agency's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The request is in a final state and cannot be withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reason is missing, empty or too long", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> Result<Json<Takedown>, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::not_found());
    }
    Ok(Json(
        workflow::withdraw(
            state.store(),
            &state.settings().takedowns,
            &caller,
            &id,
            input.reason.as_deref(),
        )
        .await?,
    ))
}

/// Carries a request held in `needs_review` (its target is a platform's own domain, a public
/// suffix or shared infrastructure) on to its own channel: the registry for a `.vn` domain,
/// else the operators' blocklist. Needs `accept_collateral: true` and a reason; both are
/// audited with the findings accepted.
#[utoipa::path(post, path = "/v1/takedowns/{id}/confirm", tag = "takedowns", request_body = workflow::ConfirmInput,
    params(("id" = String, Path, description = "The request's id: `td_` and 24 hexadecimal digits (any other shape is a 404)", pattern = "^td_[0-9A-Fa-f]{24}$", example = "td_019a3c5e7f80a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The request in its new state (`pending_review` or `blocked`)", body = Takedown),
        JsonBodyProblems,
        (status = 404, description = "No such request, or another agency's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not in needs_review", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or accept_collateral not true", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<workflow::ConfirmInput>,
) -> Result<Json<Takedown>, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::not_found());
    }
    Ok(Json(
        workflow::confirm(
            state.store(),
            &state.settings().takedowns,
            &caller,
            &id,
            &input,
        )
        .await?,
    ))
}

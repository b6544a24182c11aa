//! RFC 9457 problem+json: the one error type of the HTTP layer and its rendering.
//!
//! Handlers return [`ApiError`]. Its `IntoResponse` only records the problem in the response
//! extensions; the [`render_problems`] middleware, which knows the request's language and id,
//! writes the body. The same middleware turns every other error answer (axum's own 404/405,
//! the body limit's 413, a caught panic's 500) into a problem, so no client ever sees a
//! plain-text error.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;
pub use crate::i18n::Text;
use crate::store::StoreError;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, as a JSON path (`legal_basis.issued_on`, `evidence[0].sha256`).
    pub field: String,
    /// Stable machine code.
    pub code: String,
    /// What is wrong.
    pub message: Text,
}

impl FieldProblem {
    /// A problem of `field` with machine code `code`.
    pub fn new(field: impl Into<String>, code: &str, message: Text) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            code: code.to_owned(),
            message,
        }
    }
}

/// The error answer of any handler (boxed: it travels in `Result`s on every hot path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(Box<ErrorBody>);

impl std::ops::Deref for ApiError {
    type Target = ErrorBody;

    fn deref(&self) -> &ErrorBody {
        &self.0
    }
}

/// What an [`ApiError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code.
    pub code: &'static str,
    /// Short summary, the same for every occurrence of `code`.
    pub title: Text,
    /// This occurrence.
    pub detail: Option<Text>,
    /// Per-field problems (422).
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    /// A problem with a status, code and title.
    pub fn new(status: StatusCode, code: &'static str, title: Text) -> ApiError {
        ApiError(Box::new(ErrorBody {
            status,
            code,
            title,
            detail: None,
            errors: Vec::new(),
        }))
    }

    /// Adds a detail text.
    pub fn with_detail(mut self, detail: Text) -> ApiError {
        self.0.detail = Some(detail);
        self
    }

    /// Adds per-field problems.
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> ApiError {
        self.0.errors = errors;
        self
    }

    /// 401: no key, or an unknown one.
    pub fn unauthorized() -> ApiError {
        plain(StatusCode::UNAUTHORIZED).with_detail(Text::fixed(
            "Send a valid key as `Authorization: Bearer <key>`.",
            "Hãy gửi khóa hợp lệ trong tiêu đề `Authorization: Bearer <khóa>`.",
        ))
    }

    /// 401: the key is past its `not_after`.
    pub fn key_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "key_expired",
            Text::fixed("Key expired", "Khóa đã hết hạn"),
        )
        .with_detail(Text::fixed(
            "This key is past its expiry time; use the key that replaces it.",
            "Khóa này đã quá thời hạn sử dụng; hãy dùng khóa thay thế.",
        ))
    }

    /// 429: the key is over its rate limit; a request of the same cost conforms again in
    /// `retry_after_secs` seconds.
    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        for_status(StatusCode::TOO_MANY_REQUESTS).with_detail(Text::new(
            format!("This key is over its rate limit; retry in {retry_after_secs} s."),
            format!("Khóa này đã vượt giới hạn tần suất; hãy thử lại sau {retry_after_secs} giây."),
        ))
    }

    /// 403: the key's role may not do this.
    pub fn forbidden() -> ApiError {
        plain(StatusCode::FORBIDDEN).with_detail(Text::fixed(
            "This key's role may not use this operation.",
            "Vai trò của khóa này không được phép dùng thao tác này.",
        ))
    }

    /// 404.
    pub fn not_found() -> ApiError {
        plain(StatusCode::NOT_FOUND)
    }

    /// 422 with one entry per bad field.
    pub fn invalid(errors: Vec<FieldProblem>) -> ApiError {
        plain(StatusCode::UNPROCESSABLE_ENTITY).with_errors(errors)
    }

    /// 422 for one bad value: `field`, code `invalid_value`, what is wrong in English and
    /// Vietnamese.
    pub fn invalid_value(
        field: &str,
        en: impl Into<std::borrow::Cow<'static, str>>,
        vi: impl Into<std::borrow::Cow<'static, str>>,
    ) -> ApiError {
        ApiError::invalid(vec![FieldProblem::new(
            field,
            "invalid_value",
            Text::new(en, vi),
        )])
    }

    /// 400: the body is not well-formed.
    pub fn malformed(detail: Text) -> ApiError {
        plain(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// 409.
    pub fn conflict(detail: Text) -> ApiError {
        plain(StatusCode::CONFLICT).with_detail(detail)
    }

    /// 413.
    pub fn payload_too_large() -> ApiError {
        for_status(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// 503: a dependency (Redis) does not answer.
    pub fn unavailable(detail: Text) -> ApiError {
        for_status(StatusCode::SERVICE_UNAVAILABLE).with_detail(detail)
    }

    /// 500: an internal fault. The cause and every error under it are logged here (one
    /// line, `cause: a: b: c`), never sent to the client.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> ApiError {
        let chain = cause_chain(cause);
        tracing::error!(cause = %chain, "internal error");
        for_status(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// `error` and its sources, outermost first, joined by `: `.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        if let StoreError::NotReplicated { wanted, acked } = error {
            tracing::warn!(
                wanted,
                acked,
                "answered 503: replicas did not acknowledge in time"
            );
            return ApiError::unavailable(Text::fixed(
                "The request is stored but not yet copied to a replica; send it again with the same Idempotency-Key shortly.",
                "Yêu cầu đã được lưu nhưng chưa được sao chép sang bản sao; hãy gửi lại với cùng Idempotency-Key sau giây lát.",
            ));
        }
        if error.is_unreachable() {
            tracing::warn!(error = %cause_chain(&error), "redis unavailable");
            ApiError::unavailable(Text::fixed(
                "The data store does not answer; try again shortly.",
                "Kho dữ liệu không phản hồi; vui lòng thử lại sau.",
            ))
        } else {
            ApiError::internal(&error)
        }
    }
}

/// The problem for a bare status (used for errors produced outside handlers); 401 and 403
/// carry their usual detail.
pub fn for_status(status: StatusCode) -> ApiError {
    match status {
        StatusCode::UNAUTHORIZED => ApiError::unauthorized(),
        StatusCode::FORBIDDEN => ApiError::forbidden(),
        _ => plain(status),
    }
}

/// The problem for `status` with its code and title from [`code_and_title`], nothing more.
fn plain(status: StatusCode) -> ApiError {
    let (code, title) = code_and_title(status);
    ApiError::new(status, code, title)
}

/// The one table of machine codes and titles by status.
fn code_and_title(status: StatusCode) -> (&'static str, Text) {
    match status.as_u16() {
        400 => (
            "malformed_request",
            Text::fixed("Malformed request", "Yêu cầu sai cú pháp"),
        ),
        401 => (
            "unauthorized",
            Text::fixed("Authentication required", "Cần xác thực"),
        ),
        403 => ("forbidden", Text::fixed("Forbidden", "Không có quyền")),
        404 => ("not_found", Text::fixed("Not found", "Không tìm thấy")),
        405 => (
            "method_not_allowed",
            Text::fixed("Method not allowed", "Phương thức không được hỗ trợ"),
        ),
        406 => (
            "not_acceptable",
            Text::fixed("Not acceptable", "Không thể đáp ứng định dạng yêu cầu"),
        ),
        408 => (
            "timeout",
            Text::fixed("Request timeout", "Hết thời gian chờ yêu cầu"),
        ),
        409 => ("conflict", Text::fixed("Conflict", "Xung đột")),
        413 => (
            "payload_too_large",
            Text::fixed("Payload too large", "Nội dung yêu cầu quá lớn"),
        ),
        415 => (
            "unsupported_media_type",
            Text::fixed("Unsupported media type", "Kiểu nội dung không được hỗ trợ"),
        ),
        422 => (
            "invalid_request",
            Text::fixed("Invalid request", "Yêu cầu không hợp lệ"),
        ),
        429 => (
            "rate_limited",
            Text::fixed("Too many requests", "Quá nhiều yêu cầu"),
        ),
        503 => (
            "unavailable",
            Text::fixed("Service unavailable", "Dịch vụ tạm thời không khả dụng"),
        ),
        500..=599 => ("internal", Text::fixed("Internal error", "Lỗi nội bộ")),
        _ => ("error", Text::fixed("Error", "Lỗi")),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The problem+json body as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:originguard:problem:<code>`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, when there is more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine code (`unauthorized`, `forbidden`, `not_found`, `invalid_request`, …).
    pub code: String,
    /// Per-field problems.
    pub errors: Vec<ProblemField>,
    /// The request id, as in the `x-request-id` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One bad field in a problem body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field, as a JSON path.
    pub field: String,
    /// Stable machine code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

impl ApiError {
    /// The body for `lang`.
    pub fn to_problem(&self, lang: Lang, request_id: Option<String>) -> Problem {
        Problem {
            type_: format!("urn:originguard:problem:{}", self.code),
            title: self.title.get(lang).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.as_ref().map(|d| d.get(lang).to_owned()),
            code: self.code.to_owned(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.code.clone(),
                    message: e.message.get(lang).to_owned(),
                })
                .collect(),
            request_id,
        }
    }
}

/// Longest part of a request path repeated in a 404 or 405 detail.
const MAX_PATH_IN_DETAIL: usize = 200;

/// Middleware: writes the problem+json body of every error answer in the caller's language.
pub async fn render_problems(request: Request, next: Next) -> Response {
    let lang = request_lang(&request);
    let method = request.method().clone();
    let path: String = request
        .uri()
        .path()
        .chars()
        .take(MAX_PATH_IN_DETAIL)
        .collect();
    let request_id = request
        .headers()
        .get(crate::http::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(match lang {
            Lang::Vi => "vi",
            Lang::En => "en",
        }),
    );
    let status = response.status();
    let recorded = response.extensions().get::<ApiError>().cloned();
    // A problem already written, or an HTML page (the console renders its own error pages).
    let already_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"text/html")
        });
    let mut error = match recorded {
        Some(error) => error,
        None if (status.is_client_error() || status.is_server_error()) && !already_problem => {
            for_status(status)
        }
        None => return response,
    };
    if error.detail.is_none() {
        if error.status == StatusCode::NOT_FOUND {
            error = error.with_detail(Text::new(
                format!("Nothing is found at {path}."),
                format!("Không tìm thấy gì tại {path}."),
            ));
        } else if error.status == StatusCode::METHOD_NOT_ALLOWED {
            error = error.with_detail(Text::new(
                format!("{method} is not allowed on {path}."),
                format!("Không cho phép {method} trên {path}."),
            ));
        }
    }
    if error.status.is_server_error() {
        tracing::error!(
            request_id = request_id.as_deref().unwrap_or("-"),
            code = error.code,
            "answered with a server error"
        );
    }
    let body = error.to_problem(lang, request_id);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if error.status == StatusCode::UNAUTHORIZED {
        parts
            .headers
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if error.status == StatusCode::SERVICE_UNAVAILABLE {
        // Every 503 is worth retrying shortly; a handler may have named a longer wait.
        parts
            .headers
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("1"));
    }
    parts.status = error.status;
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The language the request asks for.
pub fn request_lang(request: &Request) -> Lang {
    Lang::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

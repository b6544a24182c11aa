//! The HTTP layer: routers by resource, extractors, problem+json errors, metrics.
//!
//! Handlers stay thin: parse, call the domain or the store, map errors. They never decide
//! rules themselves. Authorisation comes first, before the handler: each route declares the
//! roles it admits with [`extract::allow`], and the [`crate::auth::Caller`] extractor checks
//! them as it authenticates, before any path, query or body is read.

pub mod audit;
pub mod batch;
pub mod blocklist;
pub mod claims;
pub mod console;
pub mod doc;
pub mod extract;
pub mod limit;
pub mod metrics;
pub mod ops;
pub mod platform;
pub mod problem;
pub mod queue;
pub mod reference;
pub mod registry;
pub mod resolve;
pub mod router;
pub mod takedowns;
pub mod tax;
pub mod traceability;

use std::any::Any;

use axum::response::{IntoResponse, Response};

pub use extract::ApiJson;
pub use problem::{ApiError, FieldProblem, Text};

/// The request id header, set on every request and answer.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest `x-request-id` taken from a client.
pub const MAX_REQUEST_ID: usize = 128;

/// Whether a client's request id may be echoed and logged: 1 to [`MAX_REQUEST_ID`] of
/// `A-Z a-z 0-9 - _ . :` (UUIDs, trace ids). Anything else is replaced by a fresh id.
pub fn is_plain_request_id(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// Middleware: drops a client's `x-request-id` that is too long or holds other characters
/// (and every one when several are sent), so that a fresh id is made in its place; an id is
/// echoed in answers and written to logs, and must not carry markup or forge log fields.
pub async fn untrusted_request_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers_mut();
    let mut values = headers.get_all(REQUEST_ID).iter();
    let plain = match (values.next(), values.next()) {
        (Some(value), None) => is_plain_request_id(value.as_bytes()),
        (None, _) => true,
        (Some(_), Some(_)) => false,
    };
    if !plain {
        headers.remove(REQUEST_ID);
    }
    next.run(request).await
}

/// Middleware: while Redis is known not to answer, an API request gets a 503 at once (with
/// `Retry-After`) instead of waiting out the command timeout. Operations endpoints pass.
pub async fn unavailable_while_down(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if state.store().is_down() && request.uri().path().starts_with("/v1/") {
        let mut response = ApiError::unavailable(Text::fixed(
            "The data store is unreachable; try again in a moment.",
            "Kho dữ liệu không truy cập được; hãy thử lại sau giây lát.",
        ))
        .into_response();
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return response;
    }
    next.run(request).await
}

/// Fallback for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Turns a panic in a handler into a 500 problem (the request id is added when it is rendered).
pub fn panic_to_problem(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    let panicked: Box<dyn std::error::Error> = format!("handler panicked: {message}").into();
    ApiError::internal(panicked.as_ref()).into_response()
}

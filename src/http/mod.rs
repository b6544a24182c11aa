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
pub mod extract;
pub mod metrics;
pub mod ops;
pub mod platform;
pub mod problem;
pub mod queue;
pub mod reference;
pub mod registry;
pub mod resolve;
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
    ApiError::internal(&format!("handler panicked: {message}")).into_response()
}

//! What the OpenAPI document says beyond the handlers' own annotations: the problems a JSON
//! body or a path can be refused with before its handler runs, the 401 and 403 of every
//! operation that needs a key (declared once here, not on each handler), the 503 every
//! `/v1/` operation answers while the data store is down, and the 429 of a key over its rate
//! limit.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::IntoResponses;

use super::problem::{Problem, PROBLEM_JSON};

/// What an `application/json` body is refused with before its handler reads it.
#[derive(IntoResponses)]
pub enum JsonBodyProblems {
    /// The body is not well-formed JSON (or a path segment is not UTF-8 once decoded).
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The body is larger than the service accepts (`--body-limit`).
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as `Content-Type: application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
}

/// A path segment that is not UTF-8 once percent-decoded.
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct BadPath(pub Problem);

/// The 503 of every `/v1/` operation while the data store is known to be down (see
/// [`super::unavailable_while_down`]), with its `Retry-After`.
fn store_unavailable() -> utoipa::openapi::Response {
    retry_after(
        "The data store is unreachable; retry after `Retry-After` seconds",
        "Seconds to wait before retrying",
    )
    .build()
}

/// A problem+json response described as `description`, with a `Retry-After` header
/// described as `seconds`.
fn retry_after(description: &str, seconds: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some(seconds))
                .build(),
        )
}

/// Every operation of a path.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The 429 of a key over its rate limit (see [`super::limit::enforce`]), with its headers.
fn rate_limited() -> utoipa::openapi::Response {
    let text = |description: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(description))
            .build()
    };
    retry_after(
        "The key is over its rate limit (`rate_per_minute`, `burst`); retry after `Retry-After` seconds. Every answer to a rate-limited key carries `RateLimit-Policy` and `RateLimit`.",
        "Seconds until a request of the same cost is admitted",
    )
        .header(
            "RateLimit-Policy",
            text("The key's quota policy (draft-ietf-httpapi-ratelimit-headers-11): `\"key\";q=<burst>;w=<seconds for the burst to come back>`"),
        )
        .header(
            "RateLimit",
            text("The key's service limit: `\"key\";r=<units left>;t=<seconds>`; `r=0` and `t` equal to `Retry-After` on a 429"),
        )
        .build()
}

/// Adds the 429 to every operation under `/v1/`, as [`super::limit::enforce`] answers it.
pub fn add_rate_limited(doc: &mut OpenApi) {
    for_each_v1_operation(doc, |operation| {
        operation
            .responses
            .responses
            .insert("429".into(), RefOr::T(rate_limited()));
    });
}

fn for_each_v1_operation(doc: &mut OpenApi, mut add: impl FnMut(&mut Operation)) {
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for operation in operations(item) {
            add(operation);
        }
    }
}

/// Adds the 503 to every operation under `/v1/`, as [`super::unavailable_while_down`]
/// answers it there.
pub fn add_store_unavailable(doc: &mut OpenApi) {
    for_each_v1_operation(doc, |operation| {
        operation
            .responses
            .responses
            .insert("503".into(), RefOr::T(store_unavailable()));
    });
}

/// A problem+json response with `description`.
fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Adds the 401 (no key, an unknown or expired one, or two) and the 403 (the key's role is not among the
/// route's, see `extract::allow`) to every operation that declares a bearer key.
pub fn add_auth_problems(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            if operation.security.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            let responses = &mut operation.responses.responses;
            responses.entry("401".into()).or_insert_with(|| {
                RefOr::T(problem(
                    "No key, an unknown or expired key, or more than one",
                ))
            });
            responses
                .entry("403".into())
                .or_insert_with(|| RefOr::T(problem("The key's role may not use this operation")));
        }
    }
}

//! Request extractors: the authenticated caller, the caller's language, and a JSON body whose
//! rejections are problem+json.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use super::problem::{ApiError, Text};
use crate::app::AppState;
use crate::auth::{Caller, KeyEntry, Role};
use crate::i18n::Lang;

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, ApiError> {
        let state = <AppState as axum::extract::FromRef<S>>::from_ref(state);
        // The rate-limit middleware may already have found the key (see `super::limit`).
        let entry = match parts.extensions.remove::<Identified>() {
            Some(Identified(entry)) => entry,
            None => state
                .keys()
                .identify(bearer_secret(&parts.headers)?)
                .ok_or_else(ApiError::unauthorized)?,
        };
        if entry.terms.expired_at(chrono::Utc::now()) {
            return Err(ApiError::key_expired());
        }
        let key_id = entry.key_id();
        let caller = Caller {
            key_id: Some(key_id),
            ..entry.caller
        };
        tracing::Span::current().record("caller", caller.name.as_str());
        // The route's roles are checked here, before anything reads the path, the query or
        // the body: a caller of the wrong role learns nothing about what the route accepts.
        // A route without `allow` admits admin only.
        let allowed = parts
            .extensions
            .get::<Allowed>()
            .map_or(&[][..], |allowed| allowed.0);
        caller.require(allowed)?;
        Ok(caller)
    }
}

/// The key a request's bearer secret was found to be, expired or not, left in the request's
/// extensions by the rate-limit middleware so that the [`Caller`] extractor does not hash the
/// secret again.
#[derive(Debug, Clone)]
pub struct Identified(pub KeyEntry);

/// The bearer secret of a request: 401 without one, with another scheme, or with more than
/// one `Authorization` header (two credentials are ambiguous: never pick one of them).
pub fn bearer_secret(headers: &HeaderMap) -> Result<&str, ApiError> {
    if headers.get_all(AUTHORIZATION).iter().nth(1).is_some() {
        return Err(ApiError::unauthorized().with_detail(Text::fixed(
            "Send exactly one Authorization header.",
            "Chỉ gửi đúng một tiêu đề Authorization.",
        )));
    }
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, secret) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
        })
        .filter(|s| !s.is_empty())
        .ok_or_else(ApiError::unauthorized)
}

/// The roles a route admits (admin always does), attached to the route with [`allow`].
#[derive(Debug, Clone, Copy)]
pub struct Allowed(pub &'static [Role]);

/// The layer that admits `roles` on a route: `routes!(handler).layer(allow(&[Role::…]))`.
pub fn allow(roles: &'static [Role]) -> axum::Extension<Allowed> {
    axum::Extension(Allowed(roles))
}

impl Caller {
    /// Refuses with 403 unless the caller holds one of `roles` (admin always does).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        Ok(Lang::from_accept_language(
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ))
    }
}

/// A JSON request body; malformed JSON is a 400 problem, wrong types a 422 problem, a body
/// over the limit a 413 problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let text = rejection.body_text();
    match rejection {
        JsonRejection::JsonSyntaxError(_) => not_json(&text),
        JsonRejection::JsonDataError(_) => ApiError::invalid(vec![shape_problem(
            text.strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text),
            "body",
        )]),
        JsonRejection::MissingJsonContentType(_) => super::problem::for_status(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .with_detail(Text::fixed(
            "Send the body as `Content-Type: application/json`.",
            "Hãy gửi nội dung với `Content-Type: application/json`.",
        )),
        other => super::problem::for_status(other.status()),
    }
}

/// A 400 for a body that is not JSON; serde's words (position included) in English only.
pub fn not_json(cause: &str) -> ApiError {
    ApiError::malformed(Text::new(
        format!("The body is not valid JSON: {cause}"),
        "Nội dung không phải JSON hợp lệ.".to_owned(),
    ))
}

/// serde's message without the position it ends with (`… at line 1 column 20`), if any.
pub fn without_position(message: &str) -> &str {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
}

/// Turns serde's message about a body or query that does not fit its shape
/// (`seller: missing field `tax_code` at line 1 column 20`) into the field it is about and a
/// stable code: `required` for a missing field, `unknown_field` for one the request does not
/// have, `invalid_value` otherwise. The Vietnamese text is ours; serde's English words stay
/// in the English text only. `whole` names the field when serde names none.
pub fn shape_problem(message: &str, whole: &str) -> super::problem::FieldProblem {
    // serde_path_to_error puts the path first (`field.sub: message`), when there is one.
    let (path, message) = match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (path, rest),
        _ => ("", message),
    };
    let message = without_position(message);
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('`'))
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| match path {
                "" | "." => name.to_owned(),
                // An unknown field's path already ends with the field itself.
                _ if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
                _ => format!("{path}.{name}"),
            })
    };
    let field_or_whole = || match path {
        "" | "." => whole.to_owned(),
        _ => path.to_owned(),
    };
    let (field, code, text) = if let Some(field) = named("missing field ") {
        (
            field,
            "required",
            Text::fixed("This field is required.", "Trường này là bắt buộc."),
        )
    } else if let Some(field) = named("unknown field ") {
        (
            field,
            "unknown_field",
            Text::fixed(
                "This field is not part of the request.",
                "Trường này không thuộc yêu cầu.",
            ),
        )
    } else {
        (
            field_or_whole(),
            "invalid_value",
            Text::new(
                format!("Not a valid value here: {message}."),
                "Giá trị không đúng kiểu hoặc không hợp lệ.".to_owned(),
            ),
        )
    };
    super::problem::FieldProblem {
        field,
        code: code.into(),
        message: text,
    }
}

/// A query string; one that does not fit is a 422 problem naming the parameter (or `query`
/// when serde names none). Parameters may be typed (enums, numbers): a wrong value is told by
/// its name.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let parameters =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(parameters)
            .map(ApiQuery)
            .map_err(|error| ApiError::invalid(vec![shape_problem(&error.to_string(), "query")]))
    }
}

/// Default page size of a listing.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of a listing.
pub const MAX_LIMIT: usize = 1000;

/// What a listing's cursors look like: only cursors the service gave out are taken.
pub trait CursorKind: Send + Sync + 'static {
    /// The pattern documented for the cursor.
    const PATTERN: &'static str;
    /// Whether `cursor` can be one of this listing's cursors.
    fn valid(cursor: &str) -> bool;
}

/// Cursors that are takedown ids (`td_…`).
#[derive(Debug)]
pub struct IdCursor;

impl CursorKind for IdCursor {
    const PATTERN: &'static str = "^td_[0-9A-Fa-f]{24}$";
    fn valid(cursor: &str) -> bool {
        crate::takedown::is_id(cursor)
    }
}

/// Cursors that are Redis stream ids (`1700000000000-0`).
#[derive(Debug)]
pub struct StreamCursor;

impl CursorKind for StreamCursor {
    const PATTERN: &'static str = "^[0-9]+-[0-9]+$";
    fn valid(cursor: &str) -> bool {
        cursor
            .split_once('-')
            .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
    }
}

/// A listing's `limit` (default [`DEFAULT_LIMIT`], 1 to [`MAX_LIMIT`]) and `cursor`, read
/// from the query and checked before the handler runs; the other query parameters are the
/// handler's own.
#[derive(Debug)]
pub struct Paging<K> {
    /// The page size.
    pub limit: usize,
    /// Where the page starts (exclusive); `None`: at the start.
    pub cursor: Option<String>,
    kind: std::marker::PhantomData<K>,
}

/// Paging by takedown id.
pub type IdPaging = Paging<IdCursor>;
/// Paging by stream id.
pub type StreamPaging = Paging<StreamCursor>;

impl<K: CursorKind> Paging<K> {
    /// Checks a raw `limit` and `cursor`.
    pub fn check(limit: Option<&str>, cursor: Option<String>) -> Result<Paging<K>, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_value(
                        "limit",
                        "limit must be between 1 and 1000.",
                        "limit phải từ 1 đến 1000.",
                    )
                })?,
        };
        if cursor.as_deref().is_some_and(|c| !K::valid(c)) {
            return Err(ApiError::invalid_value(
                "cursor",
                "Not a cursor this service gave out.",
                "Con trỏ không do dịch vụ này cấp.",
            ));
        }
        Ok(Paging {
            limit,
            cursor,
            kind: std::marker::PhantomData,
        })
    }
}

/// The raw paging parameters; every other parameter is left to the handler's query.
#[derive(serde::Deserialize)]
struct RawPaging {
    limit: Option<String>,
    cursor: Option<String>,
}

impl<K: CursorKind, S: Send + Sync> FromRequestParts<S> for Paging<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiQuery(raw) = ApiQuery::<RawPaging>::from_request_parts(parts, state).await?;
        Paging::check(raw.limit.as_deref(), raw.cursor)
    }
}

impl<K: CursorKind> utoipa::IntoParams for Paging<K> {
    fn into_params(
        _parameter_in: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::Required;
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .description(Some("Page size (default 100, at most 1000)."))
                .required(Required::False)
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .default(Some(serde_json::json!(DEFAULT_LIMIT)))
                        .maximum(Some(MAX_LIMIT as f64))
                        .minimum(Some(1.0)),
                ))
                .build(),
            ParameterBuilder::new()
                .name("cursor")
                .parameter_in(ParameterIn::Query)
                .description(Some("The `next_cursor` of the previous page."))
                .required(Required::False)
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(K::PATTERN)),
                ))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_takes_only_sizes_in_range_and_cursors_the_service_gives_out() {
        assert_eq!(IdPaging::check(None, None).map(|p| p.limit).ok(), Some(100));
        assert_eq!(
            IdPaging::check(Some("1000"), None).map(|p| p.limit).ok(),
            Some(1000)
        );
        for bad in ["0", "1001", "-1", "ten", ""] {
            let error = IdPaging::check(Some(bad), None).unwrap_err();
            assert_eq!(error.errors[0].field, "limit", "{bad}");
        }
        assert!(IdPaging::check(None, Some("td_019a3c5e7f80a1b2c3d4e5f6".into())).is_ok());
        assert!(StreamPaging::check(None, Some("1700000000000-3".into())).is_ok());
        for (bad, stream) in [
            ("1700000000000-3", false),
            ("td_019a3c5e7f80a1b2c3d4e5f6", true),
        ] {
            let error = if stream {
                StreamPaging::check(None, Some(bad.into())).unwrap_err()
            } else {
                IdPaging::check(None, Some(bad.into())).unwrap_err()
            };
            assert_eq!(error.errors[0].field, "cursor", "{bad}");
            assert_eq!(error.errors[0].code, "invalid_value");
        }
    }
}

/// A JSON answer written into a buffer sized for it up front: `axum::Json` starts at 128 bytes
/// and doubles, copying the answer at each step, which for a large answer (a resolution of
/// 1,000 targets, a check with its product) is a measurable share of the request.
#[derive(Debug, Clone)]
pub struct SizedJson<T> {
    /// The answer.
    pub value: T,
    /// The expected size of its JSON, in bytes.
    pub capacity: usize,
}

impl<T: serde::Serialize> axum::response::IntoResponse for SizedJson<T> {
    fn into_response(self) -> axum::response::Response {
        let mut buffer = Vec::with_capacity(self.capacity);
        match serde_json::to_writer(&mut buffer, &self.value) {
            Ok(()) => (
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                )],
                buffer,
            )
                .into_response(),
            // As `axum::Json` does: the answer could not be written.
            Err(error) => (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                error.to_string(),
            )
                .into_response(),
        }
    }
}

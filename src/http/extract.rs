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
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
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

/// A query string; one that does not fit is a 422 problem naming `query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                Err(ApiError::invalid(vec![shape_problem(
                    text.strip_prefix("Failed to deserialize query string: ")
                        .unwrap_or(&text),
                    "query",
                )]))
            }
        }
    }
}

//! The web console at `/console`: server-rendered HTML for the people in the loop (VNNIC's
//! reviewers, agencies, platforms), served by the same binary as the API.
//!
//! It is a thin skin over the API: every page reads and every form acts through the very
//! handlers and service functions the JSON API calls (so each action is validated, refused and
//! audited under the key's name exactly as over the API), and it never decides a rule itself.
//! Templates are askama (HTML-escaped by default; `templates/`), the stylesheet is compiled in
//! (`assets/console.css`), and every page works with JavaScript off: the console has no
//! script at all. Its routes stay out of the OpenAPI document, which describes the JSON API.
//!
//! Sessions, cookies and CSRF: [`session`]. Texts in English and Vietnamese: [`texts`].

pub mod authority;
pub mod batch;
pub mod page;
pub mod platform;
pub mod registry;
pub mod scan;
pub mod session;
pub mod texts;
pub mod views;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use self::page::{render, Failure, Form, Page, PageError, PageResult};
use self::session::{
    admit, cookie, csrf_matches, over_tls, random_token, request_lang, set_cookie, Session, IDLE,
    MAX_KEY_LEN, SESSION_COOKIE, SIGN_IN_COOKIE,
};
use self::texts::{Texts, LANG_COOKIE};
use crate::app::AppState;
use crate::auth::Role;
use crate::store::console::{self as store, SessionRecord};

/// The console's stylesheet, compiled in.
pub const STYLESHEET: &str = include_str!("assets/console.css");

/// The console's routes (not part of the OpenAPI document).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/console.css", get(stylesheet))
        .route("/console/lang/{code}", get(switch_language))
        .route("/console/sign-in", get(sign_in_form).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/registry", get(registry::queue))
        .route("/console/registry/{id}", get(registry::request))
        .route("/console/registry/{id}/decision", post(registry::decide))
        .route(
            "/console/takedowns",
            get(authority::list).post(authority::file),
        )
        .route("/console/takedowns/new", get(authority::new_form))
        .route(
            "/console/takedowns/batch",
            post(batch::batch).layer(DefaultBodyLimit::max(
                crate::http::batch::MAX_BATCH_BYTES + 64 * 1024,
            )),
        )
        .route("/console/takedowns/{id}", get(authority::request))
        .route(
            "/console/takedowns/{id}/withdraw",
            post(authority::withdraw),
        )
        .route("/console/takedowns/{id}/confirm", post(authority::confirm))
        .route("/console/notices", get(platform::notices))
        .route("/console/notices/{id}/outcome", post(platform::outcome))
}

/// The first page of the caller's role.
async fn home(session: Session) -> Response {
    let target = match session.caller.role {
        Role::Registry => "/console/registry",
        Role::Authority | Role::Admin => "/console/takedowns",
        Role::Platform => "/console/notices",
        _ => {
            return Failure::new(
                PageError::message(StatusCode::FORBIDDEN, session.texts().no_pages_for_role),
                session.lang,
            )
            .into_response()
        }
    };
    Redirect::to(target).into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Where the language switch may send the browser back to: a console path only.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with("/console") && !n.contains("//") && !n.contains('\\'))
        .unwrap_or("/console")
}

/// The language switch: remembers `vi` or `en` in a cookie and goes back.
async fn switch_language(
    Path(code): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let code = if code == "vi" { "vi" } else { "en" };
    let mut response =
        Redirect::to(safe_next(query.get("next").map(String::as_str))).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        code,
        Some(365 * 86_400),
        over_tls(&headers),
    )) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    /// The frame.
    pub page: Page,
    /// The form's token (also in a cookie: the form must carry the same).
    pub token: String,
    /// Why the last attempt failed.
    pub error: Option<&'static str>,
}

fn sign_in_page(
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&'static str>,
    done: Option<&str>,
) -> Response {
    let lang = request_lang(headers);
    let token = random_token();
    let page = SignInPage {
        page: Page::anonymous(lang, Texts::of(lang).sign_in, "/console/sign-in").with_notice(done),
        token: token.clone(),
        error,
    };
    let mut response = render(status, &page);
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        SIGN_IN_COOKIE,
        &token,
        Some(IDLE.as_secs()),
        over_tls(headers),
    )) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn sign_in_form(
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    sign_in_page(
        &headers,
        StatusCode::OK,
        None,
        query.get("done").map(String::as_str),
    )
}

/// Signs in with an API key: the key is checked as a bearer key is (unknown 401, expired 401,
/// a role without console pages 403), then a new session is made (never an old id reused).
async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let lang = request_lang(&headers);
    let t = Texts::of(lang);
    let form = Form::parse(&body);
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if !csrf_matches(expected, form.get("csrf")) {
        return Failure::new(
            PageError::message(StatusCode::FORBIDDEN, t.csrf_refused),
            lang,
        )
        .into_response();
    }
    let secret = form.get("key").unwrap_or_default().trim();
    let entry = (!secret.is_empty() && secret.len() <= MAX_KEY_LEN)
        .then(|| state.keys().identify(secret))
        .flatten();
    let Some(entry) = entry else {
        return sign_in_page(
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(t.unknown_key),
            None,
        );
    };
    let digest = hex::encode(entry.digest());
    let caller = match admit(&state, entry, lang) {
        Ok(caller) => caller,
        Err(PageError::Message(status, text)) if status == StatusCode::UNAUTHORIZED => {
            return sign_in_page(&headers, status, Some(text), None)
        }
        Err(error) => return Failure::new(error, lang).into_response(),
    };
    if !caller.has_any(&[Role::Registry, Role::Authority, Role::Platform]) {
        return sign_in_page(
            &headers,
            StatusCode::FORBIDDEN,
            Some(t.no_pages_for_role),
            None,
        );
    }
    let id = random_token();
    let record = SessionRecord {
        key_digest: digest,
        csrf: random_token(),
    };
    if let Err(error) = store::create(state.store(), &id, &record, IDLE).await {
        return Failure::new(PageError::from(error), lang).into_response();
    }
    tracing::info!(caller = %caller.name, "console sign-in");
    let secure = over_tls(&headers);
    let mut response = Redirect::to("/console").into_response();
    for value in [
        set_cookie(SESSION_COOKIE, &id, None, secure),
        set_cookie(SIGN_IN_COOKIE, "", Some(0), secure),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// Signs out: deletes the session in Redis and clears the cookie.
async fn sign_out(session: Session, body: Bytes) -> PageResult {
    session.form(&body, &[Role::Registry, Role::Authority, Role::Platform])?;
    store::delete(session.state.store(), &session.id)
        .await
        .map_err(|e| Failure::new(e.into(), session.lang))?;
    let mut response = Redirect::to("/console/sign-in?done=signed_out").into_response();
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", Some(0), session.secure))
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_only_returns_to_console_pages() {
        assert_eq!(
            safe_next(Some("/console/registry?state=suspended")),
            "/console/registry?state=suspended"
        );
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(Some("/console//evil.example")), "/console");
        assert_eq!(safe_next(Some("/v1/takedowns")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}

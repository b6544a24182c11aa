//! What every console page shares: the frame's context ([`Page`]), rendering a template into
//! an answer, the error pages ([`PageError`], rendered by [`Failure`]), form bodies and the
//! formats of times and days.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};

use super::session::Session;
use super::texts::Texts;
use crate::auth::Role;
use crate::http::ApiError;
use crate::i18n::Lang;

/// A link of the navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// The frame of every page: language, title, who is signed in, navigation, the session's
/// CSRF token for the sign-out form, the language switch and a message after an action.
#[derive(Debug, Clone)]
pub struct Page {
    /// The labels in the page's language.
    pub t: &'static Texts,
    /// The page's title.
    pub title: String,
    /// The signed-in key's name (none on the sign-in and error pages).
    pub user: Option<String>,
    /// The session's CSRF token (empty without a session).
    pub csrf: String,
    /// Navigation links for the caller's role.
    pub nav: Vec<NavLink>,
    /// The language switch's link.
    pub switch_href: String,
    /// A message about the action just taken.
    pub notice: Option<&'static str>,
}

impl Page {
    /// The frame of a signed-in page at `path` (path and query, for the language switch).
    pub fn new(session: &Session, title: &str, path: &str) -> Page {
        let t = session.texts();
        let role = session.caller.role;
        let links: [(&[Role], &'static str, &'static str); 4] = [
            (&[Role::Registry], "/console/registry", t.nav_queue),
            (&[Role::Authority], "/console/takedowns", t.nav_takedowns),
            (&[Role::Authority], "/console/takedowns/new", t.nav_new),
            (&[Role::Platform], "/console/notices", t.nav_notices),
        ];
        let nav = links
            .into_iter()
            .filter(|(roles, _, _)| role == Role::Admin || roles.contains(&role))
            .map(|(_, href, label)| NavLink {
                href,
                label,
                current: path.split('?').next() == Some(href),
            })
            .collect();
        Page {
            t,
            title: title.to_owned(),
            user: Some(session.caller.name.clone()),
            csrf: session.csrf.clone(),
            nav,
            switch_href: switch_href(t, path),
            notice: None,
        }
    }

    /// The frame of the page at `path` with its `query`, with the message of the action
    /// its `done` parameter names.
    pub fn at(
        session: &Session,
        title: &str,
        path: &str,
        query: Option<&str>,
        done: Option<&str>,
    ) -> Page {
        let here = match query {
            Some(q) if !q.is_empty() => format!("{path}?{q}"),
            _ => path.to_owned(),
        };
        Page::new(session, title, &here).with_notice(done)
    }

    /// The frame of a page without a session (sign-in, errors).
    pub fn anonymous(lang: Lang, title: &str, path: &str) -> Page {
        let t = Texts::of(lang);
        Page {
            t,
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            nav: Vec::new(),
            switch_href: switch_href(t, path),
            notice: None,
        }
    }

    /// The page with the message of `done` (a code the action's redirect carried).
    pub fn with_notice(mut self, done: Option<&str>) -> Page {
        let t = self.t;
        self.notice = done.and_then(|code| match code {
            "decided" => Some(t.decided),
            "filed" => Some(t.filed_ok),
            "withdrawn" => Some(t.withdrawn_ok),
            "confirmed" => Some(t.confirmed_ok),
            "outcome" => Some(t.outcome_ok),
            "signed_out" => Some(t.signed_out),
            _ => None,
        });
        self
    }
}

fn switch_href(t: &Texts, path: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/console/lang/{}?next={next}", t.other_language_code)
}

/// Renders `template` as an HTML answer with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            response
        }
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

/// Why a console request was not answered with its page.
#[derive(Debug)]
pub enum PageError {
    /// No (living) session: go to the sign-in page.
    SignIn,
    /// A fixed message with its status.
    Message(StatusCode, &'static str),
    /// The API's answer to the same action (its texts, in the page's language).
    Api(ApiError),
}

impl PageError {
    /// A fixed message.
    pub fn message(status: StatusCode, text: &'static str) -> PageError {
        PageError::Message(status, text)
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError::Api(error)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(error: crate::store::StoreError) -> PageError {
        PageError::Api(ApiError::from(error))
    }
}

/// A [`PageError`] in the language of its request, ready to render.
#[derive(Debug)]
pub struct Failure {
    error: PageError,
    lang: Lang,
}

impl Failure {
    /// `error` for a request in `lang`.
    pub fn new(error: PageError, lang: Lang) -> Failure {
        Failure { error, lang }
    }
}

/// One problem of an error page.
#[derive(Debug, Clone)]
pub struct ProblemLine {
    /// The field it is about.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The error page.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The frame.
    pub page: Page,
    /// What happened.
    pub message: String,
    /// More about it.
    pub detail: Option<String>,
    /// Field problems.
    pub problems: Vec<ProblemLine>,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let t = Texts::of(self.lang);
        let (status, message, detail, problems) = match self.error {
            PageError::SignIn => return Redirect::to("/console/sign-in").into_response(),
            PageError::Message(status, text) => (status, text.to_owned(), None, Vec::new()),
            PageError::Api(error) => (
                error.status,
                error.title.get(self.lang).to_owned(),
                error.detail.as_ref().map(|d| d.get(self.lang).to_owned()),
                error
                    .errors
                    .iter()
                    .map(|p| ProblemLine {
                        field: p.field.clone(),
                        message: p.message.get(self.lang).to_owned(),
                    })
                    .collect(),
            ),
        };
        let page = MessagePage {
            page: Page::anonymous(self.lang, t.error_title, "/console"),
            message,
            detail,
            problems,
        };
        render(status, &page)
    }
}

/// A console answer: a page, or a rendered failure.
pub type PageResult = Result<Response, Failure>;

/// After an action: back to `path` (post/redirect/get), with the message `done` names.
pub fn done(path: &str, done: &str) -> PageResult {
    let separator = if path.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{path}{separator}done={done}")).into_response())
}

/// Adds the session's language to a [`PageError`].
pub trait InLang<T> {
    /// The error in `session`'s language.
    fn lang(self, session: &Session) -> Result<T, Failure>;
}

impl<T, E: Into<PageError>> InLang<T> for Result<T, E> {
    fn lang(self, session: &Session) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(e.into(), session.lang))
    }
}

/// A submitted `application/x-www-form-urlencoded` form, read field by field.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Parses a form body.
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed; `None` when missing or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// The paging links of a list page: back to the first page (on a later page) and on to the
/// next (when the listing gave a cursor).
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The first page, when this is a later one.
    pub first_href: Option<String>,
    /// The next page.
    pub next_href: Option<String>,
}

impl Pager {
    /// The links of a page of `path` filtered by `params` (unset ones left out), which was
    /// asked `at` a cursor or not, and whose listing continues at `next`.
    pub fn new(
        path: &str,
        params: &[(&str, Option<&str>)],
        at: bool,
        next: Option<String>,
    ) -> Pager {
        let link = |cursor: Option<&str>| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in params {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
            if let Some(cursor) = cursor {
                query.append_pair("cursor", cursor);
            }
            let query = query.finish();
            if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            }
        };
        Pager {
            first_href: at.then(|| link(None)),
            next_href: next.map(|cursor| link(Some(&cursor))),
        }
    }
}

/// A time as the pages show it (UTC, to the minute).
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Whole suspension days left until `ends_at` (rounded up; 0 once past), in days of
/// `day_length` (a day, shorter in tests).
pub fn days_left(
    ends_at: DateTime<Utc>,
    now: DateTime<Utc>,
    day_length: std::time::Duration,
) -> u64 {
    let left_ms = (ends_at - now).num_milliseconds();
    let day_ms = u64::try_from(day_length.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    match u64::try_from(left_ms) {
        Ok(left) if left > 0 => left.div_ceil(day_ms),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_round_up_and_stop_at_zero() {
        let now = Utc::now();
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(days_left(now + chrono::Duration::hours(1), now, day), 1);
        assert_eq!(days_left(now + chrono::Duration::days(30), now, day), 30);
        assert_eq!(
            days_left(
                now + chrono::Duration::days(29) + chrono::Duration::minutes(1),
                now,
                day
            ),
            30
        );
        assert_eq!(days_left(now - chrono::Duration::days(1), now, day), 0);
    }

    #[test]
    fn the_templates_escape_hostile_text() {
        let hostile = "\"><script>alert(1)</script><img src=x onerror='x'>\u{202E}\u{200B}&amp;";
        let page = MessagePage {
            page: Page::anonymous(Lang::Vi, hostile, "/console?x=\"><b>"),
            message: hostile.to_owned(),
            detail: Some(hostile.to_owned()),
            problems: vec![ProblemLine {
                field: hostile.to_owned(),
                message: hostile.to_owned(),
            }],
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"));
        assert!(html.contains("&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=&#39;x&#39;&#62;\u{202E}\u{200B}&#38;amp;"), "{html}");
        assert!(html.contains("<html lang=\"vi\">"));
    }

    #[test]
    fn pager_links_keep_the_filters() {
        let pager = Pager::new(
            "/console/registry",
            &[
                ("state", Some("suspended")),
                ("category", None),
                ("target", Some("a b")),
            ],
            true,
            Some("td_019a3c5e7f80a1b2c3d4e5f6".into()),
        );
        assert_eq!(
            pager.first_href.as_deref(),
            Some("/console/registry?state=suspended&target=a+b")
        );
        assert_eq!(
            pager.next_href.as_deref(),
            Some("/console/registry?state=suspended&target=a+b&cursor=td_019a3c5e7f80a1b2c3d4e5f6")
        );
        let first = Pager::new("/console/notices", &[("state", None)], false, None);
        assert!(first.first_href.is_none() && first.next_href.is_none());
    }

    #[test]
    fn forms_read_their_fields_decoded() {
        let form = Form::parse(b"csrf=ab&reason=+a%3Cb%3E+&empty=+");
        assert_eq!(form.get("csrf"), Some("ab"));
        assert_eq!(form.text("reason").as_deref(), Some("a<b>"));
        assert_eq!(form.text("empty"), None);
        assert_eq!(form.get("missing"), None);
    }
}

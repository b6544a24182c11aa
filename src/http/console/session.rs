//! Console sessions: sign-in with an API key, the session cookie, the CSRF token of every
//! form, and the [`Session`] extractor every console page starts with.
//!
//! A session is an opaque random id (256 bits from `rand`) kept in Redis with the digest of the
//! key that signed in and a random CSRF token (see [`crate::store::console`]); it expires after
//! [`IDLE`] without use, each use pushing the expiry back. The cookie is `HttpOnly;
//! SameSite=Strict; Path=/console`, with `Secure` when the request came over TLS as a
//! TLS-terminating proxy tells it (`X-Forwarded-Proto: https`). On every request the key is
//! found again among the keys in force and checked exactly like a bearer key: a key removed
//! from the keys file or past its `not_after` ends the session's use at once. Each page and
//! action is charged to the key's rate limit as one API request is.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use rand::Rng;
use subtle::ConstantTimeEq;

use super::page::{Failure, Form, PageError};
use super::texts::{pick_lang, Texts, LANG_COOKIE};
use crate::app::AppState;
use crate::auth::limit::Decision;
use crate::auth::{Caller, KeyEntry, Role};
use crate::i18n::Lang;
use crate::store::console::{self as store, SessionRecord};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "og_console";
/// The cookie of the sign-in form's token, before there is a session.
pub const SIGN_IN_COOKIE: &str = "og_console_sign_in";
/// A session ends after this long without use.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// Longest API key taken by the sign-in form.
pub const MAX_KEY_LEN: usize = 256;

/// A fresh random token: 32 bytes as 64 hexadecimal digits.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// Whether a form's token equals the session's, compared in constant time (a missing or empty
/// token never matches).
pub fn csrf_matches(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(presented) if !presented.is_empty() && !expected.is_empty() => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

/// Whether `value` has the shape of a token this module makes.
fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim())
}

/// Whether the request came over TLS, as the proxy in front says.
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value for a console cookie (`max_age` 0 clears it; `None` lasts the browser
/// session).
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> String {
    let mut text = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

/// The language of a console request.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    pick_lang(
        cookie(headers, LANG_COOKIE),
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    )
}

/// The key a session's digest names, among the keys in force (compared in constant time).
fn key_of(state: &AppState, digest_hex: &str) -> Option<KeyEntry> {
    let digest = hex::decode(digest_hex).ok()?;
    let keys = state.keys().snapshot();
    let mut found = None;
    for entry in keys.iter() {
        if bool::from(entry.digest().as_slice().ct_eq(&digest)) {
            found = Some(entry);
        }
    }
    found.cloned()
}

/// Checks a key as the bearer extractor does, and charges one request to its rate limit.
pub fn admit(state: &AppState, entry: KeyEntry, lang: Lang) -> Result<Caller, PageError> {
    let texts = Texts::of(lang);
    if entry.terms.expired_at(chrono::Utc::now()) {
        return Err(PageError::message(
            StatusCode::UNAUTHORIZED,
            texts.key_expired,
        ));
    }
    if let Some(limiter) = state.limiter() {
        if let Some((_, _, Decision::Refused { .. })) =
            crate::http::limit::charge_request(limiter, &entry)
        {
            return Err(PageError::message(
                StatusCode::TOO_MANY_REQUESTS,
                texts.rate_limited,
            ));
        }
    }
    let key_id = entry.key_id();
    Ok(Caller {
        key_id: Some(key_id),
        ..entry.caller
    })
}

/// A signed-in console request: the caller (checked like a bearer key), the session's id and
/// CSRF token, the language and whether the request came over TLS.
#[derive(Clone)]
pub struct Session {
    /// The state shared by every request.
    pub state: AppState,
    /// Who signed in.
    pub caller: Caller,
    /// The key that signed in (for batch charges).
    pub entry: KeyEntry,
    /// The session's id.
    pub id: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The language of this request.
    pub lang: Lang,
    /// Whether the request came over TLS.
    pub secure: bool,
}

impl Session {
    /// The texts in this request's language.
    pub fn texts(&self) -> &'static Texts {
        Texts::of(self.lang)
    }

    /// 403 unless the caller holds one of `roles` (admin always does).
    pub fn require(&self, roles: &[Role]) -> Result<(), PageError> {
        if self.caller.has_any(roles) {
            Ok(())
        } else {
            Err(PageError::message(
                StatusCode::FORBIDDEN,
                self.texts().no_pages_for_role,
            ))
        }
    }

    /// 403 with a page saying so unless `presented` is this session's CSRF token.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), PageError> {
        if csrf_matches(&self.csrf, presented) {
            Ok(())
        } else {
            Err(PageError::message(
                StatusCode::FORBIDDEN,
                self.texts().csrf_refused,
            ))
        }
    }
}

impl Session {
    /// A submitted form, once it carried this session's CSRF token (else 403 with a page) and
    /// the caller holds one of `roles`.
    pub fn form(&self, body: &[u8], roles: &[Role]) -> Result<Form, Failure> {
        let form = Form::parse(body);
        self.check_csrf(form.get("csrf"))
            .and_then(|()| self.require(roles))
            .map_err(|e| Failure::new(e, self.lang))?;
        Ok(form)
    }

    /// The state and caller an API handler takes, for calling it as this session's key.
    pub fn api(&self) -> (axum::extract::State<AppState>, Caller) {
        (
            axum::extract::State(self.state.clone()),
            self.caller.clone(),
        )
    }

    /// The query of a list page and its paging ([`LIST_PAGE`] a page from its `cursor`), once
    /// the caller holds one of `roles`.
    pub fn listing(
        &self,
        query: Option<&str>,
        roles: &[Role],
    ) -> Result<(Form, crate::http::extract::IdPaging), Failure> {
        self.require(roles)
            .map_err(|e| Failure::new(e, self.lang))?;
        let form = Form::parse(query.unwrap_or_default().as_bytes());
        let paging = crate::http::extract::IdPaging::check(
            Some(&LIST_PAGE.to_string()),
            form.text("cursor"),
        )
        .map_err(|e| Failure::new(e.into(), self.lang))?;
        Ok((form, paging))
    }
}

/// Requests or notices on one page of a list.
pub const LIST_PAGE: usize = 25;

impl FromRequestParts<AppState> for Session {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, Failure> {
        let lang = request_lang(&parts.headers);
        let secure = over_tls(&parts.headers);
        let fail = |error: PageError| Failure::new(error, lang);
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE).filter(|v| is_token(v)) else {
            return Err(fail(PageError::SignIn));
        };
        let record: SessionRecord = store::touch(state.store(), id, IDLE)
            .await
            .map_err(|e| fail(PageError::from(crate::http::ApiError::from(e))))?
            .ok_or_else(|| fail(PageError::SignIn))?;
        let entry = key_of(state, &record.key_digest).ok_or_else(|| fail(PageError::SignIn))?;
        let caller = admit(state, entry.clone(), lang).map_err(fail)?;
        tracing::Span::current().record("caller", caller.name.as_str());
        Ok(Session {
            state: state.clone(),
            caller,
            entry,
            id: id.to_owned(),
            csrf: record.csrf,
            lang,
            secure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_match_only_exactly() {
        let token = random_token();
        assert!(is_token(&token));
        assert!(csrf_matches(&token, Some(&token)));
        assert!(!csrf_matches(&token, None));
        assert!(!csrf_matches(&token, Some("")));
        assert!(!csrf_matches(&token, Some(&token[..63])));
        assert!(!csrf_matches(&token, Some(&random_token())));
        assert!(!csrf_matches("", Some("")));
        let mut flipped = token.clone().into_bytes();
        flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
        assert!(!csrf_matches(
            &token,
            Some(&String::from_utf8(flipped).unwrap())
        ));
    }

    #[test]
    fn cookies_are_found_by_exact_name_and_set_with_their_attributes() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "og_console_sign_in=abc; og_console=xyz".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "og"), None);
        assert_eq!(
            set_cookie(SESSION_COOKIE, "v", None, false),
            "og_console=v; Path=/console; HttpOnly; SameSite=Strict"
        );
        assert!(set_cookie(SESSION_COOKIE, "v", Some(0), true).ends_with("; Max-Age=0; Secure"));
        headers.insert("x-forwarded-proto", "HTTPS".parse().unwrap());
        assert!(over_tls(&headers));
    }
}

//! Console helpers over plain HTTP (no browser): a client that shows the console's own
//! answers (no cookies kept, no redirects followed), cookies, the sign-in form, posting forms.

#![allow(dead_code)]

use std::time::Duration;

use super::{eventually, TestApp};

/// A client that keeps no cookies and follows no redirects, to see the console's answers.
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of `name` in the `Set-Cookie` fields of `response`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The value of the hidden input named `name` in `html`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden input") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `GET path` with `headers` (a session cookie, a language), as the console answers it.
pub async fn get_page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = raw_client().get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("get")
}

/// Sends the sign-in form with `key` (and extra `headers`), as a browser would: the form's
/// token and its cookie from a fresh sign-in page.
pub async fn post_sign_in(app: &TestApp, key: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = raw_client();
    let form = get_page(app, "/console/sign-in", &[]).await;
    let token_cookie = set_cookie(&form, "og_console_sign_in").expect("sign-in cookie");
    let html = form.text().await.unwrap();
    let mut post = client
        .post(app.url("/console/sign-in"))
        .header(
            "cookie",
            format!("og_console_sign_in={}", cookie_value(&token_cookie)),
        )
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("key", key)]);
    for (name, value) in headers {
        post = post.header(*name, *value);
    }
    post.send().await.unwrap()
}

/// Signs in over plain HTTP; returns the session cookie's full `Set-Cookie` and the session's
/// CSRF token (read from a page's sign-out form).
pub async fn sign_in_raw(app: &TestApp, key: &str, headers: &[(&str, &str)]) -> (String, String) {
    let signed_in = post_sign_in(app, key, headers).await;
    assert_eq!(signed_in.status(), 303, "sign-in");
    let session = set_cookie(&signed_in, "og_console").expect("session cookie");
    let cookie = format!("og_console={}", cookie_value(&session));
    let home = get_page(app, "/console", &[("cookie", &cookie)]).await;
    let first_page = home.headers()["location"].to_str().unwrap().to_owned();
    let page = get_page(app, &first_page, &[("cookie", &cookie)])
        .await
        .text()
        .await
        .unwrap();
    (session, hidden(&page, "csrf"))
}

/// `POST path` of a console form with the session `cookie`.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    raw_client()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("post")
}

/// Adds `stanza` to the keys file and waits until `secret` is known.
pub async fn add_stanza(app: &TestApp, secret: &str, stanza: &str) {
    let mut keys = std::fs::read_to_string(&app.keys_file).expect("keys");
    keys.push_str(stanza);
    std::fs::write(&app.keys_file, keys).expect("write keys");
    // Known: anything but 401 `unauthorized` (an expired key answers `key_expired`).
    let loaded = eventually(Duration::from_secs(10), || async {
        let answer = app.get("/v1/registry/requests").key(secret).send().await;
        answer.status != 401 || answer.json["code"] == "key_expired"
    })
    .await;
    assert!(loaded, "the key was never loaded");
}

/// The ids of the request rows of a list page, in order.
pub fn row_ids(html: &str) -> Vec<String> {
    html.split("<tr data-id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The href of the page's "next page" link.
pub fn next_link(html: &str) -> Option<String> {
    let start = html.find("<a href=\"")?;
    html[start..]
        .split("<a href=\"")
        .filter(|a| a.contains("rel=\"next\""))
        .find_map(|a| a.split('"').next())
        .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"))
}

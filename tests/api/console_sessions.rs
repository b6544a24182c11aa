//! The console's sessions, limits and paging over plain HTTP against the real service and
//! Redis: a session's sliding expiry, roles without pages, forged sign-ins, a removed key, the
//! key's rate limit, expired keys, and the registry queue's pages.

use std::time::Duration;

use originguard::auth::{Caller, Role};

use crate::common::console_http::{
    add_stanza, cookie_value, get_page, next_link, post_sign_in, raw_client, row_ids, set_cookie,
    sign_in_raw,
};
use crate::common::takedowns::{self, request};
use crate::common::{eventually, TestApp};

#[tokio::test]
async fn a_session_slides_its_expiry_and_keys_without_console_pages_are_refused() {
    let app = TestApp::spawn().await;
    let (session, _) = sign_in_raw(&app, &app.keys[&Role::Registry], &[]).await;
    let id = cookie_value(&session);
    let store = app.redis.store().await;
    let left = originguard::store::console::ttl(&store, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(left > 1700 && left <= 1800, "{left}");
    // Nearly idle out: one page in the session pushes the expiry back to 30 minutes.
    let key = format!("og:{{console:{id}}}");
    let _: i64 = redis::cmd("EXPIRE")
        .arg(&key)
        .arg(5)
        .query(&mut app.redis.connection())
        .unwrap();
    let page = get_page(
        &app,
        "/console/registry",
        &[("cookie", &format!("og_console={id}"))],
    )
    .await;
    assert_eq!(page.status(), 200);
    let left = originguard::store::console::ttl(&store, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(left > 1700, "the expiry did not slide: {left}");
    // Once expired, the cookie opens nothing: back to the sign-in page.
    let _: i64 = redis::cmd("DEL")
        .arg(&key)
        .query(&mut app.redis.connection())
        .unwrap();
    let page = get_page(
        &app,
        "/console/registry",
        &[("cookie", &format!("og_console={id}"))],
    )
    .await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/console/sign-in");

    // Operators and stewards have no console pages.
    let client = raw_client();
    let refused = post_sign_in(&app, &app.keys[&Role::Operator], &[]).await;
    assert_eq!(refused.status(), 403);
    assert!(set_cookie(&refused, "og_console").is_none());

    // A sign-in without the form's token is refused too.
    let forged = client
        .post(app.url("/console/sign-in"))
        .form(&[("key", app.keys[&Role::Registry].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // A key removed from the keys file ends its sessions' use at once.
    std::fs::write(&app.keys_file, "").unwrap();
    let gone = eventually(Duration::from_secs(10), || async {
        get_page(
            &app,
            "/console/registry",
            &[("cookie", &format!("og_console={id}"))],
        )
        .await
        .status()
            == 303
    })
    .await;
    assert!(gone, "the session outlived its key");
}

#[tokio::test]
async fn console_pages_are_charged_to_the_keys_rate_limit_and_expired_keys_cannot_sign_in() {
    let app = TestApp::builder()
        .settings(originguard::app::Settings {
            rate_limits: Some(originguard::app::RateLimitSettings {
                reconcile_every: Duration::from_millis(5),
            }),
            ..originguard::app::Settings::default()
        })
        .spawn()
        .await;
    let reviewer = Caller {
        name: "vnnic-reviewer".into(),
        role: Role::Registry,
        agency: None,
        operator: None,
        platform: None,
        key_id: None,
    };
    let (limited, mut stanza) = originguard::auth::new_key_stanza(&reviewer).unwrap();
    stanza.push_str("rate_per_minute = 1\nburst = 8\n");
    add_stanza(&app, &limited, &stanza).await;
    let (session, _) = sign_in_raw(&app, &limited, &[]).await;
    let cookie = format!("og_console={}", cookie_value(&session));
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let page = get_page(&app, "/console/registry", &[("cookie", &cookie)]).await;
        let status = page.status().as_u16();
        let text = page.text().await.unwrap();
        if status == 429 {
            assert!(text.contains("Too many requests for this key"), "{text}");
        }
        statuses.push(status);
    }
    // The pages are served until the key's burst is spent, then refused.
    assert_eq!(statuses.first(), Some(&200), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");

    let (expired, stanza) = originguard::auth::new_key_stanza_until(
        &Caller {
            name: "old-reviewer".into(),
            ..reviewer
        },
        Some(chrono::Utc::now() - chrono::Duration::days(1)),
    )
    .unwrap();
    add_stanza(&app, &expired, &stanza).await;
    let refused = post_sign_in(&app, &expired, &[]).await;
    assert_eq!(refused.status(), 401);
    assert!(set_cookie(&refused, "og_console").is_none());
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("This key has expired."));
}

#[tokio::test]
async fn the_queue_is_paged_oldest_first_and_filters_keep_their_paging() {
    let (app, _dns) = takedowns::app().await;
    let lines: Vec<String> = (0..30)
        .map(|i| request(&format!("https://shop{i}.example.vn/p/1")).to_string())
        .collect();
    let answer = app
        .request(reqwest::Method::POST, "/v1/takedowns/batch")
        .key(&app.keys[&Role::Authority])
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n"))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let routed = eventually(takedowns::WAIT, || async {
        crate::common::platforms::registry_queue(&app).await.len() == 30
    })
    .await;
    assert!(routed, "the 30 requests never reached the queue");
    let expected = crate::common::platforms::registry_queue(&app).await;

    let (session, _) = sign_in_raw(&app, &app.keys[&Role::Registry], &[]).await;
    let cookie = format!("og_console={}", cookie_value(&session));
    let page = |path: String| {
        let cookie = cookie.clone();
        let url = app.url(&path);
        async move {
            let answer = raw_client()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
            answer.text().await.unwrap()
        }
    };
    let first = page("/console/registry".into()).await;
    assert_eq!(row_ids(&first), expected[..25], "oldest first, 25 a page");
    let next = next_link(&first).expect("a next page");
    let second = page(next).await;
    assert_eq!(row_ids(&second), expected[25..]);
    assert!(next_link(&second).is_none());

    // A filtered page carries its filter on to the next page.
    let filtered = page("/console/registry?category=counterfeit&target=example.vn".into()).await;
    assert_eq!(row_ids(&filtered), expected[..25]);
    let next = next_link(&filtered).expect("a next page");
    assert!(
        next.contains("category=counterfeit") && next.contains("target=example.vn"),
        "{next}"
    );
    assert_eq!(row_ids(&page(next).await), expected[25..]);
    let none = page("/console/registry?category=smuggled".into()).await;
    assert!(row_ids(&none).is_empty() && none.contains("id=\"empty\""));
}

//! The web console in a real headless Chromium against the real service and Redis: signing
//! in, a registry decision, an agency's request from filing to withdrawal, a platform's
//! outcome, forged forms, another agency's request, hostile content, the languages, and
//! axe-core on every page (each page is also saved as a screenshot under
//! `target/console-screenshots/`). Sessions, limits and paging over plain HTTP are in
//! `console_sessions`.

use originguard::auth::{Caller, Role};
use serde_json::{json, Value};

use crate::common::browser::Browser;
use crate::common::console_http::{cookie_value, get_page, post_form, sign_in_raw};
use crate::common::platforms::{add_key, load_test_lists};
use crate::common::takedowns::{self, request, submit_until, wait_for};
use crate::common::TestApp;

/// A browser signed in with `key`, and the app's base URL.
async fn signed_in(app: &TestApp, key: &str) -> (Browser, String) {
    let browser = Browser::start().await;
    let base = app.url("");
    browser.sign_in(&base, key).await;
    (browser, base)
}

async fn api_state(app: &TestApp, id: &str) -> Value {
    takedowns::takedown(app, id).await
}

#[tokio::test]
async fn registry_reviewer_signs_in_reviews_and_suspends_a_request() {
    let (app, _dns) = takedowns::app().await;
    let id = submit_until(&app, "https://shop.example.vn/p/1", "pending_review").await;
    let browser = Browser::start().await;
    let base = app.url("");

    browser.goto(&format!("{base}/console/sign-in")).await;
    browser.check_page("sign-in").await;
    browser.sign_in(&base, &app.keys[&Role::Registry]).await;
    assert_eq!(browser.path().await, "/console/registry");
    let row = format!("tr[data-id='{id}'] a");
    assert!(browser.has(&row).await, "the request is in the queue");
    browser.check_page("registry-queue").await;

    browser
        .goto(&format!(
            "{base}/console/registry?state=pending_review&category=smuggled"
        ))
        .await;
    assert!(!browser.has(&row).await, "filtered out by category");
    browser
        .goto(&format!(
            "{base}/console/registry?category=counterfeit&target=shop.example"
        ))
        .await;
    assert!(browser.has(&row).await, "kept by category and target");

    browser.submit(&row).await;
    assert_eq!(browser.path().await, format!("/console/registry/{id}"));
    assert_eq!(
        browser.text_content("#target").await,
        "https://shop.example.vn/p/1"
    );
    assert!(browser
        .text_content("#evidence")
        .await
        .contains("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    assert_eq!(
        browser.text_content("#document-number").await,
        "123/QĐ-QLTT"
    );
    assert!(browser.has("#h-resolution").await);
    browser.check_page("registry-request").await;

    browser.click("#d-suspend").await;
    browser.fill("#suspend_days", "30").await;
    browser
        .fill("#reason", "counterfeit shoes, decision 123/QĐ-QLTT")
        .await;
    browser.submit("#decision-form button").await;
    assert_eq!(browser.path().await, format!("/console/registry/{id}"));
    assert_eq!(browser.text_content("#state").await, "suspended");
    assert_eq!(browser.text_content("#days-left").await, "30");
    assert!(
        browser.has(".notice").await,
        "the page says the decision was recorded"
    );
    browser.check_page("registry-request-suspended").await;

    let record = api_state(&app, &id).await;
    assert_eq!(record["state"], "suspended");
    assert_eq!(record["suspension"]["days"], 30);
    let last = record["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["actor"], "test-registry",
        "audited under the key's name"
    );
    assert_eq!(last["reason"], "counterfeit shoes, decision 123/QĐ-QLTT");
    let actions = takedowns::audit_actions(&app, &id).await;
    assert_eq!(
        actions.last().map(String::as_str),
        Some("takedown.decision"),
        "{actions:?}"
    );

    // Signing out ends the session: the old cookie no longer opens a page.
    browser
        .submit("form[action='/console/sign-out'] button")
        .await;
    assert_eq!(browser.path().await, "/console/sign-in");
    browser.goto(&format!("{base}/console/registry")).await;
    assert_eq!(browser.path().await, "/console/sign-in");
    browser.quit().await;
}

#[tokio::test]
async fn an_agency_files_follows_and_withdraws_a_request() {
    let (app, _dns) = takedowns::app().await;
    let (browser, base) = signed_in(&app, &app.keys[&Role::Authority]).await;
    assert_eq!(browser.path().await, "/console/takedowns");
    browser.check_page("agency-list-empty").await;

    browser.goto(&format!("{base}/console/takedowns/new")).await;
    browser.check_page("agency-new").await;
    browser
        .fill("#target", "https://giay-gia.example.com/p/2")
        .await;
    browser
        .find("#category")
        .await
        .select_by_value("counterfeit")
        .await
        .unwrap();
    browser.fill("#document_number", "125/QĐ-QLTT").await;
    // A date input takes the keys of its locale's format (mm/dd/yyyy for en-US).
    browser.fill("#issued_on", "11022026").await;
    browser.fill("#issuer", "Cục QLTT Hà Nội").await;
    browser
        .fill("#evidence_url", "https://giay-gia.example.com/p/2")
        .await;
    browser
        .fill(
            "#evidence_sha256",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        )
        .await;
    browser
        .fill("#evidence_captured_at", "2026-11-01T08:00:00Z")
        .await;
    browser.submit("#file-form button").await;
    let path = browser.path().await;
    let id = path
        .strip_prefix("/console/takedowns/")
        .expect("request page")
        .to_owned();
    assert!(id.starts_with("td_"), "{path}");
    assert!(browser.has(".notice").await);

    // Followed: the workers route it to the operators' blocklist.
    wait_for(&app, &id, "blocked").await;
    browser
        .goto(&format!("{base}/console/takedowns/{id}"))
        .await;
    assert_eq!(browser.text_content("#state").await, "blocked");
    browser.check_page("agency-request").await;
    browser.goto(&format!("{base}/console/takedowns")).await;
    assert!(browser.has(&format!("tr[data-id='{id}']")).await);
    assert!(browser.has("#blocklist-version").await);
    browser.check_page("agency-list").await;

    browser
        .goto(&format!("{base}/console/takedowns/{id}"))
        .await;
    browser
        .fill("#withdraw-reason", "lifted by court order 45/2026")
        .await;
    browser.submit("#withdraw-form button").await;
    assert_eq!(browser.text_content("#state").await, "lifted");
    assert!(browser
        .text_content("#history")
        .await
        .contains("lifted by court order 45/2026"));
    let record = api_state(&app, &id).await;
    assert_eq!(record["state"], "lifted");
    assert_eq!(record["submitted_by"], "test-authority");

    // A batch: one good line, one bad.
    let file = app.dir().join("batch.ndjson");
    let good = request("https://batch-shop.example.com/p/1");
    std::fs::write(&file, format!("{good}\n{{\"target\":\"\"}}\n")).unwrap();
    browser.goto(&format!("{base}/console/takedowns/new")).await;
    browser.fill("#file", file.to_str().unwrap()).await;
    browser.submit("#batch-form button").await;
    assert_eq!(browser.text_content("#accepted-count").await, "1");
    assert_eq!(browser.text_content("#rejected-count").await, "1");
    browser.check_page("agency-batch").await;
    browser.quit().await;
}

#[tokio::test]
async fn a_held_request_moves_on_only_with_the_audited_confirmation() {
    let (app, _dns) = takedowns::app().await;
    load_test_lists(&app).await;
    let id = submit_until(&app, "shopee.vn", "needs_review").await;
    let (browser, base) = signed_in(&app, &app.keys[&Role::Authority]).await;
    browser
        .goto(&format!("{base}/console/takedowns/{id}"))
        .await;
    assert!(browser.has("#findings").await);
    browser.check_page("agency-needs-review").await;
    // Without the box ticked (the browser's own check removed), the API's rule refuses it.
    browser
        .client
        .execute(
            "document.getElementById('accept_collateral').required = false;",
            vec![],
        )
        .await
        .unwrap();
    browser
        .fill("#confirm-reason", "the platform itself sells fakes")
        .await;
    browser.submit("#confirm-form button").await;
    assert!(browser
        .text_content("main")
        .await
        .contains("accept_collateral"));
    assert_eq!(api_state(&app, &id).await["state"], "needs_review");
    browser.quit().await;
}

#[tokio::test]
async fn a_platform_reports_an_outcome() {
    let (app, _dns) = takedowns::app().await;
    load_test_lists(&app).await;
    let id = submit_until(&app, "https://shopee.vn/fake-shop-99", "pending_platform").await;
    let (browser, _) = signed_in(&app, &app.keys[&Role::Platform]).await;
    assert_eq!(browser.path().await, "/console/notices");
    let card = format!("#notice-{id}");
    assert!(browser.has(&card).await);
    assert_eq!(
        browser.text_content(&format!("{card} .account")).await,
        "fake-shop-99"
    );
    browser.check_page("platform-notices").await;
    browser.click(&format!("#o-removed-{id}")).await;
    browser
        .fill(&format!("#reason-{id}"), "listing taken down")
        .await;
    browser.submit(&format!("{card} form button")).await;
    assert!(browser.has(".notice").await);
    assert!(
        !browser.has(&format!("{card} form")).await,
        "no form once answered"
    );
    assert_eq!(api_state(&app, &id).await["state"], "removed");
    browser.check_page("platform-notices-answered").await;
    browser.quit().await;
}

#[tokio::test]
async fn a_forged_form_without_the_sessions_token_is_refused() {
    let (app, _dns) = takedowns::app().await;
    let id = submit_until(&app, "https://shop.example.vn/p/1", "pending_review").await;
    let (session, csrf) = sign_in_raw(&app, &app.keys[&Role::Registry], &[]).await;
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    assert!(session.contains("Path=/console") && !session.contains("Secure"));
    let cookie = format!("og_console={}", cookie_value(&session));
    let decision = format!("/console/registry/{id}/decision");
    let wrong = "0".repeat(64);
    for token in [None, Some(wrong.as_str()), Some(&csrf[..63])] {
        let mut form = vec![("decision", "reject"), ("reason", "forged")];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let answer = post_form(&app, &decision, &cookie, &form).await;
        assert_eq!(answer.status(), 403);
        assert!(answer.text().await.unwrap().contains("security token"));
    }
    assert_eq!(api_state(&app, &id).await["state"], "pending_review");

    // The same in the browser: a form whose token was removed is refused with a page.
    let (browser, base) = signed_in(&app, &app.keys[&Role::Registry]).await;
    browser.goto(&format!("{base}/console/registry/{id}")).await;
    browser
        .client
        .execute(
            "document.querySelector('#decision-form input[name=csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
    browser.click("#d-reject").await;
    browser.fill("#reason", "forged").await;
    browser.submit("#decision-form button").await;
    assert!(browser
        .text_content("#message")
        .await
        .contains("security token"));
    browser.check_page("csrf-refused").await;
    assert_eq!(api_state(&app, &id).await["state"], "pending_review");

    // With the token the same form works.
    let answer = post_form(
        &app,
        &decision,
        &cookie,
        &[
            ("decision", "reject"),
            ("reason", "not ours"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(api_state(&app, &id).await["state"], "rejected");

    // Secure behind TLS.
    let (secure, _) = sign_in_raw(
        &app,
        &app.keys[&Role::Registry],
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert!(secure.contains("; Secure"), "{secure}");
    browser.quit().await;
}

#[tokio::test]
async fn another_agencys_request_is_not_visible() {
    let (app, _dns) = takedowns::app().await;
    let id = submit_until(&app, "https://shop.example.vn/p/1", "pending_review").await;
    let other = add_key(
        &app,
        Caller {
            name: "police-hcm".into(),
            role: Role::Authority,
            agency: Some("Công an TP.HCM".into()),
            operator: None,
            platform: None,
            key_id: None,
        },
    )
    .await;
    let (browser, base) = signed_in(&app, &other).await;
    assert!(!browser.has(&format!("tr[data-id='{id}']")).await);
    browser
        .goto(&format!("{base}/console/takedowns/{id}"))
        .await;
    assert!(browser.has("#message").await);
    assert!(!browser
        .text_content("main")
        .await
        .contains("shop.example.vn"));
    browser.check_page("not-found").await;
    let (session, csrf) = sign_in_raw(&app, &other, &[]).await;
    let cookie = format!("og_console={}", cookie_value(&session));
    let page = get_page(
        &app,
        &format!("/console/takedowns/{id}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(page.status(), 404);
    let withdraw = post_form(
        &app,
        &format!("/console/takedowns/{id}/withdraw"),
        &cookie,
        &[("reason", "not mine"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(withdraw.status(), 404);
    assert_eq!(api_state(&app, &id).await["state"], "pending_review");
    browser.quit().await;
}

/// Markup, quotes, an RTL override and zero-width characters.
const HOSTILE: &str = "\"><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">'\u{202E}gnp.exe\u{200B}\u{200D}&amp;";

#[tokio::test]
async fn hostile_content_renders_as_text_never_markup() {
    let (app, _dns) = takedowns::app().await;
    let hostile_key = add_key(
        &app,
        Caller {
            name: HOSTILE.into(),
            role: Role::Authority,
            agency: Some(HOSTILE.into()),
            operator: None,
            platform: None,
            key_id: None,
        },
    )
    .await;
    let evidence_url = "https://shop.example.vn/p/1?q=\"><script>window.__pwned=3</script>\u{202E}";
    let mut body = request("https://shop.example.vn/p/1");
    body["notes"] = json!(HOSTILE);
    body["legal_basis"]["issuer"] = json!(HOSTILE);
    body["evidence"][0]["url"] = json!(evidence_url);
    body["evidence"][0]["description"] = json!(HOSTILE);
    let answer = app
        .request(reqwest::Method::POST, "/v1/takedowns")
        .key(&hostile_key)
        .json(&body)
        .send()
        .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let id = answer.json["id"].as_str().unwrap().to_owned();
    wait_for(&app, &id, "pending_review").await;
    let withdrawn = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/takedowns/{id}/withdraw"),
        )
        .key(&hostile_key)
        .json(&json!({"reason": HOSTILE}))
        .send()
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);

    let (browser, base) = signed_in(&app, &hostile_key).await;
    browser
        .goto(&format!("{base}/console/takedowns/{id}"))
        .await;
    let injected = browser
        .client
        .execute(
            "return [window.__pwned === undefined, document.querySelectorAll('script').length, document.querySelectorAll('main img').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        json!([true, 0, 0]),
        "nothing ran, nothing was injected"
    );
    assert!(
        browser.client.get_alert_text().await.is_err(),
        "no alert is open"
    );
    assert_eq!(browser.text_content("#notes").await, HOSTILE);
    assert_eq!(browser.text_content("#issuer").await, HOSTILE);
    assert_eq!(browser.text_content("#agency").await, HOSTILE);
    assert_eq!(browser.text_content(".user").await, HOSTILE);
    assert_eq!(browser.text_content(".evidence-url").await, evidence_url);
    assert_eq!(browser.text_content(".evidence-description").await, HOSTILE);
    assert_eq!(
        browser
            .text_content("#history tbody tr:last-child .history-reason")
            .await,
        HOSTILE
    );
    browser.check_page("hostile-content").await;

    // The same request in the registry's view.
    let registry = Browser::start().await;
    registry.sign_in(&base, &app.keys[&Role::Registry]).await;
    registry
        .goto(&format!("{base}/console/registry/{id}"))
        .await;
    let injected = registry
        .client
        .execute(
            "return [window.__pwned === undefined, document.querySelectorAll('script').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, json!([true, 0]));
    assert_eq!(registry.text_content("#notes").await, HOSTILE);
    browser.quit().await;
    registry.quit().await;
}

#[tokio::test]
async fn pages_speak_vietnamese_or_english_with_a_switch() {
    let app = TestApp::spawn().await;
    let vi = get_page(
        &app,
        "/console/sign-in",
        &[("accept-language", "vi-VN,vi;q=0.9")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        vi.contains("<html lang=\"vi\">") && vi.contains("Đăng nhập"),
        "{vi}"
    );
    let en = get_page(&app, "/console/sign-in", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Sign in"));

    let (browser, _) = signed_in(&app, &app.keys[&Role::Registry]).await;
    browser.submit("a[hreflang='vi']").await;
    assert_eq!(browser.path().await, "/console/registry");
    let lang = browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("vi"));
    assert!(browser.text_content("h1").await.contains("Hàng đợi"));
    browser.check_page("registry-queue-vi").await;

    // An unknown key and an expired session are told, in the language chosen.
    browser
        .submit("form[action='/console/sign-out'] button")
        .await;
    browser.fill("#key", "og_not-a-key").await;
    browser
        .submit("form[action='/console/sign-in'] button")
        .await;
    assert!(browser
        .text_content("#sign-in-error")
        .await
        .contains("Khóa này"));
    browser.quit().await;
}

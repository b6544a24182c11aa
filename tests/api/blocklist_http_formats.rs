//! `GET /v1/blocklist` formats and caching: the text delta (`-value` / `+value` lines after
//! `# version N since M`), the RPZ answer always full, saying so, with the canary (never in
//! JSON, text or the checksum), the configured zone and canary, weak ETags, `Vary: Accept`.

use crate::common;

use std::time::Duration;

use common::takedowns::{app, app_with_settings, settings, submit_until, wait_for, withdraw};
use common::{eventually, TestApp};
use originguard::app::Settings;
use originguard::auth::Role;
use originguard::takedown::rpz::RpzZone;
use sha2::{Digest, Sha256};

async fn get(app: &TestApp, path: &str) -> common::Answer {
    app.get_as(Role::Operator, path).send().await
}

#[tokio::test]
async fn text_with_since_is_a_delta_and_rpz_is_always_the_full_zone_with_its_canary() {
    let (app, _dns) = app().await;
    let shop = submit_until(&app, "example.com", "blocked").await;
    submit_until(&app, "203.0.113.8", "blocked").await;
    assert_eq!(withdraw(&app, &shop).await.status, 200);
    wait_for(&app, &shop, "lifted").await;

    // The delta from version 1: example.com went, the address came. A delta is answered at
    // the newest version whose checksum is known, so wait for version 3's.
    let app_ref = &app;
    let delta_at_3 = eventually(Duration::from_secs(10), || async move {
        get(app_ref, "/v1/blocklist?format=text&since=1")
            .await
            .text
            .starts_with("# version 3 since 1\n")
    })
    .await;
    let delta = get(&app, "/v1/blocklist?format=text&since=1").await;
    assert!(delta_at_3, "{}", delta.text);
    assert_eq!(
        delta.text,
        "# version 3 since 1\n-example.com\n+203.0.113.8\n"
    );
    assert_eq!(delta.header("etag"), Some("\"3\""));
    assert_eq!(delta.header("vary"), Some("accept"));
    let nothing = get(&app, "/v1/blocklist?format=text&since=3").await;
    assert_eq!(nothing.text, "# version 3 since 3\n");

    // Without since, text is the full list: no canary, and its lines make the checksum.
    let full = get(&app, "/v1/blocklist?format=text").await;
    assert_eq!(full.text, "# version 3\n203.0.113.8\n");
    let json = get(&app, "/v1/blocklist").await;
    assert_eq!(json.json["additions"].as_array().unwrap().len(), 1);
    assert!(!json.text.contains("canary"), "{}", json.text);
    assert_eq!(
        json.json["checksum"],
        hex::encode(Sha256::digest(b"203.0.113.8\n"))
    );

    // RPZ with since is still the full zone, says so, and carries the canary.
    for path in [
        "/v1/blocklist?format=rpz&since=2",
        "/v1/blocklist?format=rpz",
    ] {
        let rpz = get(&app, path).await;
        assert_eq!(rpz.status, 200, "{}", rpz.text);
        let lines: Vec<&str> = rpz.text.lines().collect();
        assert!(lines.contains(&"; originguard blocklist version 3: the full zone (an RPZ answer is never a delta)"), "{}", rpz.text);
        assert!(
            lines.contains(&"canary.rpz-test.originguard CNAME ."),
            "{}",
            rpz.text
        );
        assert!(
            lines.contains(&"32.8.113.0.203.rpz-ip CNAME ."),
            "{}",
            rpz.text
        );
        assert!(!rpz.text.contains("example.com"), "{}", rpz.text);
    }
}

#[tokio::test]
async fn weak_and_strong_etags_both_match_and_every_answer_varies_with_accept() {
    let (app, _dns) = app().await;
    submit_until(&app, "example.com", "blocked").await;
    for tag in ["W/\"1\"", "\"1\"", "\"0\", W/\"1\"", "*"] {
        let cached = app
            .get_as(Role::Operator, "/v1/blocklist")
            .header("if-none-match", tag)
            .send()
            .await;
        assert_eq!(cached.status, 304, "{tag}");
        assert_eq!(cached.header("etag"), Some("\"1\""));
        assert_eq!(cached.header("vary"), Some("accept"));
    }
    let stale = app
        .get_as(Role::Operator, "/v1/blocklist")
        .header("if-none-match", "W/\"0\"")
        .send()
        .await;
    assert_eq!(stale.status, 200);
    for accept in ["application/json", "text/plain", "text/dns"] {
        let answer = app
            .get_as(Role::Operator, "/v1/blocklist")
            .header("accept", accept)
            .send()
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("vary"), Some("accept"), "{accept}");
    }
}

#[tokio::test]
async fn the_rpz_answer_uses_the_configured_zone_and_canary() {
    let (app, _dns) = app_with_settings(Settings {
        takedowns: settings(Duration::from_secs(86_400)),
        rpz_zone: RpzZone::new("rpz.example.", "canary.example.net.").unwrap(),
        ..Settings::default()
    })
    .await;
    let rpz = get(&app, "/v1/blocklist?format=rpz").await;
    assert!(
        rpz.text.starts_with("$ORIGIN rpz.example.\n"),
        "{}",
        rpz.text
    );
    assert!(
        rpz.text.lines().any(|l| l == "canary.example.net CNAME ."),
        "{}",
        rpz.text
    );
}

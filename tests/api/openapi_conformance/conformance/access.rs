//! Every `/v1/` operation called without a key, with two keys, with each role's key and no
//! body, with a broken JSON body, and while the data store is down: the 400s, 401s, 403s,
//! 415s and 503s the document promises, and whatever else each role gets, all checked
//! against it.

use std::time::Duration;

use originguard::auth::Role;
use reqwest::Method;

use super::{expect, Client};
use crate::common::eventually;

/// An id of the right shape that names no takedown.
pub const UNKNOWN_ID: &str = "td_00000000000000000000000f";

/// `template` with its parameters filled in.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", UNKNOWN_ID)
        .replace("{code}", "0100109106")
        .replace("{kind}", "products")
}

/// The `/v1/` operations as `(method, concrete path)`.
fn api_operations(client: &Client<'_>) -> Vec<(Method, String)> {
    client
        .conf
        .operations()
        .into_iter()
        .filter_map(|op| {
            let (method, template) = op.split_once(' ')?;
            template.starts_with("/v1/").then(|| {
                (
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    concrete(template),
                )
            })
        })
        .collect()
}

/// No key is a 401 everywhere, and so are two keys; each role gets a documented answer, and
/// every operation refuses some role with 403. Runs before any data is loaded.
pub async fn roles(client: &Client<'_>) {
    for (method, path) in api_operations(client) {
        expect(&client.send(method.clone(), &path, |c| c).await, 401);
        let admin = client.key(Role::Admin).to_owned();
        let steward = client.key(Role::Steward).to_owned();
        let twice = client
            .send(method.clone(), &path, |c| c.key(&admin).key(&steward))
            .await;
        expect(&twice, 401);
        let mut forbidden = Vec::new();
        for role in Role::ALL {
            let key = client.key(role).to_owned();
            let answer = client.send(method.clone(), &path, |c| c.key(&key)).await;
            if answer.status == 403 {
                forbidden.push(role);
            }
        }
        if method == Method::POST {
            let broken = client
                .send(method.clone(), &path, |c| {
                    c.key(&admin)
                        .header("content-type", "application/json")
                        .body("{")
                })
                .await;
            assert!(broken.status < 500, "{method} {path}: {}", broken.text);
        }
        assert!(!forbidden.is_empty(), "{method} {path} refuses no role");
        assert!(
            !forbidden.contains(&Role::Admin),
            "{method} {path} refuses admin"
        );
    }
}

/// With Redis gone, every `/v1/` operation answers the documented 503 and `/readyz` too.
pub async fn store_down(client: &Client<'_>) {
    let admin = client.key(Role::Admin).to_owned();
    // A handler that meets the dead connection answers 503 too; the watcher's 503 (with
    // `Retry-After`) comes once it has noticed.
    let down = eventually(Duration::from_secs(30), || async {
        let answer = client
            .send(Method::GET, "/v1/takedowns", |c| c.key(&admin))
            .await;
        answer.status == 503 && answer.header("retry-after").is_some()
    })
    .await;
    assert!(down, "the service never noticed that Redis is gone");
    for (method, path) in api_operations(client) {
        let answer = client.send(method.clone(), &path, |c| c.key(&admin)).await;
        expect(&answer, 503);
        assert!(answer.header("retry-after").is_some(), "{method} {path}");
    }
    expect(&client.send(Method::GET, "/readyz", |c| c).await, 503);
}

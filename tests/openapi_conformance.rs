//! The OpenAPI document says what the service does: every reference in it resolves, its
//! operation ids are unique, its examples fit its schemas, and the real app, driven through
//! every operation with realistic requests (valid and invalid, each role, the data store up
//! and down), answers only statuses, content types and bodies the document describes.

mod common;
mod conformance;

use std::time::Duration;

use common::takedowns::{app_with_settings, settings};
use common::Answer;
use conformance::checker::Conformance;
use conformance::{access, enforcement, verification, Client, BODY_LIMIT};
use originguard::app::Settings;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{Map, Value};

/// Calls `visit` with every object in `node` and its JSON pointer.
fn each_object(node: &Value, at: &str, visit: &mut dyn FnMut(&str, &Map<String, Value>)) {
    let children: Vec<(String, &Value)> = match node {
        Value::Object(map) => {
            visit(at, map);
            map.iter().map(|(k, v)| (k.clone(), v)).collect()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        each_object(child, &format!("{at}/{key}"), visit);
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    let conf = Conformance::new();
    let mut found: Vec<(String, String)> = Vec::new();
    each_object(conf.doc(), "", &mut |at, map| {
        if let Some(Value::String(target)) = map.get("$ref") {
            found.push((at.to_owned(), target.clone()));
        }
    });
    assert!(!found.is_empty());
    let dangling: Vec<_> = found
        .iter()
        .filter(|(_, target)| {
            target
                .strip_prefix('#')
                .is_none_or(|pointer| conf.doc().pointer(pointer).is_none())
        })
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

#[test]
fn operation_ids_and_each_operations_parameters_are_unique() {
    let conf = Conformance::new();
    let mut ids: Vec<String> = Vec::new();
    for item in conf.doc()["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("path item").values() {
            ids.push(
                operation["operationId"]
                    .as_str()
                    .expect("operationId")
                    .into(),
            );
            let mut parameters: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| format!("{} in {}", p["name"], p["in"]))
                .collect();
            let count = parameters.len();
            parameters.sort();
            parameters.dedup();
            assert_eq!(parameters.len(), count, "a parameter twice in {operation}");
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicated operationIds among {ids:?}");
}

/// Every `(where, schema, example)` in `map`: a parameter's or media type's example against
/// its `schema`, a schema's own `example` and `examples` against that schema.
fn examples(at: &str, map: &Map<String, Value>, out: &mut Vec<(String, Value, Value)>) {
    let own = |key: &str| {
        let mut schema = map.clone();
        schema.remove(key);
        Value::Object(schema)
    };
    if let Some(example) = map.get("example") {
        let schema = map.get("schema").cloned().unwrap_or_else(|| own("example"));
        out.push((at.to_owned(), schema, example.clone()));
    }
    if let (Some(Value::Array(list)), None) = (map.get("examples"), map.get("schema")) {
        for example in list {
            out.push((at.to_owned(), own("examples"), example.clone()));
        }
    }
}

#[test]
fn every_example_in_the_document_fits_its_schema() {
    let conf = Conformance::new();
    let mut found = Vec::new();
    each_object(conf.doc(), "", &mut |at, map| examples(at, map, &mut found));
    assert!(
        found.len() > 20,
        "the document has examples: {}",
        found.len()
    );
    let misfits: Vec<String> = found
        .iter()
        .flat_map(|(at, schema, example)| {
            conf.validate(schema, example)
                .into_iter()
                .map(move |error| format!("{at}: {error}"))
        })
        .collect();
    assert!(misfits.is_empty(), "{}", misfits.join("\n"));
}

fn answer(status: u16, content_type: &str, body: &str) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("type"),
    );
    Answer {
        status,
        headers,
        text: body.to_owned(),
        json: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

#[test]
fn the_checker_refuses_undocumented_statuses_content_types_and_bodies() {
    let conf = Conformance::new();
    let get = Method::GET;
    let ok = answer(200, "application/json", r#"{"status":"ok"}"#);
    assert_eq!(conf.check(&get, "/healthz", &ok), Vec::<String>::new());
    let teapot = answer(418, "application/json", r#"{"status":"ok"}"#);
    assert!(conf.check(&get, "/healthz", &teapot)[0].contains("status not documented"));
    let html = answer(200, "text/html", "<p>ok</p>");
    assert!(conf.check(&get, "/healthz", &html)[0].contains("content type"));
    let misfit = answer(200, "application/json", r#"{"status":7}"#);
    assert!(!conf.check(&get, "/healthz", &misfit).is_empty());
    let no_code = answer(
        401,
        "application/problem+json",
        r#"{"type":"t","title":"t","status":401,"errors":[]}"#,
    );
    assert!(!conf.check(&get, "/v1/takedowns", &no_code).is_empty());
    let batch = Method::POST;
    let half = answer(200, "application/x-ndjson", "{\"line\":1}\n");
    assert!(!conf
        .check(&batch, "/v1/claims/verify-batch", &half)
        .is_empty());
    let nowhere = answer(200, "application/json", "{}");
    assert!(!conf
        .check(&Method::DELETE, "/v1/takedowns", &nowhere)
        .is_empty());
}

#[tokio::test]
async fn every_operation_answers_as_its_document_says() {
    let (mut app, _dns) = app_with_settings(Settings {
        body_limit: BODY_LIMIT,
        takedowns: settings(Duration::from_secs(86_400)),
        ..Settings::default()
    })
    .await;
    let conf = Conformance::new();
    {
        let client = Client {
            app: &app,
            conf: &conf,
        };
        access::roles(&client).await;
        verification::operations(&client).await;
        verification::reference(&client).await;
        verification::traceability(&client).await;
        verification::tax_and_invoices(&client).await;
        verification::claims(&client).await;
        verification::resolve(&client).await;
        let filed = enforcement::submit(&client).await;
        enforcement::listing(&client, &filed).await;
        enforcement::withdraw_and_confirm(&client, &filed).await;
        enforcement::registry(&client, &filed).await;
        enforcement::blocklist(&client).await;
        enforcement::platform(&client, &filed).await;
        enforcement::audit_and_queue(&client, &filed).await;
    }
    app.redis.kill();
    access::store_down(&Client {
        app: &app,
        conf: &conf,
    })
    .await;

    let problems = conf.problems();
    assert!(
        problems.is_empty(),
        "{} answers do not fit the document:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let seen = conf.seen();
    for operation in conf.operations() {
        let statuses = seen.get(&operation);
        assert!(
            statuses.is_some_and(|s| s.iter().any(|s| (200..300).contains(s))),
            "{operation} never answered with success: {statuses:?}"
        );
    }
    app.stop().await;
}

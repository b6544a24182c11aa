//! Driving the real app through every operation of its OpenAPI document and checking each
//! answer against it: [`checker`] judges answers, the scenario modules make the requests (the
//! document's own request examples wherever they apply), [`Client`] sends them with the key
//! of a role.

#![allow(dead_code)]

pub mod access;
pub mod checker;
pub mod enforcement;
pub mod verification;

use originguard::auth::Role;
use reqwest::Method;
use serde_json::Value;

use crate::common::{Answer, Call, TestApp};
use checker::Conformance;

/// The app's body limit in these tests: above every JSON body they send but one.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Sends requests to the app and has every answer checked.
pub struct Client<'a> {
    /// The app.
    pub app: &'a TestApp,
    /// The checker.
    pub conf: &'a Conformance,
}

impl Client<'_> {
    /// `method path` as built by `build`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(Call) -> Call,
    ) -> Answer {
        self.conf.send(self.app, method, path, build).await
    }

    /// The key of `role`.
    pub fn key(&self, role: Role) -> &str {
        &self.app.keys[&role]
    }

    /// `GET path` as `role`.
    pub async fn get(&self, role: Role, path: &str) -> Answer {
        let key = self.key(role).to_owned();
        self.send(Method::GET, path, |c| c.key(&key)).await
    }

    /// `GET path` as `role` with one more header.
    pub async fn get_with(&self, role: Role, path: &str, header: (&str, &str)) -> Answer {
        let key = self.key(role).to_owned();
        self.send(Method::GET, path, |c| {
            c.key(&key).header(header.0, header.1)
        })
        .await
    }

    /// `GET path` as `role`; asserts the answer's `status`.
    pub async fn get_expect(&self, role: Role, path: &str, status: u16) -> Answer {
        let answer = self.get(role, path).await;
        expect(&answer, status);
        answer
    }

    /// `GET path` as `role`; asserts a 200 that mentions `id`.
    pub async fn lists(&self, role: Role, path: &str, id: &str) {
        let answer = self.get_expect(role, path, 200).await;
        assert!(answer.text.contains(id), "{id} not in {}", answer.text);
    }

    /// `POST path` as `role` with a JSON body; asserts the answer's `status`.
    pub async fn post_expect(&self, role: Role, path: &str, body: &Value, status: u16) -> Answer {
        let answer = self.post(role, path, body).await;
        expect(&answer, status);
        answer
    }

    /// `POST path` as `role` with a JSON body.
    pub async fn post(&self, role: Role, path: &str, body: &Value) -> Answer {
        self.post_with(role, path, body, &[]).await
    }

    /// `POST path` as `role` with a JSON body and more headers.
    pub async fn post_with(
        &self,
        role: Role,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let key = self.key(role).to_owned();
        self.send(Method::POST, path, |c| keyed(c, &key, headers).json(body))
            .await
    }

    /// `method path` as `role` with a raw body and, when given, a content type.
    pub async fn raw(
        &self,
        role: Role,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: String,
    ) -> Answer {
        let key = self.key(role).to_owned();
        self.send(method, path, |c| {
            let c = c.key(&key);
            match content_type {
                Some(t) => c.header("content-type", t).body(body),
                None => c.body(body),
            }
        })
        .await
    }

    /// `POST path` as `role` with an NDJSON body and more headers.
    pub async fn post_ndjson(
        &self,
        role: Role,
        path: &str,
        body: String,
        headers: &[(&str, &str)],
    ) -> Answer {
        let key = self.key(role).to_owned();
        self.send(Method::POST, path, |c| {
            keyed(c, &key, headers)
                .header("content-type", "application/x-ndjson")
                .body(body)
        })
        .await
    }

    /// The document's request example of `method template`: the media type's `example`, else
    /// the example of the schema it names.
    pub fn example(&self, method: Method, template: &str) -> Value {
        let doc = self.conf.doc();
        let content =
            &doc["paths"][template][method.as_str().to_lowercase()]["requestBody"]["content"];
        let media = content
            .as_object()
            .and_then(|c| c.values().next())
            .unwrap_or_else(|| panic!("{method} {template} has no request body"));
        if let Some(example) = media.get("example") {
            return example.clone();
        }
        let name = media["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("{method} {template}: no example and no named schema"));
        doc["components"]["schemas"][name]["example"].clone()
    }
}

/// `call` with the key `key` and `headers`.
fn keyed(call: Call, key: &str, headers: &[(&str, &str)]) -> Call {
    headers.iter().fold(call.key(key), |call, (name, value)| {
        call.header(name, value)
    })
}

/// Asserts that `answer` has `status`; returns it.
pub fn expect(answer: &Answer, status: u16) -> &Answer {
    assert_eq!(answer.status, status, "{}", answer.text);
    answer
}

/// `answer`'s `name` field, once `answer` is asserted to have `status`.
pub fn field<'a>(answer: &'a Answer, status: u16, name: &str) -> &'a Value {
    &expect(answer, status).json[name]
}

/// The lines of a 200 NDJSON answer, each asserted to hold `name`.
pub fn lines_holding(answer: &Answer, name: &str) -> Vec<Value> {
    let lines = ndjson_lines(expect(answer, 200));
    let holding = lines.iter().all(|line| !line[name].is_null());
    assert!(holding, "a line without `{name}`: {}", answer.text);
    lines
}

/// The lines of an NDJSON answer.
pub fn ndjson_lines(answer: &Answer) -> Vec<Value> {
    answer
        .text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect()
}

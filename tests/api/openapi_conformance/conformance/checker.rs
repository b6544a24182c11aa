//! Checks real answers against the OpenAPI document the code generates: the status is
//! documented for the operation, the content type for that status, and the body fits the
//! documented schema (JSON Schema 2020-12, `$ref`s resolved within the document; NDJSON line
//! by line; a text body as a JSON string). Every answer seen is recorded, so that a test can
//! also ask which operations were never answered with success.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, Validator};
use reqwest::Method;
use serde_json::Value;

use crate::common::{Answer, Call, TestApp};

/// The document, the answers seen and the problems found.
pub struct Conformance {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
    seen: Mutex<BTreeMap<String, BTreeSet<u16>>>,
    problems: Mutex<Vec<String>>,
}

impl Conformance {
    /// The document `originguard::http::router::openapi()` generates.
    pub fn new() -> Conformance {
        Conformance::with_document(
            serde_json::to_value(originguard::http::router::openapi()).expect("document as JSON"),
        )
    }

    /// A checker of `doc`.
    pub fn with_document(doc: Value) -> Conformance {
        Conformance {
            doc,
            validators: Mutex::default(),
            seen: Mutex::default(),
            problems: Mutex::default(),
        }
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Every operation as `METHOD /template`.
    pub fn operations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                out.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        out
    }

    /// The documented path template `path` (without query) falls under, for `method`.
    pub fn template(&self, method: &Method, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        let method = method.as_str().to_lowercase();
        let mut best: Option<(usize, String)> = None;
        for (template, item) in self.doc["paths"].as_object()? {
            if item.get(&method).is_none() {
                continue;
            }
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let fits = parts.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    !segment.is_empty()
                } else {
                    literal += 1;
                    part == segment
                }
            });
            if fits && best.as_ref().is_none_or(|(score, _)| literal > *score) {
                best = Some((literal, template.clone()));
            }
        }
        best.map(|(_, template)| template)
    }

    /// What is wrong with `answer` to `method path`, by the document; empty when it fits.
    pub fn check(&self, method: &Method, path: &str, answer: &Answer) -> Vec<String> {
        let Some(template) = self.template(method, path) else {
            return vec![format!(
                "{method} {path}: no such operation in the document"
            )];
        };
        let operation = &self.doc["paths"][&template][method.as_str().to_lowercase()];
        let what = format!("{method} {path} → {}", answer.status);
        let status = answer.status.to_string();
        let range = format!("{}XX", &status[..1]);
        let responses = &operation["responses"];
        let Some(response) = [status.as_str(), range.as_str(), "default"]
            .iter()
            .find_map(|key| responses.get(*key))
        else {
            return vec![format!(
                "{what}: status not documented ({})",
                keys(responses)
            )];
        };
        let content = response["content"].as_object().filter(|c| !c.is_empty());
        let Some(content) = content else {
            return if answer.text.is_empty() {
                Vec::new()
            } else {
                vec![format!("{what}: a body where none is documented")]
            };
        };
        let media = answer
            .header("content-type")
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(documented) = content.get(&media) else {
            return vec![format!(
                "{what}: content type `{media}` not documented ({})",
                keys(&response["content"])
            )];
        };
        let schema = &documented["schema"];
        let instances: Result<Vec<Value>, String> = if media == "application/x-ndjson" {
            answer
                .text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).map_err(|e| format!("a line is not JSON ({e})")))
                .collect()
        } else if media.ends_with("json") {
            serde_json::from_str(&answer.text)
                .map(|v| vec![v])
                .map_err(|e| format!("not JSON ({e})"))
        } else {
            Ok(vec![Value::String(answer.text.clone())])
        };
        match instances {
            Err(error) => vec![format!("{what}: {error}: {}", answer.text)],
            Ok(instances) => instances
                .iter()
                .flat_map(|instance| self.validate(schema, instance))
                .map(|error| format!("{what} ({media}): {error}"))
                .collect(),
        }
    }

    /// The errors of `instance` against `schema`, whose `$ref`s point into the document.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let validator = match self.validator(schema) {
            Ok(validator) => validator,
            Err(error) => return vec![format!("schema {schema} does not compile: {error}")],
        };
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at `{}` in {instance}", e.instance_path()))
            .collect()
    }

    fn validator(&self, schema: &Value) -> Result<Arc<Validator>, String> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().expect("validators");
        if let Some(validator) = cache.get(&key) {
            return Ok(Arc::clone(validator));
        }
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            other => return Err(format!("not a schema object: {other}")),
        };
        root.insert("components".into(), self.doc["components"].clone());
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        cache.insert(key, Arc::clone(&validator));
        Ok(validator)
    }

    /// Sends `call` (`method path` on `app`), checks and records the answer, and returns it.
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        build: impl FnOnce(Call) -> Call,
    ) -> Answer {
        let answer = build(app.request(method.clone(), path)).send().await;
        self.record(&method, path, &answer);
        answer
    }

    /// Checks and records an answer.
    pub fn record(&self, method: &Method, path: &str, answer: &Answer) {
        let found = self.check(method, path, answer);
        if let Some(template) = self.template(method, path) {
            self.seen
                .lock()
                .expect("seen")
                .entry(format!("{method} {template}"))
                .or_default()
                .insert(answer.status);
        }
        self.problems.lock().expect("problems").extend(found);
    }

    /// The statuses seen, by operation.
    pub fn seen(&self) -> BTreeMap<String, BTreeSet<u16>> {
        self.seen.lock().expect("seen").clone()
    }

    /// Every problem found so far.
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().expect("problems").clone()
    }
}

fn keys(map: &Value) -> String {
    map.as_object()
        .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

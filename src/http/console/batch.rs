//! An agency's NDJSON batch upload: the file goes through the API's batch handler (each line
//! accepted or rejected on its own, up to 10,000 lines and 16 MiB), charged to the key's rate
//! limit per 100 lines as the API charges it, and the answer is shown line by line.

use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::page::{render, InLang, Page, PageError, PageResult};
use super::session::Session;
use crate::auth::Role;
use crate::http::ApiError;

/// One line of a batch's answer.
#[derive(Debug, Clone)]
pub struct BatchLine {
    /// The line number.
    pub line: u64,
    /// The accepted request's id.
    pub id: Option<String>,
    /// Why it was rejected.
    pub errors: Vec<String>,
}

/// The batch's answer.
#[derive(Template)]
#[template(path = "batch_result.html")]
pub struct BatchPage {
    /// The frame.
    pub page: Page,
    /// Lines accepted.
    pub accepted: usize,
    /// Lines rejected.
    pub rejected: usize,
    /// Every line's answer.
    pub lines: Vec<BatchLine>,
}

/// `POST /console/takedowns/batch` (multipart: `csrf`, then `file`): the NDJSON file through
/// the API's batch handler, charged to the key's limit per 100 lines as the API charges it.
pub async fn batch(session: Session, mut multipart: Multipart) -> PageResult {
    let t = session.texts();
    let mut csrf = None;
    let mut file = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| {
                PageError::Api(ApiError::malformed(crate::http::Text::new(
                    e.body_text(),
                    e.body_text(),
                )))
            })
            .lang(&session)?;
        let Some(field) = field else { break };
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("file") => {
                // The token comes first in the form: nothing is read before it is checked.
                session.check_csrf(csrf.as_deref()).lang(&session)?;
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| PageError::Api(ApiError::payload_too_large()))
                        .lang(&session)?,
                );
            }
            _ => {}
        }
    }
    session.check_csrf(csrf.as_deref()).lang(&session)?;
    session.require(&[Role::Authority]).lang(&session)?;
    let bytes = file.unwrap_or_default();
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64
        + u64::from(bytes.last().is_some_and(|b| *b != b'\n'));
    if let Some(limiter) = session.state.limiter() {
        crate::http::limit::charge_lines(limiter, &session.entry, lines);
    }
    let answer = crate::http::takedowns::submit_batch(
        State(session.state.clone()),
        session.caller.clone(),
        session.lang,
        crate::http::takedowns::IdempotencyKey::none(),
        Body::from(bytes),
    )
    .await
    .lang(&session)?;
    let text = axum::body::to_bytes(answer.into_body(), usize::MAX)
        .await
        .map_err(|e| PageError::Api(ApiError::internal(&e)))
        .lang(&session)?;
    let lines: Vec<BatchLine> = text
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .map(|answer| BatchLine {
            line: answer["line"].as_u64().unwrap_or_default(),
            id: answer["id"].as_str().map(str::to_owned),
            errors: answer["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                e["field"].as_str().unwrap_or_default(),
                                e["message"].as_str().unwrap_or_default()
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let accepted = lines.iter().filter(|l| l.id.is_some()).count();
    let page = BatchPage {
        page: Page::new(&session, t.batch_result, "/console/takedowns/new"),
        accepted,
        rejected: lines.len() - accepted,
        lines,
    };
    Ok(render(StatusCode::OK, &page))
}

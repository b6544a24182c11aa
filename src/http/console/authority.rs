//! An agency's pages: its own requests with their states and history, filing one request (an
//! NDJSON batch is [`super::batch`]), withdrawing, confirming a held request, and the
//! operators' and platforms' compliance at a glance. Every action goes through the API's takedown handlers, so another
//! agency's request is a 404 here as there, and a held request moves on only with the
//! API's explicit, audited confirmation (a reason and `accept_collateral`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Value};

use super::page::{done, render, Form, InLang, Page, PageError, PageResult, Pager};
use super::registry::{body_of, category_choices, state_choices, state_named, Choice};
use super::scan::filtered_page;
use super::session::{random_token, Session};
use super::views::{rows, Detail, Row};
use crate::auth::Role;
use crate::http::extract::IdPaging;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::takedowns::{ListQuery, WithdrawInput};
use crate::http::ApiError;
use crate::service::takedowns::ConfirmInput;
use crate::takedown::{State as TdState, Takedown};

/// The states an agency filters by.
const STATES: [TdState; 15] = [
    TdState::Received,
    TdState::Routed,
    TdState::NeedsReview,
    TdState::PendingReview,
    TdState::PendingPlatform,
    TdState::Suspended,
    TdState::Revoked,
    TdState::Reinstated,
    TdState::Rejected,
    TdState::Blocked,
    TdState::Lifted,
    TdState::Removed,
    TdState::AccountLocked,
    TdState::Declined,
    TdState::Withdrawn,
];

/// One operator's line at a glance.
#[derive(Debug, Clone)]
pub struct OperatorLine {
    /// The operator.
    pub operator: String,
    /// The version it applied.
    pub acked: String,
    /// Versions behind.
    pub behind: u64,
    /// Additions past the deadline not applied.
    pub overdue: u64,
}

/// One platform's line at a glance.
#[derive(Debug, Clone)]
pub struct PlatformLine {
    /// The platform.
    pub platform: String,
    /// Open notices.
    pub open: u64,
    /// Overdue notices.
    pub overdue: u64,
    /// Median hours to act over 30 days.
    pub median: String,
    /// Declines over 30 days.
    pub declined: u64,
}

/// The agency's list.
#[derive(Template)]
#[template(path = "takedowns.html")]
pub struct ListPage {
    /// The frame.
    pub page: Page,
    /// The requests of this page, newest first.
    pub rows: Vec<Row>,
    /// The state filter.
    pub states: Vec<Choice>,
    /// The paging links.
    pub pager: Pager,
    /// The blocklist's version.
    pub version: u64,
    /// The operators' compliance.
    pub operators: Vec<OperatorLine>,
    /// The platforms' compliance.
    pub platforms: Vec<PlatformLine>,
}

/// `GET /console/takedowns`: the agency's requests, newest first (the API's listing), with
/// the compliance at a glance.
pub async fn list(session: Session, RawQuery(query): RawQuery) -> PageResult {
    let (form, paging) = session.listing(query.as_deref(), &[Role::Authority])?;
    let t = session.texts();
    let wanted = state_named(form.get("state"), &STATES);

    let paged = paging.cursor.is_some();
    let state = session.state.clone();
    let caller = session.caller.clone();
    let (takedowns, next_cursor) = filtered_page(
        paging.cursor.clone(),
        wanted.is_some(),
        |t: &Takedown| wanted.is_none_or(|s| t.state == s),
        |t| t.id.as_str(),
        |cursor, size| {
            let (state, caller) = (state.clone(), caller.clone());
            async move {
                let paging = IdPaging::check(Some(&size.to_string()), cursor)?;
                let query = ListQuery {
                    state: None,
                    channel: None,
                    target: None,
                };
                let page =
                    crate::http::takedowns::list(State(state), caller, paging, ApiQuery(query))
                        .await?
                        .0;
                Ok((page.takedowns, page.next_cursor))
            }
        },
    )
    .await
    .lang(&session)?;
    let blocklist = crate::http::blocklist::compliance(State(state.clone()), caller.clone())
        .await
        .lang(&session)?
        .0;
    let platforms = crate::http::platform::figures(&state)
        .await
        .lang(&session)?;
    let day = state.settings().takedowns.suspension_day;
    let pager = Pager::new(
        "/console/takedowns",
        &[("state", wanted.map(TdState::as_str))],
        paged,
        next_cursor,
    );
    let page = ListPage {
        page: Page::at(
            &session,
            t.takedowns_title,
            "/console/takedowns",
            query.as_deref(),
            form.get("done"),
        ),
        rows: rows(&takedowns, t, day),
        states: state_choices(t, &STATES, wanted),
        pager,
        version: blocklist.version,
        operators: blocklist
            .operators
            .iter()
            .map(|o| OperatorLine {
                operator: o.operator.clone(),
                acked: o.acked_version.map(|v| v.to_string()).unwrap_or_default(),
                behind: o.versions_behind,
                overdue: o.overdue_entries,
            })
            .collect(),
        platforms: platforms
            .iter()
            .map(|p| PlatformLine {
                platform: p.platform.clone(),
                open: p.open,
                overdue: p.overdue,
                median: p
                    .median_hours_to_act_30d
                    .map(|h| format!("{h:.1}"))
                    .unwrap_or_default(),
                declined: p.declined_30d,
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The filing form and the batch upload.
#[derive(Template)]
#[template(path = "takedown_new.html")]
pub struct NewPage {
    /// The frame.
    pub page: Page,
    /// The categories.
    pub categories: Vec<Choice>,
    /// This form's own token, the request's idempotency key: sending it twice files once.
    pub form_id: String,
}

/// `GET /console/takedowns/new`.
pub async fn new_form(session: Session) -> PageResult {
    session.require(&[Role::Authority]).lang(&session)?;
    let t = session.texts();
    let page = NewPage {
        page: Page::new(&session, t.new_title, "/console/takedowns/new"),
        categories: category_choices(t, None),
        form_id: random_token(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// The JSON body of `POST /v1/takedowns` from the filing form's fields (one evidence item;
/// empty fields left out, so the API names what is missing).
pub fn takedown_body(form: &Form) -> Value {
    let mut evidence = serde_json::Map::new();
    for (field, name) in [
        ("url", "evidence_url"),
        ("sha256", "evidence_sha256"),
        ("captured_at", "evidence_captured_at"),
        ("description", "evidence_description"),
    ] {
        if let Some(value) = form.text(name) {
            evidence.insert(field.into(), Value::String(value));
        }
    }
    let mut body = json!({
        "target": form.text("target"),
        "category": form.text("category"),
        "legal_basis": {
            "document_number": form.text("document_number"),
            "issued_on": form.text("issued_on"),
            "issuer": form.text("issuer"),
        },
        "evidence": [Value::Object(evidence)],
    });
    for (field, name) in [("requested_action", "requested_action"), ("notes", "notes")] {
        if let Some(value) = form.text(name) {
            body[field] = Value::String(value);
        }
    }
    strip_nulls(&mut body);
    body
}

fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

async fn body_json(response: Response) -> Result<Value, PageError> {
    let bytes = axum::body::to_bytes(
        response.into_body(),
        crate::http::batch::MAX_BATCH_BYTES * 4,
    )
    .await
    .map_err(|e| PageError::Api(ApiError::internal(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| PageError::Api(ApiError::internal(&e)))
}

/// `POST /console/takedowns`: files one request through the API's handler, with the form's
/// token as its `Idempotency-Key`.
pub async fn file(session: Session, body: Bytes) -> PageResult {
    let form = session.form(&body, &[Role::Authority])?;
    let mut headers = HeaderMap::new();
    if let Some(key) = form
        .text("form_id")
        .and_then(|k| HeaderValue::from_str(&k).ok())
    {
        headers.insert("idempotency-key", key);
    }
    let key = crate::http::takedowns::IdempotencyKey::from_headers(&headers).lang(&session)?;
    let json = serde_json::to_vec(&takedown_body(&form)).unwrap_or_default();
    let answer = crate::http::takedowns::submit(
        State(session.state.clone()),
        session.caller.clone(),
        key,
        Bytes::from(json),
    )
    .await
    .lang(&session)?;
    let filed = body_json(answer).await.lang(&session)?;
    let id = filed["id"].as_str().unwrap_or_default();
    done(&format!("/console/takedowns/{id}"), "filed")
}

/// One of the agency's requests.
#[derive(Template)]
#[template(path = "takedown.html")]
pub struct RequestPage {
    /// The frame.
    pub page: Page,
    /// The request.
    pub d: Detail,
    /// Whether it may still be withdrawn.
    pub can_withdraw: bool,
    /// Whether it waits for a confirmation.
    pub needs_review: bool,
}

/// `GET /console/takedowns/{id}`: through the API's handler (another agency's is 404).
pub async fn request(
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    session.require(&[Role::Authority]).lang(&session)?;
    let t = session.texts();
    let takedown = crate::http::takedowns::get_one(
        State(session.state.clone()),
        session.caller.clone(),
        Path(id.clone()),
    )
    .await
    .lang(&session)?
    .0;
    let form = Form::parse(query.as_deref().unwrap_or_default().as_bytes());
    let day = session.state.settings().takedowns.suspension_day;
    let page = RequestPage {
        page: Page::new(
            &session,
            &format!("{} {id}", t.request),
            &format!("/console/takedowns/{id}"),
        )
        .with_notice(form.get("done")),
        can_withdraw: !takedown.state.is_final(),
        needs_review: takedown.state == TdState::NeedsReview,
        d: Detail::of(&takedown, t, Utc::now(), day),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/takedowns/{id}/withdraw`, with a reason, through the API's handler.
pub async fn withdraw(session: Session, Path(id): Path<String>, body: Bytes) -> PageResult {
    let form = session.form(&body, &[Role::Authority])?;
    let (state, caller) = session.api();
    let _withdrawn = crate::http::takedowns::withdraw(
        state,
        caller,
        Path(id.clone()),
        ApiJson(WithdrawInput {
            reason: form.text("reason"),
        }),
    )
    .await
    .lang(&session)?;
    done(&format!("/console/takedowns/{id}"), "withdrawn")
}

/// `POST /console/takedowns/{id}/confirm`: the API's confirmation, which needs a reason and
/// `accept_collateral` (the checkbox) and audits both.
pub async fn confirm(session: Session, Path(id): Path<String>, body: Bytes) -> PageResult {
    let form = session.form(&body, &[Role::Authority])?;
    let input: ConfirmInput = body_of(json!({
        "reason": form.text("reason"),
        "accept_collateral": form.get("accept_collateral") == Some("true"),
    }))
    .lang(&session)?;
    let (state, caller) = session.api();
    let _confirmed =
        crate::http::takedowns::confirm(state, caller, Path(id.clone()), ApiJson(input))
            .await
            .lang(&session)?;
    done(&format!("/console/takedowns/{id}"), "confirmed")
}

//! The registry's (VNNIC's) pages: the queue oldest first with filters, a request with its
//! evidence and resolution snapshot, and the decision form (suspend with days, revoke,
//! reject, reinstate, with a reason), recorded by the API's own decision handler.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;

use chrono::Utc;
use serde_json::json;

use super::page::{done, render, Form, InLang, Page, PageError, PageResult, Pager};
use super::scan::filtered_page;
use super::session::Session;
use super::texts::Texts;
use super::views::{code, rows, Detail, Row};
use crate::auth::Role;
use crate::http::extract::{shape_problem, ApiJson};
use crate::http::ApiError;
use crate::service::takedowns::DecisionInput;
use crate::store::{keys, takedowns as store};
use crate::takedown::{is_id, Channel, State as TdState, Takedown};

/// The registry states, in the filter's order.
const STATES: [TdState; 6] = [
    TdState::PendingReview,
    TdState::Suspended,
    TdState::Revoked,
    TdState::Rejected,
    TdState::Reinstated,
    TdState::Withdrawn,
];

/// The categories, in the filter's order.
pub const CATEGORIES: [&str; 5] = [
    "counterfeit",
    "smuggled",
    "ip_infringement",
    "prohibited_goods",
    "unlicensed_trading",
];

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Its value.
    pub value: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Whether it is selected.
    pub selected: bool,
}

/// The options of a state filter over `states`, `wanted` selected.
pub fn state_choices(t: &Texts, states: &[TdState], wanted: Option<TdState>) -> Vec<Choice> {
    states
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: t.state(*s),
            selected: wanted == Some(*s),
        })
        .collect()
}

/// The options of the category filter.
pub fn category_choices(t: &Texts, wanted: Option<&str>) -> Vec<Choice> {
    CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c,
            label: t.category(c),
            selected: wanted == Some(*c),
        })
        .collect()
}

/// A state named in a query, when it is one of `allowed`.
pub fn state_named(name: Option<&str>, allowed: &[TdState]) -> Option<TdState> {
    let name = name?;
    allowed.iter().copied().find(|s| s.as_str() == name)
}

/// The queue page.
#[derive(Template)]
#[template(path = "registry_queue.html")]
pub struct QueuePage {
    /// The frame.
    pub page: Page,
    /// The requests of this page.
    pub rows: Vec<Row>,
    /// The state filter.
    pub states: Vec<Choice>,
    /// The category filter.
    pub categories: Vec<Choice>,
    /// The target filter as given.
    pub target: String,
    /// The paging links.
    pub pager: Pager,
}

/// `GET /console/registry`: the queue, oldest first, filtered by state (default
/// `pending_review`), category and a part of the target.
pub async fn queue(session: Session, RawQuery(query): RawQuery) -> PageResult {
    let (form, paging) = session.listing(query.as_deref(), &[Role::Registry])?;
    let t = session.texts();
    let wanted = state_named(form.get("state"), &STATES).unwrap_or(TdState::PendingReview);
    let category = form
        .text("category")
        .filter(|c| CATEGORIES.contains(&c.as_str()));
    let target = form.text("target").map(|s| s.to_lowercase());

    let state = &session.state;
    let index = keys::registry_index(wanted.as_str());
    let (takedowns, next_cursor) = filtered_page(
        paging.cursor.clone(),
        category.is_some() || target.is_some(),
        |t: &Takedown| {
            category
                .as_deref()
                .is_none_or(|c| code(&t.request.category) == c)
                && target.as_deref().is_none_or(|w| {
                    t.request.target.to_lowercase().contains(w)
                        || t.request.target_value.contains(w)
                })
        },
        |t| t.id.as_str(),
        |cursor, size| {
            let index = &index;
            async move {
                store::list(state.store(), index, cursor.as_deref(), size, false, |t| {
                    t.state == wanted
                })
                .await
                .map_err(PageError::from)
            }
        },
    )
    .await
    .lang(&session)?;
    let day = state.settings().takedowns.suspension_day;
    let pager = Pager::new(
        "/console/registry",
        &[
            ("state", Some(wanted.as_str())),
            ("category", category.as_deref()),
            ("target", target.as_deref()),
        ],
        paging.cursor.is_some(),
        next_cursor,
    );
    let page = QueuePage {
        page: Page::at(
            &session,
            t.queue_title,
            "/console/registry",
            query.as_deref(),
            form.get("done"),
        ),
        rows: rows(&takedowns, t, day),
        states: state_choices(t, &STATES, Some(wanted)),
        categories: category_choices(t, category.as_deref()),
        target: target.unwrap_or_default(),
        pager,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A registry request with its decision form.
#[derive(Template)]
#[template(path = "registry_request.html")]
pub struct RequestPage {
    /// The frame.
    pub page: Page,
    /// The request.
    pub d: Detail,
    /// Longest suspension the registry may order.
    pub max_days: u32,
}

/// `GET /console/registry/{id}`: a request routed to the registry (anything else is 404).
pub async fn request(
    session: Session,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    session.require(&[Role::Registry]).lang(&session)?;
    let t = session.texts();
    let state = &session.state;
    let takedown = if is_id(&id) {
        store::load(state.store(), &id).await.lang(&session)?
    } else {
        None
    }
    .filter(|td| td.channel == Some(Channel::Registry))
    .ok_or_else(ApiError::not_found)
    .lang(&session)?;
    let settings = &state.settings().takedowns;
    let form = Form::parse(query.as_deref().unwrap_or_default().as_bytes());
    let page = RequestPage {
        page: Page::new(
            &session,
            &format!("{} {id}", t.request),
            &format!("/console/registry/{id}"),
        )
        .with_notice(form.get("done")),
        d: Detail::of(&takedown, t, Utc::now(), settings.suspension_day),
        max_days: settings.max_suspend_days,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Reads a form into one of the API's JSON bodies, with the API's 422 when it does not fit.
pub fn body_of<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, PageError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        PageError::Api(ApiError::invalid(vec![shape_problem(
            &e.to_string(),
            "body",
        )]))
    })
}

/// A whole number typed in a form: the number, or the text as typed so the API names the
/// field as invalid.
pub fn number(text: Option<String>) -> serde_json::Value {
    match text {
        None => serde_json::Value::Null,
        Some(t) => t
            .parse::<u64>()
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::String(t)),
    }
}

/// `POST /console/registry/{id}/decision`: the decision, through the API's handler.
pub async fn decide(session: Session, Path(id): Path<String>, body: Bytes) -> PageResult {
    let form = session.form(&body, &[Role::Registry])?;
    let days = match form.get("decision") {
        Some("suspend") => number(form.text("suspend_days")),
        _ => serde_json::Value::Null,
    };
    let input: DecisionInput = body_of(json!({
        "decision": form.get("decision").unwrap_or_default(),
        "reason": form.text("reason"),
        "suspend_days": days,
    }))
    .lang(&session)?;
    let (state, caller) = session.api();
    let _decided = crate::http::registry::decide(state, caller, Path(id.clone()), ApiJson(input))
        .await
        .lang(&session)?;
    done(&format!("/console/registry/{id}"), "decided")
}

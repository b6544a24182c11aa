//! A platform's page: its notices oldest first with their due times, and the outcome form
//! (removed, account locked with days, declined with a reason), through the API's platform
//! handlers (another platform's notice is 404).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;

use chrono::Utc;
use serde_json::json;

use super::page::PageError;
use super::page::{done, render, when, InLang, Page, PageResult, Pager};
use super::registry::{body_of, number, state_choices, state_named, Choice};
use super::scan::filtered_page;
use super::session::Session;
use super::views::{code, EvidenceView};
use crate::auth::Role;
use crate::http::extract::ApiJson;
use crate::service::takedowns as workflow;
use crate::service::takedowns::OutcomeInput;
use crate::store::{keys, takedowns as store_takedowns};
use crate::takedown::{State as TdState, Takedown};

const STATES: [TdState; 5] = [
    TdState::PendingPlatform,
    TdState::Removed,
    TdState::AccountLocked,
    TdState::Declined,
    TdState::Withdrawn,
];

/// One notice as the page shows it.
#[derive(Debug, Clone)]
pub struct NoticeLine {
    /// Its id.
    pub id: String,
    /// The URL or host.
    pub target: String,
    /// The seller's account.
    pub account: String,
    /// Its category.
    pub category: &'static str,
    /// Its state, for people.
    pub state: &'static str,
    /// Whether it waits for an outcome.
    pub open: bool,
    /// Whether it is past due while open.
    pub overdue: bool,
    /// When it went out.
    pub notified_at: String,
    /// When it is due.
    pub due_at: String,
    /// The recommended lock.
    pub lock_recommendation: String,
    /// Upheld notices in 30 and 90 days.
    pub record: String,
    /// The decision behind it.
    pub legal_basis: String,
    /// Its evidence.
    pub evidence: Vec<EvidenceView>,
}

/// The notices page.
#[derive(Template)]
#[template(path = "notices.html")]
pub struct NoticesPage {
    /// The frame.
    pub page: Page,
    /// The notices of this page.
    pub notices: Vec<NoticeLine>,
    /// The state filter.
    pub states: Vec<Choice>,
    /// The paging links.
    pub pager: Pager,
}

/// `GET /console/notices`: the platform's notices through the API's listing (admin names the
/// platform with `?platform=`).
pub async fn notices(session: Session, RawQuery(query): RawQuery) -> PageResult {
    let (form, paging) = session.listing(query.as_deref(), &[Role::Platform])?;
    let t = session.texts();
    let wanted = state_named(form.get("state"), &STATES);

    let paged = paging.cursor.is_some();
    let platform = form.text("platform");
    // The API's listing, read through a bounded filter: the platform the caller acts for
    // (its key's, or the one admin names), and only notices it acts for.
    let caller = &session.caller;
    let acts_for =
        crate::http::platform::platform_of(caller, platform.as_deref()).lang(&session)?;
    let index = keys::platform_notices(acts_for);
    let store = session.state.store();
    let (takedowns, next_cursor) = filtered_page(
        paging.cursor.clone(),
        wanted.is_some(),
        |t: &Takedown| wanted.is_none_or(|s| t.state == s),
        |t| t.id.as_str(),
        |cursor, size| {
            let index = &index;
            async move {
                store_takedowns::list(store, index, cursor.as_deref(), size, false, |t| {
                    workflow::acts_for(caller, t)
                })
                .await
                .map_err(PageError::from)
            }
        },
    )
    .await
    .lang(&session)?;
    let views = crate::http::platform::with_history(&session.state, takedowns)
        .await
        .lang(&session)?;
    let now = Utc::now();
    let pager = Pager::new(
        "/console/notices",
        &[
            ("state", wanted.map(TdState::as_str)),
            ("platform", platform.as_deref()),
        ],
        paged,
        next_cursor,
    );
    let notices = views
        .iter()
        .map(|n| {
            let open = n.state == TdState::PendingPlatform;
            NoticeLine {
                id: n.id.clone(),
                target: n.target.clone(),
                account: n.account.clone().unwrap_or_default(),
                category: t.category(&code(&n.category)),
                state: t.state(n.state),
                open,
                overdue: open && n.due_at < now,
                notified_at: when(&n.notified_at),
                due_at: when(&n.due_at),
                lock_recommendation: n.lock_recommendation.as_ref().map(code).unwrap_or_default(),
                record: format!(
                    "{} / {}",
                    n.account_history.upheld_30d, n.account_history.upheld_90d
                ),
                legal_basis: format!(
                    "{} ({}, {})",
                    n.legal_basis.document_number, n.legal_basis.issued_on, n.legal_basis.issuer
                ),
                evidence: n.evidence.iter().map(EvidenceView::of).collect(),
            }
        })
        .collect();
    let page = NoticesPage {
        page: Page::at(
            &session,
            t.notices_title,
            "/console/notices",
            query.as_deref(),
            form.get("done"),
        ),
        notices,
        states: state_choices(t, &STATES, wanted),
        pager,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /console/notices/{id}/outcome`, through the API's handler.
pub async fn outcome(session: Session, Path(id): Path<String>, body: Bytes) -> PageResult {
    let form = session.form(&body, &[Role::Platform])?;
    let days = match form.get("outcome") {
        Some("account_locked") => number(form.text("lock_days")),
        _ => serde_json::Value::Null,
    };
    let input: OutcomeInput = body_of(json!({
        "outcome": form.get("outcome").unwrap_or_default(),
        "reason": form.text("reason"),
        "lock_days": days,
    }))
    .lang(&session)?;
    let (state, caller) = session.api();
    let _reported = crate::http::platform::outcome(state, caller, Path(id), ApiJson(input))
        .await
        .lang(&session)?;
    done("/console/notices", "outcome")
}

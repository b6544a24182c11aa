//! The platforms' channel: a platform's notices and its outcomes (a platform key bound to
//! that platform, or admin), and the platforms' compliance for authorities.
//!
//! A notice is a takedown routed to `channel: "platform"`; its id is the takedown id. A
//! platform key sees only its own platform's notices: another platform's is 404.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::JsonBodyProblems;
use super::extract::IdPaging;
use super::extract::{allow, ApiJson, ApiQuery};
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::reference::platform::is_platform_id;
use crate::service::takedowns::{self as workflow, OutcomeInput};
use crate::store::platforms as store_platforms;
use crate::store::{keys, takedowns as store};
use crate::takedown::platform::{
    compliance, AccountHistory, LockRecommendation, PlatformCompliance,
};
use crate::takedown::request::{Category, Evidence, LegalBasis};
use crate::takedown::schema::NoticeState;
use crate::takedown::{is_id, State as TdState, Takedown};

/// The platform routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notices).layer(allow(&[Role::Platform])))
        .routes(routes!(outcome).layer(allow(&[Role::Platform])))
        .routes(routes!(platform_compliance).layer(allow(&[Role::Authority])))
}

/// A notice as its platform sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// The notice's id (its takedown id).
    pub id: String,
    /// The URL or host as the authority gave it.
    pub target: String,
    /// The seller's account the URL names, when it names one.
    pub account: Option<String>,
    /// The kind of violation.
    pub category: Category,
    /// The decision behind the request.
    pub legal_basis: LegalBasis,
    /// The evidence (URLs, SHA-256 digests, capture times).
    pub evidence: Vec<Evidence>,
    /// When the notice went out.
    pub notified_at: DateTime<Utc>,
    /// When the platform must have acted.
    pub due_at: DateTime<Utc>,
    /// `pending_platform`, `removed`, `account_locked`, `declined` or `withdrawn`.
    pub state: TdState,
    /// The lock the account's record called for when the notice went out.
    pub lock_recommendation: Option<LockRecommendation>,
    /// The account's record with this platform now.
    pub account_history: AccountHistory,
    /// Days of the temporary lock the platform reported.
    pub lock_days: Option<u32>,
    /// When the platform reported its outcome.
    pub acted_at: Option<DateTime<Utc>>,
}

fn view(takedown: Takedown, history: AccountHistory) -> Option<NoticeView> {
    let notice = takedown.notice?;
    Some(NoticeView {
        id: takedown.id,
        target: takedown.request.target,
        account: notice.account,
        category: takedown.request.category,
        legal_basis: takedown.request.legal_basis,
        evidence: takedown.request.evidence,
        notified_at: notice.notified_at,
        due_at: notice.due_at,
        state: takedown.state,
        lock_recommendation: notice.lock_recommendation,
        account_history: history,
        lock_days: notice.lock_days,
        acted_at: notice.acted_at,
    })
}

/// The account's record of each notice, read once per account.
pub async fn with_history(
    state: &AppState,
    takedowns: Vec<Takedown>,
) -> Result<Vec<NoticeView>, ApiError> {
    let now = Utc::now();
    let mut histories: HashMap<(String, String), AccountHistory> = HashMap::new();
    let mut out = Vec::with_capacity(takedowns.len());
    for takedown in takedowns {
        let history = match takedown.notice.as_ref().and_then(|n| {
            n.account
                .as_ref()
                .map(|account| (n.platform.clone(), account.clone()))
        }) {
            None => AccountHistory::default(),
            Some(pair) => match histories.get(&pair) {
                Some(history) => *history,
                None => {
                    let history =
                        store_platforms::account_history(state.store(), &pair.0, &pair.1, now)
                            .await?;
                    histories.insert(pair, history);
                    history
                }
            },
        };
        out.extend(view(takedown, history));
    }
    Ok(out)
}

/// Filters and paging of a platform's notices (oldest first).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticesQuery {
    /// Only notices in this state.
    #[param(value_type = Option<NoticeState>, inline)]
    pub state: Option<TdState>,
    /// The platform (admin only, and required for admin; a platform key always sees its own).
    #[param(example = "shopee")]
    pub platform: Option<String>,
}

/// A page of notices.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticePage {
    /// The notices, oldest first.
    pub notices: Vec<NoticeView>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// The platform `caller` acts for: its key's platform, or for admin the one it names.
pub fn platform_of<'a>(caller: &'a Caller, named: Option<&'a str>) -> Result<&'a str, ApiError> {
    match caller.role {
        Role::Admin => named.filter(|p| is_platform_id(p)).ok_or_else(|| {
            ApiError::invalid_value(
                "platform",
                "Admin names the platform: ?platform=<id>.",
                "Quản trị viên cần nêu nền tảng: ?platform=<id>.",
            )
        }),
        Role::Platform => caller.platform.as_deref().ok_or_else(ApiError::forbidden),
        _ => Err(ApiError::forbidden()),
    }
}

/// The notices of the caller's platform, oldest first, with each account's record.
#[utoipa::path(get, path = "/v1/platform/notices", tag = "platform", params(NoticesQuery, IdPaging),
    responses(
        (status = 200, description = "A page of notices", body = NoticePage),
        (status = 422, description = "Bad state, platform or paging", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn notices(
    State(state): State<AppState>,
    caller: Caller,
    paging: IdPaging,
    ApiQuery(query): ApiQuery<NoticesQuery>,
) -> Result<Json<NoticePage>, ApiError> {
    let platform = platform_of(&caller, query.platform.as_deref())?;
    let wanted =
        match query.state {
            None => None,
            Some(state) => Some(Some(state).filter(|s| s.is_platform_notice()).ok_or_else(
                || {
                    ApiError::invalid_value(
                        "state",
                        "One of pending_platform, removed, account_locked, declined, withdrawn.",
                        "Một trong pending_platform, removed, account_locked, declined, withdrawn.",
                    )
                },
            )?),
        };
    let (takedowns, next_cursor) = store::list(
        state.store(),
        &keys::platform_notices(platform),
        paging.cursor.as_deref(),
        paging.limit,
        false,
        |t| wanted.is_none_or(|s| t.state == s) && workflow::acts_for(&caller, t),
    )
    .await?;
    Ok(Json(NoticePage {
        notices: with_history(&state, takedowns).await?,
        next_cursor,
    }))
}

/// Records what the platform did about a notice: `removed`, `account_locked` (with
/// `lock_days` for a temporary lock) or `declined` (with a reason). The same outcome again
/// answers the notice as it is; a different one after an outcome is 409.
#[utoipa::path(post, path = "/v1/platform/notices/{id}/outcome", tag = "platform", request_body = OutcomeInput,
    params(("id" = String, Path, description = "The notice's id (its takedown's): `td_` and 24 hexadecimal digits (any other shape is a 404)", pattern = "^td_[0-9A-Fa-f]{24}$", example = "td_019a3c5e7f80a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The notice in its new state", body = NoticeView),
        JsonBodyProblems,
        (status = 404, description = "No such notice, or another platform's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another outcome was recorded, or the notice was withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad outcome, missing reason for declined, or bad lock_days", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn outcome(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OutcomeInput>,
) -> Result<Json<NoticeView>, ApiError> {
    if caller.role == Role::Platform && caller.platform.is_none() {
        return Err(ApiError::forbidden());
    }
    if !is_id(&id) {
        return Err(ApiError::not_found());
    }
    let takedown = workflow::report_outcome(state.store(), &caller, &id, &input).await?;
    let mut views = with_history(&state, vec![takedown]).await?;
    views.pop().map(Json).ok_or_else(ApiError::not_found)
}

/// Every platform's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformComplianceAnswer {
    /// One line per platform in the reference data or that ever received a notice.
    pub platforms: Vec<PlatformCompliance>,
}

/// How platforms act on notices: open and overdue notices, median hours to act and declines
/// over the last 30 days.
#[utoipa::path(get, path = "/v1/platform/compliance", tag = "platform",
    responses(
        (status = 200, description = "Each platform's open, overdue and answered notices", body = PlatformComplianceAnswer),
    ),
    security(("bearer" = [])))]
pub async fn platform_compliance(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<PlatformComplianceAnswer>, ApiError> {
    Ok(Json(PlatformComplianceAnswer {
        platforms: figures(&state).await?,
    }))
}

/// Every platform's compliance now (also for `/metrics`).
pub async fn figures(state: &AppState) -> crate::store::StoreResult<Vec<PlatformCompliance>> {
    let now = Utc::now();
    let mut out = Vec::new();
    for platform in store_platforms::compliance_platforms(state.store()).await? {
        let (open, overdue, acted) =
            store_platforms::compliance_inputs(state.store(), &platform, now).await?;
        out.push(compliance(&platform, open, overdue, &acted));
    }
    Ok(out)
}

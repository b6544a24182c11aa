//! The registry's (VNNIC's) queue (registry, admin): requests for `.vn` domains oldest first,
//! with evidence, legal basis and the resolution snapshot, and the decisions on them.

use axum::extract::{Path, State};
use axum::Json;
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
use crate::service::takedowns::{self as workflow, DecisionInput};
use crate::store::keys;
use crate::store::takedowns as store;
use crate::takedown::schema::RegistryState;
use crate::takedown::{is_id, State as TdState, Takedown};

/// The registry routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(requests).layer(allow(&[Role::Registry])))
        .routes(routes!(decide).layer(allow(&[Role::Registry])))
}

/// Filters and paging of the registry queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// `pending_review` (default), `suspended`, `revoked`, `rejected`, `reinstated`, or
    /// `withdrawn` (withdrawn suspensions waiting for reinstatement).
    #[param(value_type = Option<RegistryState>, inline)]
    pub state: Option<TdState>,
}

/// A page of the registry queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryPage {
    /// The requests, oldest first.
    pub requests: Vec<Takedown>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// The registry's requests in one state, oldest first.
#[utoipa::path(get, path = "/v1/registry/requests", tag = "registry", params(RegistryQuery, IdPaging),
    responses(
        (status = 200, description = "A page of requests", body = RegistryPage),
        (status = 422, description = "Bad state or paging", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn requests(
    State(state): State<AppState>,
    _caller: Caller,
    paging: IdPaging,
    ApiQuery(query): ApiQuery<RegistryQuery>,
) -> Result<Json<RegistryPage>, ApiError> {
    let wanted = match query.state {
        None => TdState::PendingReview,
        Some(state) => Some(state).filter(|s| s.is_registry()).ok_or_else(|| {
            ApiError::invalid_value(
                "state",
                "One of pending_review, suspended, revoked, rejected, reinstated, withdrawn.",
                "Một trong pending_review, suspended, revoked, rejected, reinstated, withdrawn.",
            )
        })?,
    };
    let (requests, next_cursor) = store::list(
        state.store(),
        &keys::registry_index(wanted.as_str()),
        paging.cursor.as_deref(),
        paging.limit,
        false,
        |t| t.state == wanted,
    )
    .await?;
    Ok(Json(RegistryPage {
        requests,
        next_cursor,
    }))
}

/// Records a decision: `suspend` (with `suspend_days`, also to extend), `revoke`, `reject`,
/// or `reinstate`. A decision the state machine does not allow is 409.
#[utoipa::path(post, path = "/v1/registry/requests/{id}/decision", tag = "registry", request_body = DecisionInput,
    params(("id" = String, Path, description = "The request's id: `td_` and 24 hexadecimal digits (any other shape is a 404)", pattern = "^td_[0-9A-Fa-f]{24}$", example = "td_019a3c5e7f80a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The request in its new state", body = Takedown),
        JsonBodyProblems,
        (status = 404, description = "No such registry request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing or bad decision, reason or number of days", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<Takedown>, ApiError> {
    if !is_id(&id) {
        return Err(ApiError::not_found());
    }
    let settings = &state.settings().takedowns;
    Ok(Json(
        workflow::decide(state.store(), settings, &caller, &id, &input).await?,
    ))
}

//! `GET /v1/audit` and `GET /v1/audit/verify`: the hash-chained audit log (admin; an
//! authority sees only the entries of its own agency).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::extract::{allow, ApiQuery, StreamPaging};
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::store::audit::{self, ChainedEntry, Verification};

/// The audit routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list).layer(allow(&[Role::Authority])))
        .routes(routes!(verify).layer(allow(&[])))
}

/// Filters and paging of the audit listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this subject (a takedown id, a reference kind, …).
    #[param(example = "td_019a3c5e7f80a1b2c3d4e5f6")]
    pub subject: Option<String>,
}

/// A page of entries, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// The entries of this page, oldest first.
    pub entries: Vec<ChainedEntry>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// Lists audit entries, oldest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", operation_id = "list_audit_entries", params(AuditQuery, StreamPaging),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 422, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    paging: StreamPaging,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let agency = (caller.role == Role::Authority)
        .then(|| caller.agency.clone())
        .flatten();
    let own_only = caller.role == Role::Authority;
    let (entries, next_cursor) = audit::list(
        state.store(),
        paging.cursor.as_deref(),
        paging.limit,
        |entry| {
            query.subject.as_deref().is_none_or(|s| entry.subject == s)
                && (!own_only || (agency.is_some() && entry.agency == agency))
        },
    )
    .await?;
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}

/// Recomputes the hash chain and names the first entry that does not fit.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", operation_id = "verify_audit_chain",
    responses(
        (status = 200, description = "The chain's state", body = Verification),
    ),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Verification>, ApiError> {
    Ok(Json(audit::verify(state.store()).await?))
}

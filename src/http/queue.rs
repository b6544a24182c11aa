//! `GET /v1/queue/dead-letters` (admin): queue entries and webhook deliveries the workers
//! gave up on.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::extract::allow;
use super::extract::StreamPaging;
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::Caller;
use crate::store::queue::{self, DeadLetter};

/// The queue routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dead_letters).layer(allow(&[])))
}

/// A page of dead letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// The dead letters of this page, oldest first.
    pub dead_letters: Vec<DeadLetter>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// Lists dead letters, oldest first.
#[utoipa::path(get, path = "/v1/queue/dead-letters", tag = "takedowns", params(StreamPaging),
    responses(
        (status = 200, description = "A page of dead letters", body = DeadLetterPage),
        (status = 422, description = "A `limit` out of range or a cursor this service did not give out", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn dead_letters(
    State(state): State<AppState>,
    _caller: Caller,
    paging: StreamPaging,
) -> Result<Json<DeadLetterPage>, ApiError> {
    let (dead_letters, next_cursor) =
        queue::dead_letters(state.store(), paging.cursor.as_deref(), paging.limit).await?;
    Ok(Json(DeadLetterPage {
        dead_letters,
        next_cursor,
    }))
}

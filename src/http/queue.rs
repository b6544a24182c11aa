//! `GET /v1/queue/dead-letters` (admin): queue entries and webhook deliveries the workers
//! gave up on.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::extract::{allow, ApiQuery};
use super::problem::{ApiError, Problem};
use super::takedowns::{bad_query, DEFAULT_LIMIT, MAX_LIMIT};
use crate::app::AppState;
use crate::auth::Caller;
use crate::store::queue::{self, DeadLetter};

/// The queue routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dead_letters).layer(allow(&[])))
}

/// Paging of the dead letters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// Page size (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]+-[0-9]+$")]
    pub cursor: Option<String>,
}

/// A page of dead letters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// Oldest first.
    pub dead_letters: Vec<DeadLetter>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// Lists dead letters, oldest first.
#[utoipa::path(get, path = "/v1/queue/dead-letters", tag = "takedowns", params(DeadLetterQuery),
    responses(
        (status = 200, description = "A page of dead letters", body = DeadLetterPage),
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn dead_letters(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(query): ApiQuery<DeadLetterQuery>,
) -> Result<Json<DeadLetterPage>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad_query(
            "limit",
            "limit must be between 1 and 1000.",
            "limit phải từ 1 đến 1000.",
        ));
    }
    let valid_cursor = query.cursor.as_deref().is_none_or(|c| {
        c.split_once('-')
            .is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
    });
    if !valid_cursor {
        return Err(bad_query(
            "cursor",
            "Not a cursor this service gave out.",
            "Con trỏ không do dịch vụ này cấp.",
        ));
    }
    let (dead_letters, next_cursor) =
        queue::dead_letters(state.store(), query.cursor.as_deref(), limit).await?;
    Ok(Json(DeadLetterPage {
        dead_letters,
        next_cursor,
    }))
}

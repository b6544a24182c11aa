//! Operations endpoints (no auth): liveness, readiness, metrics.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::{ApiError, Problem, Text};
use crate::app::AppState;

/// The liveness answer: the process runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process runs.
    pub status: &'static str,
}

/// The operations routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 200 when Redis answers PING, 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Redis answers PING: the service can take requests", body = Health),
        (status = 503, description = "Redis does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match state.store().ping().await {
        Ok(()) => Ok(Json(Health { status: "ok" })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Err(ApiError::unavailable(Text::fixed(
                "Redis does not answer.",
                "Redis không phản hồi.",
            )))
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if !state.store().is_down() {
        record_redis_figures(&state).await;
    }
    super::metrics::record_reference_cache(&state.store().reads().figures());
    let mut text = state.metrics().render();
    text.push_str(&super::limit::keys_expiring_text(
        &state.keys().snapshot(),
        chrono::Utc::now(),
    ));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// The figures `/metrics` reads from Redis (skipped while Redis is known down, so that a
/// scrape never waits on it).
async fn record_redis_figures(state: &AppState) {
    match crate::store::queue::figures(state.store()).await {
        Ok(figures) => super::metrics::record_queue(&figures),
        Err(error) => tracing::warn!(%error, "cannot read the queue figures for /metrics"),
    }
    if let Err(error) = super::metrics::record_blocklist(state.store()).await {
        tracing::warn!(%error, "cannot read the blocklist figures for /metrics");
    }
    match super::platform::figures(state).await {
        Ok(figures) => super::metrics::record_platforms(&figures),
        Err(error) => tracing::warn!(%error, "cannot read the platform figures for /metrics"),
    }
}

//! The router: every documented route with the roles it admits, the OpenAPI document
//! generated from them, the middleware around them, and serving with graceful shutdown.
//! `serve` and the integration tests both build the router here.

use std::future::Future;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::Router;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::AppState;
use crate::http;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "originguard",
        description = "Origin checks, shop infrastructure resolution, takedowns and operator blocklists for Vietnamese e-commerce enforcement. Errors are RFC 9457 problem+json; `Accept-Language: vi` gives Vietnamese texts.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(http::problem::Problem)),
    tags(
        (name = "operations", description = "Liveness, readiness, metrics (no auth)"),
        (name = "verification", description = "Traceability codes, tax codes, e-invoices, origin claims (platform, authority, admin)"),
        (name = "reference", description = "Reference data loads (steward, admin)"),
        (name = "audit", description = "The hash-chained audit log (admin; authority for its own agency)"),
        (name = "resolution", description = "Infrastructure behind shops: DNS, addresses, TLS (platform, authority, registry, admin)"),
        (name = "takedowns", description = "Takedown requests (authority, admin; an authority sees its agency's)"),
        (name = "blocklist", description = "The operators' blocklist: deltas, full lists, RPZ, acknowledgements, compliance (operator; read also authority, admin)"),
        (name = "registry", description = "The registry's (VNNIC's) queue and decisions (registry, admin)"),
        (name = "platform", description = "The platforms' channel: notices to the platform a listing is on, outcomes, repeat offenders, compliance (platform key bound to its platform, admin; compliance: authority, admin)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from the keys file"))
                    .build(),
            ),
        );
    }
}

/// Every documented route, with its OpenAPI description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(http::ops::routes())
        .merge(http::traceability::routes())
        .merge(http::tax::routes())
        .merge(http::claims::routes())
        .merge(http::resolve::routes())
        .merge(http::audit::routes())
        .merge(http::reference::routes())
        .merge(http::takedowns::routes())
        .merge(http::registry::routes())
        .merge(http::queue::routes())
        .merge(http::blocklist::routes())
        .merge(http::platform::routes())
}

/// The routes and the OpenAPI document generated from the code, with what middleware adds.
fn documented_api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = api().split_for_parts();
    http::doc::add_auth_problems(&mut doc);
    http::doc::add_store_unavailable(&mut doc);
    http::doc::add_rate_limited(&mut doc);
    (routes, doc)
}

/// The OpenAPI document generated from the code.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_api().1
}

/// The OpenAPI document as the pretty JSON committed at `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

/// The complete router: API routes, `/openapi.json`, `/docs`, the fallback and middleware.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings().body_limit;
    let (api_router, doc) = documented_api();
    let routes = api_router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::limit::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::unavailable_while_down,
        ))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .merge(http::console::routes())
        .fallback(http::not_found)
        .with_state(state);
    with_middleware(routes, body_limit)
}

/// Wraps `routes` in the service's middleware: request ids (a client's own only when it is
/// short and plain), tracing, problem+json rendering,
/// metrics, panic catching and the body limit (outermost first).
pub fn with_middleware(routes: Router, body_limit: usize) -> Router {
    let request_id = HeaderName::from_static(http::REQUEST_ID);
    let middleware = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(http::untrusted_request_id))
        .layer(SetRequestIdLayer::new(request_id.clone(), RandomRequestId))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(http::REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id, caller = tracing::field::Empty)
                })
                .on_response(
                    |response: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                            "finished processing request"
                        );
                    },
                ),
        )
        .layer(axum::middleware::from_fn(http::problem::render_problems))
        .layer(axum::middleware::from_fn(http::metrics::track))
        .layer(CatchPanicLayer::custom(http::panic_to_problem))
        .layer(DefaultBodyLimit::max(body_limit));
    routes.layer(middleware)
}

/// Request ids: random (version 4) UUIDs drawn from the thread's CSPRNG, which the operating
/// system reseeds, rather than with a `getrandom` system call for each request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex::encode(bytes);
        let text = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        axum::http::HeaderValue::from_str(&text)
            .ok()
            .map(RequestId::new)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopping_tx.send(());
    };
    let server = std::future::IntoFuture::into_future(
        axum::serve(listener, router).with_graceful_shutdown(signal),
    );
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result,
        () = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "in-flight requests did not finish within the grace period");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let request = Request::new(());
        let ids: Vec<String> = (0..100)
            .map(|_| {
                let id = RandomRequestId.make_request_id(&request).expect("an id");
                id.header_value().to_str().expect("text").to_owned()
            })
            .collect();
        for id in &ids {
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
                "{id}"
            );
            assert!(groups[2].starts_with('4'), "version 4: {id}");
            assert!("89ab".contains(&groups[3][..1]), "RFC 4122 variant: {id}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }
}

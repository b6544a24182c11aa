//! `POST /v1/resolve`: the infrastructure behind shops (platform, authority, registry, admin).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::JsonBodyProblems;
use super::extract::{allow, ApiJson, SizedJson};
use super::problem::{ApiError, FieldProblem, Problem, Text};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::network::resolve::{
    resolve_targets, ResolveError, ResolveOptions, TargetResult, MAX_TARGETS,
};

/// The resolution routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(resolve).layer(allow(&[
        Role::Platform,
        Role::Authority,
        Role::Registry,
    ])))
}

/// Targets to resolve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "targets": ["https://shop.example.vn/p/1", "hàng-hiệu.vn", "198.51.100.20", "2001:db8::/48"],
    "tls": false
}))]
pub struct ResolveRequest {
    /// URLs, domains (Unicode or ASCII), IPv4/IPv6 addresses or CIDR blocks; at most 1,000.
    #[schema(max_items = 1000)]
    pub targets: Vec<String>,
    /// Also peek at the TLS certificate of the first address the guard allows (default false).
    #[serde(default)]
    pub tls: bool,
}

/// Results in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveAnswer {
    /// One result per target; a target that fails is a result with errors.
    pub results: Vec<TargetResult>,
}

/// Resolves each target: name forms, `.vn` and registrable domain, DNS records, addresses
/// with PTR and allocation country, and optionally the TLS certificate. Private and reserved
/// addresses are never connected to (`blocked_address`).
#[utoipa::path(post, path = "/v1/resolve", tag = "resolution",
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "One result per target, in input order", body = ResolveAnswer),
        JsonBodyProblems,
        (status = 422, description = "More than 1,000 targets, or wrong field types", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    ApiJson(request): ApiJson<ResolveRequest>,
) -> Result<SizedJson<ResolveAnswer>, ApiError> {
    let options = ResolveOptions {
        tls: request.tls,
        lang,
        ..ResolveOptions::default()
    };
    match resolve_targets(&request.targets, options, state.network()).await {
        // About 400 bytes per domain result with its records and addresses.
        Ok(results) => Ok(SizedJson {
            capacity: 512 * results.len(),
            value: ResolveAnswer { results },
        }),
        Err(ResolveError::TooManyTargets { given, max }) => {
            Err(ApiError::invalid(vec![FieldProblem::new(
                "targets",
                "too_many_targets",
                Text::new(
                    format!("{given} targets given; at most {max} per call."),
                    format!("Có {given} mục tiêu; tối đa {max} mỗi lần gọi."),
                ),
            )]))
        }
    }
}

const _: () = assert!(MAX_TARGETS == 1_000);

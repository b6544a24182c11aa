//! `POST /v1/traceability/check`: reads any GS1 code form and looks the GTIN and lot up in the
//! reference data (platform, authority, admin).

use axum::extract::State;
use chrono::{Datelike, Utc};
use serde::Deserialize;
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
use crate::origin::gs1;
use crate::store::reference as store;
use crate::verify::traceability::{answer, CheckAnswer};

/// Longest code accepted in the request; longer is a 422 (the parser itself also caps input).
pub const MAX_CODE_CHARS: usize = 4096;

/// The traceability routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check).layer(allow(&[Role::Platform, Role::Authority])))
}

/// A code to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "(01)08935049500018(10)LOT7(17)271231"}))]
pub struct CheckRequest {
    /// A bare GTIN, a bracketed or GS-separated element string (optionally led by a symbology
    /// identifier), or a GS1 Digital Link URI; at most 4,096 characters.
    #[schema(max_length = 4096)]
    pub code: String,
}

/// Checks a traceability code and looks it up in the reference data.
#[utoipa::path(post, path = "/v1/traceability/check", tag = "verification",
    request_body = CheckRequest,
    responses(
        (status = 200, description = "The check result (also for invalid codes)", body = CheckAnswer),
        JsonBodyProblems,
        (status = 422, description = "Missing or oversized `code`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<SizedJson<CheckAnswer>, ApiError> {
    if request.code.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::invalid(vec![FieldProblem::new(
            "code",
            "too_long",
            Text::new(
                format!("At most {MAX_CODE_CHARS} characters."),
                format!("Tối đa {MAX_CODE_CHARS} ký tự."),
            ),
        )]));
    }
    let today = crate::origin::vietnam_date(Utc::now());
    let checked = gs1::parse(&request.code, today.year());
    let lookup = match &checked.gtin {
        Some(gtin) => {
            Some(store::product_with_recall(state.store(), gtin.as_str(), checked.lot()).await?)
        }
        None => None,
    };
    // A check with its product and lot is 1–2 KB.
    Ok(SizedJson {
        value: answer(checked, lookup, today, lang),
        capacity: 2048,
    })
}

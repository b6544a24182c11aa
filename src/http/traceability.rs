//! `POST /v1/traceability/check`: reads any GS1 code form and looks the GTIN and lot up in the
//! reference data (platform, authority, admin).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::JsonBodyProblems;
use super::extract::{allow, ApiJson};
use super::problem::{ApiError, FieldProblem, Problem, Text};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::origin::gs1::{self, Check};
use crate::reference::product::Product;
use crate::store::reference as store;

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

/// The result of a check: invalidity is a result, not an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    /// Whether the code has no errors.
    pub valid: bool,
    /// `gtin`, `element_string` or `digital_link`.
    #[schema(value_type = String, example = "element_string")]
    pub format: gs1::Format,
    /// The elements read, in input order.
    pub elements: Vec<ElementAnswer>,
    /// The GTIN, normalised to 14 digits, when AI 01 is valid.
    pub gtin: Option<String>,
    /// The GS1 office that issued the company prefix. It is **not** the country of origin.
    pub gs1_prefix: Option<PrefixAnswer>,
    /// Every problem found.
    pub errors: Vec<CodeError>,
    /// The product record, when the GTIN is in the reference data.
    // Shared with the reference cache, not copied per answer.
    #[schema(value_type = Option<Product>)]
    pub product: Option<Arc<Product>>,
    /// The lot, when the code names one and it is known (in the product's lots or recalls).
    pub lot: Option<LotAnswer>,
}

/// One element.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElementAnswer {
    /// The application identifier.
    pub ai: String,
    /// Its GS1 title.
    pub title: String,
    /// The data.
    pub value: String,
}

/// The issuing GS1 member organisation of a prefix.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrefixAnswer {
    /// The three prefix digits.
    pub prefix: String,
    /// The issuing GS1 member organisation (or special use of the range).
    pub issuer: String,
    /// ISO alpha-2 of the issuing organisation's country, when it has one.
    pub country: Option<String>,
}

/// One problem in a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeError {
    /// Stable machine code (`check_digit`, `bad_length`, …).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The AI concerned, when there is one.
    pub ai: Option<String>,
    /// 0-based character position in the code, when it applies.
    pub position: Option<usize>,
}

/// A known lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotAnswer {
    /// The lot number.
    pub lot: String,
    /// Whether the lot is recalled (in its product record or the recall list).
    pub recalled: bool,
    /// Its expiry date from the reference data, or from AI 17 in the code.
    pub expires_on: Option<NaiveDate>,
    /// Whether that expiry date has passed.
    pub expired: bool,
}

/// Checks a traceability code and looks it up in the reference data.
#[utoipa::path(post, path = "/v1/traceability/check", tag = "verification",
    request_body = CheckRequest,
    responses(
        (status = 200, description = "The check result (also for invalid codes)", body = CheckAnswer),
        JsonBodyProblems,
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform, authority or admin key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or oversized `code`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn check(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    ApiJson(request): ApiJson<CheckRequest>,
) -> Result<Json<CheckAnswer>, ApiError> {
    if request.code.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::invalid(vec![FieldProblem {
            field: "code".into(),
            code: "too_long".into(),
            message: Text::new(
                format!("At most {MAX_CODE_CHARS} characters."),
                format!("Tối đa {MAX_CODE_CHARS} ký tự."),
            ),
        }]));
    }
    let today = crate::origin::vietnam_date(Utc::now());
    let checked = gs1::parse(&request.code, today.year());
    let lookup = match &checked.gtin {
        Some(gtin) => {
            Some(store::product_with_recall(state.store(), gtin.as_str(), checked.lot()).await?)
        }
        None => None,
    };
    Ok(Json(answer(checked, lookup, today, lang)))
}

/// Builds the answer from the parsed code and what the reference data holds.
pub fn answer(
    checked: Check,
    lookup: Option<(Option<Arc<Product>>, bool)>,
    today: NaiveDate,
    lang: Lang,
) -> CheckAnswer {
    let (product, listed_recall) = lookup.unwrap_or((None, false));
    let lot = checked.lot().and_then(|lot| {
        let record = product.as_ref().and_then(|p| p.lot(lot));
        if record.is_none() && !listed_recall {
            return None;
        }
        let expires_on = record
            .and_then(|r| r.expires_on)
            .or_else(|| checked.expiry_date(today.year()));
        Some(LotAnswer {
            lot: lot.to_owned(),
            recalled: listed_recall || record.is_some_and(|r| r.recalled),
            expires_on,
            expired: expires_on.is_some_and(|d| d < today),
        })
    });
    CheckAnswer {
        valid: checked.valid(),
        format: checked.format,
        gtin: checked.gtin.as_ref().map(|g| g.as_str().to_owned()),
        gs1_prefix: checked.gs1_prefix().map(|p| PrefixAnswer {
            prefix: p.prefix,
            issuer: p.issuer.to_owned(),
            country: p.country.map(str::to_owned),
        }),
        errors: checked
            .errors
            .iter()
            .map(|e| CodeError {
                code: e.code.as_str().to_owned(),
                message: e.message(lang),
                ai: e.ai.clone(),
                position: e.position,
            })
            .collect(),
        elements: checked
            .elements
            .into_iter()
            .map(|e| ElementAnswer {
                ai: e.ai.into_string(),
                title: e.title.to_owned(),
                value: e.value.into_string(),
            })
            .collect(),
        product,
        lot,
    }
}

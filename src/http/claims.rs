//! `POST /v1/claims/verify` and `POST /v1/claims/verify-batch` (platform, authority, admin).
//!
//! A batch is read whole before the first answer line (so more than [`MAX_BATCH_LINES`] lines
//! or [`MAX_BATCH_BYTES`] bytes is refused with a problem, not cut off mid-stream), then
//! verified [`CLAIM_CONCURRENCY`] claims at a time and streamed out in input order.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use futures::{stream, StreamExt};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::JsonBodyProblems;
use super::extract::{allow, ApiJson};
use super::problem::{ApiError, FieldProblem, Problem, Text};
use super::tax::FindingAnswer;
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::origin::einvoice::reference::InvoiceRefInput;
use crate::store::claims::look_up;
use crate::verify::claim::{evaluate, ClaimInput, ParsedClaim, Verdict};

pub use super::batch::{MAX_BATCH_BYTES, MAX_BATCH_LINES};
/// Claims of one batch verified at the same time.
pub const CLAIM_CONCURRENCY: usize = 64;
/// Most invoices in one claim.
pub const MAX_INVOICES_PER_CLAIM: usize = 50;

/// The claim routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify).layer(allow(&[Role::Platform, Role::Authority])))
        .routes(routes!(verify_batch).layer(allow(&[Role::Platform, Role::Authority])))
}

/// One seller's origin claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "seller": {
        "tax_code": "0101248141",
        "platform_seller_id": "shopee:88231",
        "shop_url": "https://shopee.vn/suatuoi.mau"
    },
    "product": {
        "code": "(01)08935049500018(10)LOT7",
        "claimed_origin": "VN",
        "claimed_manufacturer_tax_code": "0300588569"
    },
    "invoices": [{"seller_tax_code": "0300588569", "template": "1", "symbol": "C26TAA", "number": "123"}]
}))]
pub struct ClaimRequest {
    /// The seller making the claim: its tax code and, when known, its shop.
    pub seller: SellerPart,
    /// What is sold and what is claimed about it.
    pub product: ProductPart,
    /// Invoices offered as proof of origin, at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub invoices: Vec<InvoiceRefInput>,
}

/// The seller of a claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerPart {
    /// The seller's tax code.
    pub tax_code: String,
    /// The platform's own id for the seller.
    #[serde(default)]
    pub platform_seller_id: Option<String>,
    /// The shop's URL.
    #[serde(default)]
    pub shop_url: Option<String>,
}

/// The product of a claim.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPart {
    /// Any code `POST /v1/traceability/check` accepts.
    pub code: String,
    /// Claimed country of origin, ISO 3166-1 alpha-2.
    #[serde(default)]
    pub claimed_origin: Option<String>,
    /// Claimed manufacturer's tax code (for imported goods, the importer's matches too).
    #[serde(default)]
    pub claimed_manufacturer_tax_code: Option<String>,
}

/// The verdict on an origin claim, with every finding behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimAnswer {
    /// `consistent`, `suspicious`, `inconsistent` or `invalid`.
    pub verdict: Verdict,
    /// Every finding, most severe first: what was checked and what it showed.
    pub findings: Vec<FindingAnswer>,
    /// When the claim was checked.
    pub checked_at: DateTime<Utc>,
}

/// One line of a batch answer: the line number with either the verification or an error.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchLine {
    /// A verified line.
    Verified(VerifiedLine),
    /// A line that could not be verified.
    Failed(FailedLine),
}

/// A verified batch line: its number and the verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedLine {
    /// 1-based input line number.
    #[schema(minimum = 1)]
    pub line: usize,
    /// The verification.
    #[serde(flatten)]
    pub answer: ClaimAnswer,
}

/// A batch line that could not be verified: its number and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedLine {
    /// 1-based input line number.
    #[schema(minimum = 1)]
    pub line: usize,
    /// Why the line could not be verified.
    pub error: LineError,
}

/// Why one batch line was not verified.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineError {
    /// Stable code (`malformed_json`, `invalid_record`, `too_many_invoices`, `invalid_utf8`, …).
    pub code: String,
    /// What is wrong.
    pub message: String,
}

impl ClaimRequest {
    /// The claim to judge; a request the rules cannot read is refused field by field.
    fn into_input(self) -> Result<ClaimInput, FieldProblem> {
        if self.invoices.len() > MAX_INVOICES_PER_CLAIM {
            return Err(FieldProblem::new(
                "invoices",
                "too_many_invoices",
                Text::new(
                    format!("At most {MAX_INVOICES_PER_CLAIM} invoices per claim."),
                    format!("Tối đa {MAX_INVOICES_PER_CLAIM} hóa đơn cho mỗi khai báo."),
                ),
            ));
        }
        let origin = self.product.claimed_origin.as_deref().map(str::trim);
        if origin.is_some_and(|o| {
            !o.is_empty() && crate::origin::country::by_alpha2(&o.to_ascii_uppercase()).is_none()
        }) {
            return Err(FieldProblem::new(
                "product.claimed_origin",
                "invalid_country",
                Text::fixed(
                    "Not an ISO 3166-1 alpha-2 country code (VN, CN, …).",
                    "Không phải mã quốc gia ISO 3166-1 alpha-2 (VN, CN, …).",
                ),
            ));
        }
        Ok(ClaimInput {
            seller_tax_code: self.seller.tax_code,
            shop_url: self.seller.shop_url,
            product_code: self.product.code,
            claimed_origin: self.product.claimed_origin,
            claimed_manufacturer_tax_code: self.product.claimed_manufacturer_tax_code,
            invoices: self.invoices,
        })
    }
}

/// Verifies one claim end to end: parse, one Redis round trip, judge.
async fn verify_one(
    state: &AppState,
    input: &ClaimInput,
    lang: Lang,
) -> Result<ClaimAnswer, crate::store::StoreError> {
    let now = Utc::now();
    let today = crate::origin::vietnam_date(now);
    let parsed = ParsedClaim::parse(input, today.year());
    let found = look_up(state.store(), &parsed).await?;
    let outcome = evaluate(&parsed, &found, today);
    Ok(ClaimAnswer {
        verdict: outcome.verdict,
        findings: outcome
            .findings
            .iter()
            .map(|f| FindingAnswer::new(f, lang))
            .collect(),
        checked_at: now,
    })
}

/// Verifies a seller's origin claim: the traceability code, tax codes and invoices, and the
/// cross-checks between them and the reference data.
#[utoipa::path(post, path = "/v1/claims/verify", tag = "verification", operation_id = "verify_claim",
    request_body = ClaimRequest,
    responses(
        (status = 200, description = "The verdict and findings", body = ClaimAnswer),
        JsonBodyProblems,
        (status = 422, description = "Missing fields or too many invoices", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    ApiJson(request): ApiJson<ClaimRequest>,
) -> Result<Json<ClaimAnswer>, ApiError> {
    let input = request
        .into_input()
        .map_err(|problem| ApiError::invalid(vec![problem]))?;
    Ok(Json(verify_one(&state, &input, lang).await?))
}

/// Verifies up to 10,000 claims sent as NDJSON (one claim a line); answers NDJSON, one result
/// a line in input order with its `line` number. A bad line is that line's error.
#[utoipa::path(post, path = "/v1/claims/verify-batch", tag = "verification",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One claim (as in /v1/claims/verify) per line",
        example = json!("{\"seller\":{\"tax_code\":\"0101248141\"},\"product\":{\"code\":\"08935049500018\",\"claimed_origin\":\"VN\"}}\n{\"seller\":{\"tax_code\":\"0105682342\"},\"product\":{\"code\":\"(01)06901234567892\",\"claimed_origin\":\"VN\"}}\n")),
    responses(
        (status = 200, description = "One BatchLine per non-blank input line, NDJSON", body = BatchLine, content_type = "application/x-ndjson"),
        (status = 400, description = "The body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10,000 lines or 16 MiB", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn verify_batch(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    body: Body,
) -> Result<Response, ApiError> {
    let lines = super::batch::read_lines(body).await?;
    let state = Arc::new(state);
    let answers = stream::iter(lines)
        .map(move |line| {
            let state = Arc::clone(&state);
            async move { batch_line(&state, line, lang).await }
        })
        .buffered(CLAIM_CONCURRENCY);
    Ok(super::batch::ndjson_response(answers))
}

async fn batch_line(state: &AppState, line: crate::ndjson::Line, lang: Lang) -> BatchLine {
    let number = line.number;
    let failed = |code: &str, message: String| {
        BatchLine::Failed(FailedLine {
            line: number,
            error: LineError {
                code: code.to_owned(),
                message,
            },
        })
    };
    let text = match line.text {
        Ok(text) => text,
        Err(error) => return failed(error.code(), error.message(lang).to_owned()),
    };
    let request: ClaimRequest = match serde_json::from_str(&text) {
        Ok(request) => request,
        Err(error) if error.is_syntax() || error.is_eof() => {
            return failed("malformed_json", error.to_string())
        }
        Err(error) => return failed("invalid_record", error.to_string()),
    };
    let input = match request.into_input() {
        Ok(input) => input,
        Err(problem) => return failed(&problem.code, problem.message.get(lang).to_owned()),
    };
    match verify_one(state, &input, lang).await {
        Ok(answer) => BatchLine::Verified(VerifiedLine {
            line: number,
            answer,
        }),
        Err(error) => {
            tracing::warn!(%error, line = number, "claim look-up failed");
            failed(
                "unavailable",
                lang.pick(
                    "The data store did not answer.",
                    "Kho dữ liệu không phản hồi.",
                )
                .to_owned(),
            )
        }
    }
}

//! `GET /v1/tax-codes/{code}` and `POST /v1/invoices/check` (platform, authority, admin).

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;

use super::doc::{BadPath, JsonBodyProblems};
use super::extract::{allow, ApiJson};
use super::problem::{ApiError, Problem};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::i18n::Lang;
use crate::origin::einvoice::reference::{validate, InvoiceRefInput};
use crate::origin::findings::{Finding, FindingCode, Severity};
use crate::origin::gs1::Gtin;
use crate::origin::tax_code::TaxCode;
use crate::reference::invoice::Invoice;
use crate::reference::taxpayer::Taxpayer;
use crate::store::reference as store;
use crate::verify::invoice_match::{match_invoice, LookupStatus};

/// Longest path segment accepted as a tax code before it is refused unread.
const MAX_TAX_CODE_INPUT: usize = 64;

/// The tax-code and invoice routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tax_code).layer(allow(&[Role::Platform, Role::Authority])))
        .routes(routes!(check_invoice).layer(allow(&[Role::Platform, Role::Authority])))
}

/// A tax-code check.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxCodeAnswer {
    /// The canonical form when valid (branches `0100109106-001`), else the input.
    pub tax_code: String,
    /// Whether the code is well-formed with a correct check digit.
    pub valid: bool,
    /// `enterprise`, `branch` or `personal`; null when invalid.
    #[schema(value_type = Option<String>, example = "enterprise")]
    pub kind: Option<&'static str>,
    /// Why it is invalid.
    pub errors: Vec<ValueError>,
    /// The taxpayer on record, if any.
    pub taxpayer: Option<Taxpayer>,
}

/// A problem with a value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValueError {
    /// The field concerned (invoice checks), absent for a lone value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable machine code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// Validates a Vietnamese tax code (10 digits, 13-digit branch with or without the dash,
/// 12-digit personal number) and looks the taxpayer up.
#[utoipa::path(get, path = "/v1/tax-codes/{code}", tag = "verification",
    params(("code" = String, Path, description = "The tax code: 10 digits, a 13-digit branch with or without the dash, or a 12-digit personal number", example = "0100109106-001")),
    responses(
        (status = 200, description = "The check (also for invalid codes)", body = TaxCodeAnswer),
        BadPath,
    ),
    security(("bearer" = [])))]
pub async fn tax_code(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    Path(code): Path<String>,
) -> Result<Json<TaxCodeAnswer>, ApiError> {
    let input: String = code.chars().take(MAX_TAX_CODE_INPUT).collect();
    let answer = match TaxCode::parse(&input) {
        Ok(parsed) => {
            let canonical = parsed.to_string();
            let taxpayer = store::taxpayer(state.store(), &canonical).await?;
            TaxCodeAnswer {
                tax_code: canonical,
                valid: true,
                kind: Some(parsed.kind().as_str()),
                errors: Vec::new(),
                taxpayer,
            }
        }
        Err(error) => TaxCodeAnswer {
            tax_code: input,
            valid: false,
            kind: None,
            errors: vec![ValueError {
                field: None,
                code: error.code().to_owned(),
                message: error.message(lang).to_owned(),
            }],
            taxpayer: None,
        },
    };
    Ok(Json(answer))
}

/// An invoice check.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceCheckAnswer {
    /// Whether every field is well-formed and the fields agree with each other.
    pub valid_format: bool,
    /// Field-level format problems.
    pub errors: Vec<ValueError>,
    /// Look-up result; null when the format is invalid and no look-up was made.
    pub status: Option<LookupStatus>,
    /// The invoice on record.
    pub invoice: Option<Invoice>,
    /// What the comparison found.
    pub findings: Vec<FindingAnswer>,
}

/// A finding as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingAnswer {
    /// Stable machine code of the finding (`tax_code_inactive`, …).
    pub code: FindingCode,
    /// `info`, `warning` or `critical`.
    pub severity: Severity,
    /// What was found.
    pub message: String,
    /// What it concerns.
    pub subject: String,
}

impl FindingAnswer {
    /// Renders a finding in `lang`.
    pub fn new(finding: &Finding, lang: Lang) -> FindingAnswer {
        FindingAnswer {
            code: finding.code,
            severity: finding.severity(),
            message: finding.message.get(lang).to_owned(),
            subject: finding.subject.clone(),
        }
    }
}

/// Checks an e-invoice reference's format (Decree 123/2020, Circular 78/2021) and looks it
/// up in the e-invoice reference data.
#[utoipa::path(post, path = "/v1/invoices/check", tag = "verification",
    request_body = InvoiceRefInput,
    responses(
        (status = 200, description = "The check (also for invalid references)", body = InvoiceCheckAnswer),
        JsonBodyProblems,
        (status = 422, description = "Fields of the wrong type", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn check_invoice(
    State(state): State<AppState>,
    _caller: Caller,
    lang: Lang,
    ApiJson(input): ApiJson<InvoiceRefInput>,
) -> Result<Json<InvoiceCheckAnswer>, ApiError> {
    let mut errors = Vec::new();
    let gtin = match input
        .gtin
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => None,
        Some(raw) => match Gtin::parse(raw) {
            Ok(gtin) => Some(gtin),
            Err(error) => {
                errors.push(ValueError {
                    field: Some("gtin".into()),
                    code: error.code.as_str().to_owned(),
                    message: error.message(lang),
                });
                None
            }
        },
    };
    let reference = match validate(&input) {
        Ok(reference) => Some(reference),
        Err(field_errors) => {
            errors.extend(field_errors.into_iter().map(|e| ValueError {
                field: Some(e.field.to_owned()),
                code: e.code.to_owned(),
                message: e.message(lang).to_owned(),
            }));
            None
        }
    };
    let Some(reference) = reference.filter(|_| errors.is_empty()) else {
        return Ok(Json(InvoiceCheckAnswer {
            valid_format: false,
            errors,
            status: None,
            invoice: None,
            findings: Vec::new(),
        }));
    };
    let stored = store::invoice(state.store(), &reference.lookup_key()).await?;
    let matched = match_invoice(
        &reference,
        stored.as_ref(),
        gtin.as_ref().map(Gtin::as_str),
        "invoice",
    );
    Ok(Json(InvoiceCheckAnswer {
        valid_format: true,
        errors,
        status: Some(matched.status),
        invoice: stored,
        findings: matched
            .findings
            .iter()
            .map(|f| FindingAnswer::new(f, lang))
            .collect(),
    }))
}

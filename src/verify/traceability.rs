//! The answer to a traceability check: what a parsed GS1 code and the reference data's
//! product and recall records say together. A lot is recalled when its product record or the
//! recall list says so; it is expired when its expiry date (from the reference data, else from
//! AI 17 in the code) is before today's Vietnamese date.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;
use crate::origin::gs1::{self, Check};
use crate::reference::product::{Product, Rendered};

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
    // Shared with the reference cache and rendered once there, not per answer.
    #[schema(value_type = Option<Product>)]
    pub product: Option<Arc<Rendered>>,
    /// The lot, when the code names one and it is known (in the product's lots or recalls).
    pub lot: Option<LotAnswer>,
}

/// One element of the code: an application identifier and its data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElementAnswer {
    /// The application identifier.
    pub ai: String,
    /// Its GS1 title.
    pub title: String,
    /// The element's data, as read from the code.
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

/// Builds the answer from the parsed code and what the reference data holds.
pub fn answer(
    checked: Check,
    lookup: Option<(Option<Arc<Rendered>>, bool)>,
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

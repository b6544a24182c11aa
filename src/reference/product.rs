//! Product records (GTIN, manufacturer, country of origin, authorised sellers, lots) and
//! recalled lots.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{optional_text, parse_date, parse_json, required_text, tax_code, RecordError};
use crate::i18n::{Lang, Text};
use crate::origin::country;
use crate::origin::gs1::ai_table::Charset;
use crate::origin::gs1::Gtin;

/// Longest product, brand or manufacturer name accepted.
const MAX_NAME_CHARS: usize = 300;
/// Most lots one product line may carry.
pub const MAX_LOTS: usize = 1000;
/// Most authorised sellers one product line may carry.
pub const MAX_SELLERS: usize = 1000;
/// Longest lot number (GS1 AI 10 is X..20).
const MAX_LOT_CHARS: usize = 20;

/// A product as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// GTIN, 14 digits.
    pub gtin: String,
    /// Product name.
    pub name: String,
    /// Brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The manufacturer's tax code (canonical form).
    pub manufacturer_tax_code: String,
    /// The manufacturer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_name: Option<String>,
    /// Registered country of origin, ISO 3166-1 alpha-2.
    pub country_of_origin: String,
    /// Tax codes of sellers the brand owner authorises (empty: no restriction recorded).
    #[serde(default)]
    pub authorized_sellers: Vec<String>,
    /// Known production lots.
    #[serde(default)]
    pub lots: Vec<Lot>,
}

impl Product {
    /// The lot record for `lot`, if known.
    pub fn lot(&self, lot: &str) -> Option<&Lot> {
        self.lots.iter().find(|l| l.lot == lot)
    }
}

/// One production lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lot {
    /// Lot number (AI 10).
    pub lot: String,
    /// Production date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_on: Option<NaiveDate>,
    /// Expiry date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// Whether the lot is recalled.
    #[serde(default)]
    pub recalled: bool,
}

/// A recalled lot loaded on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recall {
    /// GTIN, 14 digits.
    pub gtin: String,
    /// Lot number.
    pub lot: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductInput {
    gtin: Option<String>,
    name: Option<String>,
    brand: Option<String>,
    manufacturer_tax_code: Option<String>,
    manufacturer_name: Option<String>,
    country_of_origin: Option<String>,
    #[serde(default)]
    authorized_sellers: Vec<String>,
    #[serde(default)]
    lots: Vec<LotInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LotInput {
    lot: Option<String>,
    produced_on: Option<String>,
    expires_on: Option<String>,
    #[serde(default)]
    recalled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallInput {
    gtin: Option<String>,
    lot: Option<String>,
}

/// Validates one product line.
pub fn validate_product(line: &str) -> Result<Product, Vec<RecordError>> {
    let input: ProductInput = parse_json(line)?;
    let mut errors = Vec::new();
    let gtin = gtin_field(input.gtin, "gtin", &mut errors);
    let name = required_text(input.name, "name", MAX_NAME_CHARS, &mut errors);
    let brand = optional_text(input.brand, "brand", MAX_NAME_CHARS, &mut errors);
    let raw_tax_code = required_text(
        input.manufacturer_tax_code,
        "manufacturer_tax_code",
        20,
        &mut errors,
    );
    let manufacturer_tax_code = if raw_tax_code.is_empty() {
        raw_tax_code
    } else {
        tax_code(&raw_tax_code, "manufacturer_tax_code", &mut errors)
    };
    let manufacturer_name = optional_text(
        input.manufacturer_name,
        "manufacturer_name",
        MAX_NAME_CHARS,
        &mut errors,
    );
    let country_of_origin =
        required_text(input.country_of_origin, "country_of_origin", 2, &mut errors);
    if !country_of_origin.is_empty() && country::by_alpha2(&country_of_origin).is_none() {
        errors.push(RecordError::new(
            "country_of_origin",
            "invalid_country",
            Text::fixed(
                "Not an ISO 3166-1 alpha-2 country code (upper case, e.g. VN).",
                "Không phải mã quốc gia ISO 3166-1 alpha-2 (chữ hoa, ví dụ VN).",
            ),
        ));
    }
    if input.authorized_sellers.len() > MAX_SELLERS {
        errors.push(too_many("authorized_sellers", MAX_SELLERS));
    }
    let authorized_sellers = input
        .authorized_sellers
        .iter()
        .take(MAX_SELLERS)
        .enumerate()
        .map(|(i, code)| {
            tax_code(
                code.trim(),
                &format!("authorized_sellers[{i}]"),
                &mut errors,
            )
        })
        .collect();
    if input.lots.len() > MAX_LOTS {
        errors.push(too_many("lots", MAX_LOTS));
    }
    let mut lots: Vec<Lot> = Vec::with_capacity(input.lots.len().min(MAX_LOTS));
    for (i, lot) in input.lots.into_iter().take(MAX_LOTS).enumerate() {
        let lot = validate_lot(lot, i, &mut errors);
        if lots.iter().any(|l| l.lot == lot.lot) {
            errors.push(RecordError::new(
                format!("lots[{i}].lot"),
                "duplicate_lot",
                Text::fixed("This lot is listed twice.", "Lô này bị liệt kê hai lần."),
            ));
        }
        lots.push(lot);
    }
    if errors.is_empty() {
        Ok(Product {
            gtin,
            name,
            brand,
            manufacturer_tax_code,
            manufacturer_name,
            country_of_origin,
            authorized_sellers,
            lots,
        })
    } else {
        Err(errors)
    }
}

fn validate_lot(input: LotInput, index: usize, errors: &mut Vec<RecordError>) -> Lot {
    let field = |name: &str| format!("lots[{index}].{name}");
    let lot = lot_number(input.lot, &field("lot"), errors);
    let produced_on = input
        .produced_on
        .and_then(|d| parse_date(d.trim(), &field("produced_on"), errors));
    let expires_on = input
        .expires_on
        .and_then(|d| parse_date(d.trim(), &field("expires_on"), errors));
    if let (Some(made), Some(expires)) = (produced_on, expires_on) {
        if expires < made {
            errors.push(RecordError::new(
                field("expires_on"),
                "expires_before_produced",
                Text::fixed(
                    "The expiry date is before the production date.",
                    "Ngày hết hạn sớm hơn ngày sản xuất.",
                ),
            ));
        }
    }
    Lot {
        lot,
        produced_on,
        expires_on,
        recalled: input.recalled,
    }
}

/// Validates one recall line.
pub fn validate_recall(line: &str) -> Result<Recall, Vec<RecordError>> {
    let input: RecallInput = parse_json(line)?;
    let mut errors = Vec::new();
    let gtin = gtin_field(input.gtin, "gtin", &mut errors);
    let lot = lot_number(input.lot, "lot", &mut errors);
    if errors.is_empty() {
        Ok(Recall { gtin, lot })
    } else {
        Err(errors)
    }
}

fn gtin_field(value: Option<String>, field: &str, errors: &mut Vec<RecordError>) -> String {
    let raw = required_text(value, field, 14, errors);
    if raw.is_empty() {
        return raw;
    }
    match Gtin::parse(&raw) {
        Ok(gtin) => gtin.as_str().to_owned(),
        Err(error) => {
            errors.push(RecordError::new(
                field,
                error.code.as_str(),
                Text::new(error.message(Lang::En), error.message(Lang::Vi)),
            ));
            raw
        }
    }
}

/// A lot number: 1–20 characters of GS1 CSET 82, as AI 10 allows.
fn lot_number(value: Option<String>, field: &str, errors: &mut Vec<RecordError>) -> String {
    let lot = required_text(value, field, MAX_LOT_CHARS, errors);
    if !lot.is_empty() && !lot.bytes().all(|b| Charset::Cset82.allows(b)) {
        errors.push(RecordError::new(
            field,
            "bad_character",
            Text::fixed(
                "A lot number may only use GS1 CSET 82 characters.",
                "Số lô chỉ được dùng ký tự thuộc GS1 CSET 82.",
            ),
        ));
    }
    lot
}

fn too_many(field: &str, max: usize) -> RecordError {
    RecordError::new(
        field,
        "too_many",
        Text::new(
            format!("At most {max} entries."),
            format!("Tối đa {max} mục."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gtin13_is_stored_as_14_digits_with_its_lots() {
        let p = validate_product(
            r#"{"gtin":"8935049500018","name":"Sữa","manufacturer_tax_code":"0300588569","country_of_origin":"VN",
               "lots":[{"lot":"L1","produced_on":"2025-01-01","expires_on":"2026-01-01"}]}"#,
        );
        let p = p.unwrap();
        assert_eq!(p.gtin, "08935049500018");
        assert_eq!(
            p.lot("L1").unwrap().expires_on,
            NaiveDate::from_ymd_opt(2026, 1, 1)
        );
    }

    #[test]
    fn bad_fields_are_each_named() {
        let errors = validate_product(
            r#"{"gtin":"8935049500019","name":"x","manufacturer_tax_code":"0300588569","country_of_origin":"XX",
               "authorized_sellers":["123"],"lots":[{"lot":"L 1","expires_on":"2026-02-30"}]}"#,
        )
        .unwrap_err();
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            vec![
                ("gtin", "check_digit"),
                ("country_of_origin", "invalid_country"),
                ("authorized_sellers[0]", errors[2].code),
                ("lots[0].lot", "bad_character"),
                ("lots[0].expires_on", "invalid_date"),
            ]
        );
    }

    #[test]
    fn unknown_fields_and_broken_json_are_refused() {
        let unknown = validate_product(r#"{"gtin":"8935049500018","countri":"VN"}"#).unwrap_err();
        assert_eq!(unknown[0].code, "invalid_record");
        assert!(unknown[0].message.get(Lang::En).contains("countri"));
        assert_eq!(
            validate_recall("{\"gtin\":").unwrap_err()[0].code,
            "malformed_json"
        );
    }
}

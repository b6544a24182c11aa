//! Product records (GTIN, manufacturer or importer, country of origin, authorised sellers,
//! lots) and recalled lots.
//!
//! A product names the Vietnamese party answerable for it: the manufacturer's tax code, or,
//! for imported goods made abroad (which have no Vietnamese manufacturer tax code), the
//! importer's tax code with the foreign manufacturer's name. Both may be given.

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
    /// The product's name as registered.
    pub name: String,
    /// The brand the product is sold under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The manufacturer's tax code (canonical form); absent for imported goods made abroad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer_tax_code: Option<String>,
    /// The importer's tax code (canonical form), for imported goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer_tax_code: Option<String>,
    /// The manufacturer's name (required with `importer_tax_code`: the foreign manufacturer).
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

    /// The tax codes of the Vietnamese parties the goods come from: the manufacturer and, for
    /// imported goods, the importer. A claim or a sale by either is a claim by the source.
    pub fn source_tax_codes(&self) -> impl Iterator<Item = &str> {
        self.manufacturer_tax_code
            .iter()
            .chain(self.importer_tax_code.iter())
            .map(String::as_str)
    }
}

/// A product with the JSON that answers carry for it, rendered once when the product is read
/// from Redis (and kept with it in the reference cache) rather than for every answer.
#[derive(Debug)]
pub struct Rendered {
    product: Product,
    /// `None` only if the product could not be rendered; it is then serialised per answer.
    json: Option<Box<serde_json::value::RawValue>>,
}

impl Rendered {
    /// Renders `product` once.
    pub fn new(product: Product) -> Rendered {
        let json = serde_json::value::to_raw_value(&product).ok();
        Rendered { product, json }
    }
}

impl std::ops::Deref for Rendered {
    type Target = Product;

    fn deref(&self) -> &Product {
        &self.product
    }
}

impl Serialize for Rendered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.json {
            Some(json) => json.serialize(serializer),
            None => self.product.serialize(serializer),
        }
    }
}

/// One production lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lot {
    /// Lot number (AI 10).
    pub lot: String,
    /// The lot's production date, when the steward gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_on: Option<NaiveDate>,
    /// The lot's expiry date, when the steward gave one; it is expired the day after.
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
    importer_tax_code: Option<String>,
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
    let parties = Parties::validate(
        input.manufacturer_tax_code,
        input.importer_tax_code,
        input.manufacturer_name,
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
            manufacturer_tax_code: parties.manufacturer_tax_code,
            importer_tax_code: parties.importer_tax_code,
            manufacturer_name: parties.manufacturer_name,
            country_of_origin,
            authorized_sellers,
            lots,
        })
    } else {
        Err(errors)
    }
}

/// Who answers for a product: a manufacturer tax code, or an importer tax code with the
/// foreign manufacturer's name (or both).
struct Parties {
    manufacturer_tax_code: Option<String>,
    importer_tax_code: Option<String>,
    manufacturer_name: Option<String>,
}

impl Parties {
    fn validate(
        manufacturer_tax_code: Option<String>,
        importer_tax_code: Option<String>,
        manufacturer_name: Option<String>,
        errors: &mut Vec<RecordError>,
    ) -> Parties {
        let mut code = |value: Option<String>, field: &str| {
            optional_text(value, field, 20, errors).map(|raw| tax_code(&raw, field, errors))
        };
        let manufacturer_tax_code = code(manufacturer_tax_code, "manufacturer_tax_code");
        let importer_tax_code = code(importer_tax_code, "importer_tax_code");
        let manufacturer_name = optional_text(
            manufacturer_name,
            "manufacturer_name",
            MAX_NAME_CHARS,
            errors,
        );
        if manufacturer_tax_code.is_none() && importer_tax_code.is_none() {
            errors.push(RecordError::new(
                "manufacturer_tax_code",
                "missing_field",
                Text::fixed(
                    "This field is required (or, for imported goods made abroad, importer_tax_code with manufacturer_name).",
                    "Trường này là bắt buộc (hoặc, với hàng nhập khẩu sản xuất ở nước ngoài, importer_tax_code cùng manufacturer_name).",
                ),
            ));
        }
        if importer_tax_code.is_some() && manufacturer_name.is_none() {
            errors.push(RecordError::new(
                "manufacturer_name",
                "missing_field",
                Text::fixed(
                    "Imported goods name their foreign manufacturer.",
                    "Hàng nhập khẩu phải ghi tên nhà sản xuất ở nước ngoài.",
                ),
            ));
        }
        Parties {
            manufacturer_tax_code,
            importer_tax_code,
            manufacturer_name,
        }
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
mod tests;

//! E-invoice records: the invoice reference fields, its status and its items.
//!
//! A stored invoice passes the same format and cross-field rules as a reference a client
//! sends to `POST /v1/invoices/check` (one rule set, in `origin::einvoice`), plus a required
//! issue date, a status and items, and, being the tax authority's copy, the tax-authority code
//! on a `C` invoice (a check may leave it out).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{optional_text, parse_json, RecordError};
use crate::i18n::{Lang, Text};
use crate::origin::einvoice::reference::{
    validate_record as validate_reference, InvoiceRef, InvoiceRefInput,
};
use crate::origin::gs1::Gtin;

/// Most items one invoice line may carry.
pub const MAX_ITEMS: usize = 1000;

/// Where an invoice stands at the tax authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Issued and in force.
    Issued,
    /// Cancelled.
    Cancelled,
    /// Replaced by another invoice.
    Replaced,
    /// Adjusted by another invoice.
    Adjusted,
}

/// An invoice as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Invoice {
    /// Seller's tax code, canonical.
    pub seller_tax_code: String,
    /// Template number (one digit).
    pub template: String,
    /// Invoice symbol (6 characters).
    pub symbol: String,
    /// Invoice number, without leading zeros.
    pub number: String,
    /// The date the invoice was issued (Vietnamese calendar date).
    pub issued_on: NaiveDate,
    /// The tax authority's code (`C` invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_authority_code: Option<String>,
    /// Buyer's tax code, canonical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_tax_code: Option<String>,
    /// Whether the invoice stands, was replaced, adjusted or cancelled.
    pub status: InvoiceStatus,
    /// Lines of the invoice.
    #[serde(default)]
    pub items: Vec<InvoiceItem>,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceItem {
    /// GTIN of the goods, 14 digits, when the seller recorded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// The goods or service as the invoice line names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The quantity on the invoice line, in its unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
}

impl Invoice {
    /// The key the invoice is stored under: `seller|template|symbol|number`, canonical.
    pub fn lookup_key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.seller_tax_code, self.template, self.symbol, self.number
        )
    }

    /// Whether an item carries this 14-digit GTIN.
    pub fn has_item(&self, gtin: &str) -> bool {
        self.items.iter().any(|i| i.gtin.as_deref() == Some(gtin))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceInput {
    #[serde(default)]
    seller_tax_code: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    number: String,
    issued_on: Option<String>,
    tax_authority_code: Option<String>,
    buyer_tax_code: Option<String>,
    status: Option<InvoiceStatus>,
    #[serde(default)]
    items: Vec<ItemInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    gtin: Option<String>,
    name: Option<String>,
    quantity: Option<f64>,
}

/// Validates one invoice line.
pub fn validate(line: &str) -> Result<Invoice, Vec<RecordError>> {
    let input: InvoiceInput = parse_json(line)?;
    let mut errors = Vec::new();
    if input
        .issued_on
        .as_deref()
        .is_none_or(|d| d.trim().is_empty())
    {
        errors.push(RecordError::missing("issued_on"));
    }
    let reference = InvoiceRefInput {
        seller_tax_code: input.seller_tax_code,
        template: input.template,
        symbol: input.symbol,
        number: input.number,
        issued_on: input.issued_on,
        tax_authority_code: input.tax_authority_code,
        buyer_tax_code: input.buyer_tax_code,
        gtin: None,
    };
    let reference: Option<InvoiceRef> = match validate_reference(&reference) {
        Ok(reference) => Some(reference),
        Err(field_errors) => {
            errors.extend(field_errors.into_iter().map(|e| {
                RecordError::new(e.field, e.code, Text::fixed(e.message_en, e.message_vi))
            }));
            None
        }
    };
    if input.status.is_none() {
        errors.push(RecordError::missing("status"));
    }
    if input.items.len() > MAX_ITEMS {
        errors.push(RecordError::new(
            "items",
            "too_many",
            Text::new(
                format!("At most {MAX_ITEMS} items."),
                format!("Tối đa {MAX_ITEMS} mục."),
            ),
        ));
    }
    let items: Vec<InvoiceItem> = input
        .items
        .into_iter()
        .take(MAX_ITEMS)
        .enumerate()
        .map(|(i, item)| validate_item(item, i, &mut errors))
        .collect();
    match (reference, input.status) {
        (Some(reference), Some(status)) if errors.is_empty() => Ok(Invoice {
            seller_tax_code: reference.seller_tax_code().to_string(),
            template: reference.template().to_string(),
            symbol: reference.symbol().to_string(),
            number: reference.number().to_string(),
            issued_on: reference.issued_on().unwrap_or_default(),
            tax_authority_code: reference
                .tax_authority_code()
                .map(|c| c.as_str().to_owned()),
            buyer_tax_code: reference.buyer_tax_code().map(|c| c.to_string()),
            status,
            items,
        }),
        _ => Err(errors),
    }
}

fn validate_item(item: ItemInput, index: usize, errors: &mut Vec<RecordError>) -> InvoiceItem {
    let gtin = item.gtin.and_then(|raw| match Gtin::parse(raw.trim()) {
        Ok(gtin) => Some(gtin.as_str().to_owned()),
        Err(error) => {
            errors.push(RecordError::new(
                format!("items[{index}].gtin"),
                error.code.as_str(),
                Text::new(error.message(Lang::En), error.message(Lang::Vi)),
            ));
            None
        }
    });
    let name = optional_text(item.name, &format!("items[{index}].name"), 500, errors);
    if item.quantity.is_some_and(|q| !q.is_finite() || q <= 0.0) {
        errors.push(RecordError::new(
            format!("items[{index}].quantity"),
            "invalid_quantity",
            Text::fixed(
                "The quantity must be a positive number.",
                "Số lượng phải là số dương.",
            ),
        ));
    }
    InvoiceItem {
        gtin,
        name,
        quantity: item.quantity,
    }
}

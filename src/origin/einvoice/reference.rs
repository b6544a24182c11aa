//! The cross-field check of an invoice reference as clients send it to
//! `POST /v1/invoices/check`.
//!
//! [`validate`] parses every field, then checks the fields against each other, and reports all
//! problems at once, one [`FieldError`] each. It allocates nothing on the happy path besides
//! the copy of the untouched `gtin`.
//!
//! Choices where the rules are silent:
//! * a missing field deserialises as empty, so it is reported as a field error (`empty`), not
//!   as malformed JSON;
//! * an optional field that is empty or only whitespace counts as absent;
//! * the combined form `1C25TAA` is accepted in `symbol`: when it is seven characters and starts
//!   with a digit, that digit is the template. If `template` is empty it is taken from there;
//!   if both are given and differ, `template` gets `template_conflict`;
//! * `issued_on` is strictly `YYYY-MM-DD`; it is not compared with today (no clock here);
//! * cross checks run only between fields that parsed; `symbol_year_mismatch` and
//!   `symbol_template_mismatch` are reported on `symbol`, the presence checks on
//!   `tax_authority_code`. A `K` invoice with a malformed code gets both errors;
//! * the tax-authority code is optional in a check ([`validate`]): the tax authority's public
//!   look-up does not ask for it and a seller's invoice reference rarely carries it, so a `C`
//!   invoice without it is checked on its other fields. A code that is given is validated
//!   (and compared with the record by `invoice_match`). A record of the invoice itself
//!   ([`validate_record`], used for reference data) is the tax authority's copy: there a `C`
//!   invoice must carry its code (`tax_authority_code_missing`).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::authority_code::TaxAuthorityCode;
use super::number::InvoiceNumber;
use super::symbol::InvoiceSymbol;
use super::template::InvoiceTemplate;
use crate::i18n::Lang;
use crate::origin::tax_code::TaxCode;

/// An invoice reference as received, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(example = json!({
    "seller_tax_code": "0300588569",
    "template": "1",
    "symbol": "C26TAA",
    "number": "123",
    "issued_on": "2026-03-01",
    "tax_authority_code": "00A1B2C3D4E5F60718293A4B5C6D7E8F90",
    "buyer_tax_code": "0101248141",
    "gtin": "08935049500018"
}))]
pub struct InvoiceRefInput {
    /// Seller's tax code.
    pub seller_tax_code: String,
    /// Template number, e.g. `1`.
    pub template: String,
    /// Invoice symbol, e.g. `C25TAA` (or the combined `1C25TAA`).
    pub symbol: String,
    /// Invoice number, e.g. `123` or `00000123`.
    pub number: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// The tax authority's code, for `C` invoices.
    pub tax_authority_code: Option<String>,
    /// Buyer's tax code, if the buyer has one.
    pub buyer_tax_code: Option<String>,
    /// GTIN of an item on the invoice; passed through unchecked (checked by the GS1 module).
    pub gtin: Option<String>,
}

/// A checked invoice reference. Only [`validate`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRef {
    seller_tax_code: TaxCode,
    template: InvoiceTemplate,
    symbol: InvoiceSymbol,
    number: InvoiceNumber,
    issued_on: Option<NaiveDate>,
    tax_authority_code: Option<TaxAuthorityCode>,
    buyer_tax_code: Option<TaxCode>,
    gtin: Option<String>,
}

impl InvoiceRef {
    /// Seller's tax code.
    pub fn seller_tax_code(&self) -> TaxCode {
        self.seller_tax_code
    }
    /// Template number.
    pub fn template(&self) -> InvoiceTemplate {
        self.template
    }
    /// Invoice symbol.
    pub fn symbol(&self) -> InvoiceSymbol {
        self.symbol
    }
    /// Invoice number.
    pub fn number(&self) -> InvoiceNumber {
        self.number
    }
    /// Issue date, when given.
    pub fn issued_on(&self) -> Option<NaiveDate> {
        self.issued_on
    }
    /// The tax authority's code, when given (never for `K` invoices; a check may omit it for
    /// a `C` invoice, a record may not).
    pub fn tax_authority_code(&self) -> Option<&TaxAuthorityCode> {
        self.tax_authority_code.as_ref()
    }
    /// Buyer's tax code, when given.
    pub fn buyer_tax_code(&self) -> Option<TaxCode> {
        self.buyer_tax_code
    }
    /// The GTIN exactly as received, unchecked.
    pub fn gtin(&self) -> Option<&str> {
        self.gtin.as_deref()
    }

    /// Canonical key for reference-data look-up:
    /// `<seller canonical>|<template>|<symbol>|<number without leading zeros>`.
    pub fn lookup_key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.seller_tax_code, self.template, self.symbol, self.number
        )
    }
}

/// One problem with one field of an invoice reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The input field name, e.g. `symbol`.
    pub field: &'static str,
    /// Stable machine code, e.g. `check_digit` or `symbol_year_mismatch`.
    pub code: &'static str,
    /// Explanation in English.
    pub message_en: &'static str,
    /// Explanation in Vietnamese.
    pub message_vi: &'static str,
}

impl FieldError {
    /// The explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        lang.pick(self.message_en, self.message_vi)
    }
}

/// Builds a [`FieldError`] from any of the module's error enums.
macro_rules! field_error {
    ($field:expr, $error:expr) => {{
        let error = $error;
        FieldError {
            field: $field,
            code: error.code(),
            message_en: error.message(Lang::En),
            message_vi: error.message(Lang::Vi),
        }
    }};
}

/// Why an issue date is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum DateError {
    /// Not written `YYYY-MM-DD`.
    BadFormat,
    /// Written right but no such day (e.g. `2025-02-30`).
    InvalidDate,
}

impl DateError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DateError::BadFormat => "bad_format",
            DateError::InvalidDate => "invalid_date",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            DateError::BadFormat => (
                "Issue date must be written YYYY-MM-DD",
                "Ngày lập hóa đơn phải có dạng YYYY-MM-DD",
            ),
            DateError::InvalidDate => (
                "Issue date is not a real calendar date",
                "Ngày lập hóa đơn không phải là ngày hợp lệ",
            ),
        };
        lang.pick(en, vi)
    }
}

/// An inconsistency between fields that are each valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum CrossCheckError {
    /// The symbol's `YY` is not the last two digits of the issue date's year.
    SymbolYearMismatch,
    /// A `C` symbol without a tax-authority code, in an invoice record (a check may omit it).
    TaxAuthorityCodeMissing,
    /// A `K` symbol with a tax-authority code.
    TaxAuthorityCodeUnexpected,
    /// The symbol's type letter does not go with the template.
    SymbolTemplateMismatch,
    /// The template digit of a combined symbol differs from the `template` field.
    TemplateConflict,
}

impl CrossCheckError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CrossCheckError::SymbolYearMismatch => "symbol_year_mismatch",
            CrossCheckError::TaxAuthorityCodeMissing => "tax_authority_code_missing",
            CrossCheckError::TaxAuthorityCodeUnexpected => "tax_authority_code_unexpected",
            CrossCheckError::SymbolTemplateMismatch => "symbol_template_mismatch",
            CrossCheckError::TemplateConflict => "template_conflict",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            CrossCheckError::SymbolYearMismatch => (
                "The year in the invoice symbol differs from the year of the issue date",
                "Năm trong ký hiệu hóa đơn không khớp với năm của ngày lập hóa đơn",
            ),
            CrossCheckError::TaxAuthorityCodeMissing => (
                "The record of an invoice whose symbol starts with C must carry the tax authority's code",
                "Hồ sơ hóa đơn có ký hiệu bắt đầu bằng C phải có mã của cơ quan thuế",
            ),
            CrossCheckError::TaxAuthorityCodeUnexpected => (
                "An invoice whose symbol starts with K has no tax authority's code",
                "Hóa đơn có ký hiệu bắt đầu bằng K không có mã của cơ quan thuế",
            ),
            CrossCheckError::SymbolTemplateMismatch => (
                "The invoice type letter in the symbol does not go with the template number",
                "Ký tự loại hóa đơn trong ký hiệu không phù hợp với ký hiệu mẫu số",
            ),
            CrossCheckError::TemplateConflict => (
                "The template digit written before the symbol differs from the template number",
                "Chữ số mẫu số ghi trước ký hiệu hóa đơn khác với ký hiệu mẫu số",
            ),
        };
        lang.pick(en, vi)
    }
}

/// Parses a date written strictly `YYYY-MM-DD` (surrounding whitespace removed).
pub fn parse_issue_date(input: &str) -> Result<NaiveDate, DateError> {
    let Ok(bytes) = <&[u8; 10]>::try_from(crate::origin::text::trim_input(input).as_bytes()) else {
        return Err(DateError::BadFormat);
    };
    let digits_ok = bytes.iter().enumerate().all(|(index, byte)| {
        if index == 4 || index == 7 {
            *byte == b'-'
        } else {
            byte.is_ascii_digit()
        }
    });
    if !digits_ok {
        return Err(DateError::BadFormat);
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |acc, byte| acc * 10 + u32::from(byte - b'0'))
    };
    let year = i32::try_from(number(0..4)).map_err(|_| DateError::BadFormat)?;
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10)).ok_or(DateError::InvalidDate)
}

/// The trimmed value of an optional field, `None` when absent or blank.
fn present(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Splits the combined form `1C25TAA` into its template digit and symbol.
fn split_combined(symbol: &str) -> (Option<&str>, &str) {
    let symbol = crate::origin::text::trim_input(symbol);
    match symbol.as_bytes() {
        [first, ..] if symbol.len() == 7 && first.is_ascii_digit() => {
            (symbol.get(..1), symbol.get(1..).unwrap_or(symbol))
        }
        _ => (None, symbol),
    }
}

/// Whether a `C` invoice must carry the tax-authority code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthorityCodeRule {
    /// A check request: the code may be omitted (see the module docs).
    Optional,
    /// A record of the invoice: a `C` invoice carries its code.
    Required,
}

/// Checks every field of a reference a client quotes in a check, and the fields against each
/// other; returns the typed reference, or every problem found. The tax-authority code is
/// optional for a `C` invoice (a `K` invoice with one is still inconsistent).
pub fn validate(input: &InvoiceRefInput) -> Result<InvoiceRef, Vec<FieldError>> {
    validate_with(input, AuthorityCodeRule::Optional)
}

/// [`validate`] for the record of an invoice (reference data): a `C` invoice must also carry
/// the tax-authority code.
pub fn validate_record(input: &InvoiceRefInput) -> Result<InvoiceRef, Vec<FieldError>> {
    validate_with(input, AuthorityCodeRule::Required)
}

fn validate_with(
    input: &InvoiceRefInput,
    authority_code: AuthorityCodeRule,
) -> Result<InvoiceRef, Vec<FieldError>> {
    let mut errors = Vec::new();

    let seller = TaxCode::parse(&input.seller_tax_code)
        .map_err(|e| errors.push(field_error!("seller_tax_code", e)))
        .ok();

    let (combined_template, symbol_text) = split_combined(&input.symbol);
    let template = match (
        crate::origin::text::trim_input(&input.template).is_empty(),
        combined_template,
    ) {
        (true, Some(digit)) => InvoiceTemplate::parse(digit)
            .map_err(|e| errors.push(field_error!("symbol", e)))
            .ok(),
        _ => {
            let template = InvoiceTemplate::parse(&input.template)
                .map_err(|e| errors.push(field_error!("template", e)))
                .ok();
            if let (Some(template), Some(digit)) = (template, combined_template) {
                match InvoiceTemplate::parse(digit) {
                    Ok(from_symbol) if from_symbol == template => {}
                    Ok(_) => {
                        errors.push(field_error!("template", CrossCheckError::TemplateConflict))
                    }
                    Err(e) => errors.push(field_error!("symbol", e)),
                }
            }
            template
        }
    };
    let symbol = InvoiceSymbol::parse(symbol_text)
        .map_err(|e| errors.push(field_error!("symbol", e)))
        .ok();
    let number = InvoiceNumber::parse(&input.number)
        .map_err(|e| errors.push(field_error!("number", e)))
        .ok();
    let issued_on = match present(&input.issued_on) {
        None => Ok(None),
        Some(text) => parse_issue_date(text)
            .map(Some)
            .map_err(|e| errors.push(field_error!("issued_on", e))),
    };
    let authority_text = present(&input.tax_authority_code);
    let tax_authority_code = match authority_text {
        None => Ok(None),
        Some(text) => TaxAuthorityCode::parse(text)
            .map(Some)
            .map_err(|e| errors.push(field_error!("tax_authority_code", e))),
    };
    let buyer = match present(&input.buyer_tax_code) {
        None => Ok(None),
        Some(text) => TaxCode::parse(text)
            .map(Some)
            .map_err(|e| errors.push(field_error!("buyer_tax_code", e))),
    };

    if let Some(symbol) = symbol {
        if let Ok(Some(date)) = issued_on {
            if i32::from(symbol.year_two_digits()) != date.year().rem_euclid(100) {
                errors.push(field_error!("symbol", CrossCheckError::SymbolYearMismatch));
            }
        }
        if let Some(template) = template {
            if !symbol.goes_with(template) {
                errors.push(field_error!(
                    "symbol",
                    CrossCheckError::SymbolTemplateMismatch
                ));
            }
        }
        match (symbol.has_tax_authority_code(), authority_text.is_some()) {
            (true, false) if authority_code == AuthorityCodeRule::Required => {
                errors.push(field_error!(
                    "tax_authority_code",
                    CrossCheckError::TaxAuthorityCodeMissing
                ))
            }
            (false, true) => errors.push(field_error!(
                "tax_authority_code",
                CrossCheckError::TaxAuthorityCodeUnexpected
            )),
            _ => {}
        }
    }

    match (
        seller,
        template,
        symbol,
        number,
        issued_on,
        tax_authority_code,
        buyer,
    ) {
        (
            Some(seller),
            Some(template),
            Some(symbol),
            Some(number),
            Ok(issued_on),
            Ok(tax_authority_code),
            Ok(buyer),
        ) if errors.is_empty() => Ok(InvoiceRef {
            seller_tax_code: seller,
            template,
            symbol,
            number,
            issued_on,
            tax_authority_code,
            buyer_tax_code: buyer,
            gtin: input.gtin.clone(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests;

//! Reference data: the records platforms' checks are looked up in, and their validation.
//!
//! Stewards load products, recalls, taxpayers, e-invoices, platforms and shared
//! infrastructure as NDJSON. Each line is parsed
//! and validated here (pure: no I/O) into a canonical record, or rejected with one error per
//! bad field. Storing is `store::reference`; streaming the lines is [`import`].

pub mod invoice;
pub mod platform;
pub mod product;
pub mod taxpayer;

use chrono::NaiveDate;
use serde::Serialize;

use crate::i18n::Text;

/// The kinds of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// Product records.
    Products,
    /// Recalled lots.
    Recalls,
    /// Taxpayers.
    Taxpayers,
    /// E-invoices.
    Invoices,
    /// Platforms (marketplaces, social networks, CDNs) and their domains.
    Platforms,
    /// Address blocks many sites share (CDN and hosting ranges).
    SharedInfrastructure,
}

impl ReferenceKind {
    /// The kind's name in paths and commands.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Products => "products",
            ReferenceKind::Recalls => "recalls",
            ReferenceKind::Taxpayers => "taxpayers",
            ReferenceKind::Invoices => "invoices",
            ReferenceKind::Platforms => "platforms",
            ReferenceKind::SharedInfrastructure => "shared-infrastructure",
        }
    }
}

/// One problem with one field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The field, as a JSON path (`lots[2].expires_on`).
    pub field: String,
    /// Stable machine code.
    pub code: &'static str,
    /// What is wrong.
    pub message: Text,
}

impl RecordError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, code: &'static str, message: Text) -> RecordError {
        RecordError {
            field: field.into(),
            code,
            message,
        }
    }

    /// A required field is missing or empty.
    pub fn missing(field: impl Into<String>) -> RecordError {
        RecordError::new(
            field,
            "missing_field",
            Text::fixed("This field is required.", "Trường này là bắt buộc."),
        )
    }
}

/// A validated record, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// A product.
    Product(product::Product),
    /// A recalled lot.
    Recall(product::Recall),
    /// A taxpayer.
    Taxpayer(taxpayer::Taxpayer),
    /// An e-invoice.
    Invoice(invoice::Invoice),
    /// A platform.
    Platform(platform::Platform),
    /// Shared infrastructure.
    SharedInfrastructure(platform::SharedInfrastructure),
}

/// Parses and validates one NDJSON line of `kind`.
pub fn validate_line(kind: ReferenceKind, line: &str) -> Result<Record, Vec<RecordError>> {
    match kind {
        ReferenceKind::Products => product::validate_product(line).map(Record::Product),
        ReferenceKind::Recalls => product::validate_recall(line).map(Record::Recall),
        ReferenceKind::Taxpayers => taxpayer::validate(line).map(Record::Taxpayer),
        ReferenceKind::Invoices => invoice::validate(line).map(Record::Invoice),
        ReferenceKind::Platforms => platform::validate_platform(line).map(Record::Platform),
        ReferenceKind::SharedInfrastructure => {
            platform::validate_infrastructure(line).map(Record::SharedInfrastructure)
        }
    }
}

/// Parses a line into `T`; a JSON or shape error is one error on the whole record.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    line: &str,
) -> Result<T, Vec<RecordError>> {
    serde_json::from_str(line).map_err(|error| {
        let text = error.to_string();
        let code = if error.is_syntax() || error.is_eof() {
            "malformed_json"
        } else {
            "invalid_record"
        };
        vec![RecordError::new(
            "",
            code,
            Text::new(text.clone(), format!("Bản ghi không hợp lệ: {text}")),
        )]
    })
}

/// A required, non-blank text field, trimmed.
pub(crate) fn required_text(
    value: Option<String>,
    field: &str,
    max_chars: usize,
    errors: &mut Vec<RecordError>,
) -> String {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => {
            if v.chars().count() > max_chars {
                errors.push(too_long(field, max_chars));
            }
            v
        }
        _ => {
            errors.push(RecordError::missing(field));
            String::new()
        }
    }
}

/// An optional text field, trimmed; blank is absent.
pub(crate) fn optional_text(
    value: Option<String>,
    field: &str,
    max_chars: usize,
    errors: &mut Vec<RecordError>,
) -> Option<String> {
    let value = value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())?;
    if value.chars().count() > max_chars {
        errors.push(too_long(field, max_chars));
    }
    Some(value)
}

fn too_long(field: &str, max_chars: usize) -> RecordError {
    RecordError::new(
        field,
        "too_long",
        Text::new(
            format!("At most {max_chars} characters."),
            format!("Tối đa {max_chars} ký tự."),
        ),
    )
}

/// A `YYYY-MM-DD` date.
pub(crate) fn parse_date(
    value: &str,
    field: &str,
    errors: &mut Vec<RecordError>,
) -> Option<NaiveDate> {
    let parsed = (value.len() == 10)
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten();
    if parsed.is_none() {
        errors.push(RecordError::new(
            field,
            "invalid_date",
            Text::fixed(
                "Not a date in the form YYYY-MM-DD.",
                "Không phải ngày theo dạng YYYY-MM-DD.",
            ),
        ));
    }
    parsed
}

/// A tax code in canonical form, or an error on `field`.
pub(crate) fn tax_code(value: &str, field: &str, errors: &mut Vec<RecordError>) -> String {
    match crate::origin::tax_code::TaxCode::parse(value) {
        Ok(code) => code.to_string(),
        Err(error) => {
            errors.push(RecordError::new(
                field,
                error.code(),
                Text::new(
                    error.message(crate::i18n::Lang::En),
                    error.message(crate::i18n::Lang::Vi),
                ),
            ));
            value.to_owned()
        }
    }
}

//! Taxpayer records: `tax_code`, `name`, `status`, `province`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{optional_text, parse_json, required_text, tax_code, RecordError};
use crate::i18n::Text;

/// Whether a taxpayer may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxpayerStatus {
    /// Operating.
    Active,
    /// Temporarily suspended.
    Suspended,
    /// Closed (code deactivated).
    Closed,
}

/// A taxpayer as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Taxpayer {
    /// Canonical tax code (branches with the dash).
    pub tax_code: String,
    /// The taxpayer's registered name.
    pub name: String,
    /// Status at the tax authority.
    pub status: TaxpayerStatus,
    /// Province or city, as written by the tax authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxpayerInput {
    tax_code: Option<String>,
    name: Option<String>,
    status: Option<String>,
    province: Option<String>,
}

/// Longest name accepted.
const MAX_NAME_CHARS: usize = 300;

/// Validates one taxpayer line.
pub fn validate(line: &str) -> Result<Taxpayer, Vec<RecordError>> {
    let input: TaxpayerInput = parse_json(line)?;
    let mut errors = Vec::new();
    let raw_code = required_text(input.tax_code, "tax_code", 20, &mut errors);
    let code = if raw_code.is_empty() {
        raw_code
    } else {
        tax_code(&raw_code, "tax_code", &mut errors)
    };
    let name = required_text(input.name, "name", MAX_NAME_CHARS, &mut errors);
    let status = match input.status.as_deref().map(str::trim) {
        Some("active") => Some(TaxpayerStatus::Active),
        Some("suspended") => Some(TaxpayerStatus::Suspended),
        Some("closed") => Some(TaxpayerStatus::Closed),
        None | Some("") => {
            errors.push(RecordError::missing("status"));
            None
        }
        Some(_) => {
            errors.push(RecordError::new(
                "status",
                "invalid_status",
                Text::fixed(
                    "Status must be active, suspended or closed.",
                    "Trạng thái phải là active, suspended hoặc closed.",
                ),
            ));
            None
        }
    };
    let province = optional_text(input.province, "province", 100, &mut errors);
    match status {
        Some(status) if errors.is_empty() => Ok(Taxpayer {
            tax_code: code,
            name,
            status,
            province,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_line_is_canonicalised() {
        let t = validate(r#"{"tax_code":"0100109106001","name":" Chi nhánh ","status":"active"}"#)
            .unwrap();
        assert_eq!(t.tax_code, "0100109106-001");
        assert_eq!(t.name, "Chi nhánh");
        assert_eq!(t.status, TaxpayerStatus::Active);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let errors = validate(r#"{"tax_code":"0100109107","status":"gone"}"#).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["tax_code", "name", "status"]);
        assert_eq!(errors[0].code, "check_digit");
    }
}

//! Comparing an invoice reference a client supplied with the invoice on record (pure).

use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Text;
use crate::origin::einvoice::reference::InvoiceRef;
use crate::origin::findings::{Finding, FindingCode};
use crate::reference::invoice::{Invoice, InvoiceStatus};

/// Whether the reference data holds the invoice and agrees with the supplied fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupStatus {
    /// On record, and every supplied field agrees.
    Found,
    /// Not on record.
    NotFound,
    /// On record, but a supplied field (date, buyer, tax authority code) differs.
    Mismatch,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceMatch {
    /// Found, not found or mismatch.
    pub status: LookupStatus,
    /// What the comparison found, about `subject`.
    pub findings: Vec<Finding>,
}

/// Compares `reference` with the `stored` invoice (if any). `gtin` is a valid 14-digit GTIN
/// the invoice should carry as an item; `subject` names the invoice in findings.
pub fn match_invoice(
    reference: &InvoiceRef,
    stored: Option<&Invoice>,
    gtin: Option<&str>,
    subject: &str,
) -> InvoiceMatch {
    let Some(stored) = stored else {
        return InvoiceMatch {
            status: LookupStatus::NotFound,
            findings: vec![Finding::new(FindingCode::InvoiceNotFound, subject)],
        };
    };
    let mut findings = Vec::new();
    let mut mismatch = false;
    match stored.status {
        InvoiceStatus::Issued => {}
        InvoiceStatus::Cancelled => {
            findings.push(Finding::new(FindingCode::InvoiceCancelled, subject))
        }
        InvoiceStatus::Replaced | InvoiceStatus::Adjusted => {
            findings.push(Finding::new(FindingCode::InvoiceReplaced, subject))
        }
    }
    if let Some(issued_on) = reference.issued_on() {
        if issued_on != stored.issued_on {
            mismatch = true;
            findings.push(Finding::with_message(
                FindingCode::InvoiceDateInconsistent,
                subject,
                Text::new(
                    format!(
                        "The invoice on record was issued on {}, not {issued_on}.",
                        stored.issued_on
                    ),
                    format!(
                        "Hóa đơn được lập ngày {}, không phải ngày {issued_on}.",
                        stored.issued_on
                    ),
                ),
            ));
        }
    }
    if let Some(buyer) = reference.buyer_tax_code() {
        let buyer = buyer.to_string();
        if stored.buyer_tax_code.as_deref() != Some(buyer.as_str()) {
            mismatch = true;
            findings.push(Finding::with_message(
                FindingCode::InvoiceBuyerMismatch,
                subject,
                Text::new(
                    format!("The invoice on record does not name buyer {buyer}."),
                    format!("Hóa đơn không ghi người mua có mã số thuế {buyer}."),
                ),
            ));
        }
    }
    if let Some(code) = reference.tax_authority_code() {
        if stored.tax_authority_code.as_deref() != Some(code.as_str()) {
            mismatch = true;
            findings.push(Finding::new(
                FindingCode::InvoiceAuthorityCodeMismatch,
                subject,
            ));
        }
    }
    if let Some(gtin) = gtin {
        if !stored.has_item(gtin) {
            findings.push(Finding::with_message(
                FindingCode::InvoiceItemMissing,
                subject,
                Text::new(
                    format!("The invoice has no item with GTIN {gtin}."),
                    format!("Hóa đơn không có mặt hàng với GTIN {gtin}."),
                ),
            ));
        }
    }
    InvoiceMatch {
        status: if mismatch {
            LookupStatus::Mismatch
        } else {
            LookupStatus::Found
        },
        findings,
    }
}

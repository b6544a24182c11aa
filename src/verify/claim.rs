//! Origin claim verification (pure): from a parsed claim and what the reference data holds to
//! findings and a verdict. No I/O: the caller looks everything up first (in one round trip)
//! and passes it in, so every rule is unit-testable.
//!
//! Verdict precedence, highest first:
//! 1. `invalid` — an input code could not be read (the product code, the seller's tax code or
//!    an invoice reference): the claim cannot be checked and must be corrected;
//! 2. `inconsistent` — any critical finding;
//! 3. `suspicious` — any warning;
//! 4. `consistent` — only info findings, or none.
//!
//! An invoice supports a claim when the claimant is its buyer (bought the goods) or its seller
//! (sold goods it made or imported). An invoice naming the claimant as neither is
//! `invoice_buyer_mismatch`; one the claimant bought from a seller that is neither a source of
//! the product nor an authorised seller of it is `invoice_seller_mismatch`.
//!
//! The sources of a product are its registered manufacturer and, for imported goods, its
//! importer ([`Product::source_tax_codes`]). A claim by the importer or its authorised sellers
//! is supported like one by the manufacturer: a claimed manufacturer tax code that names the
//! importer matches (imported goods have no Vietnamese manufacturer tax code to name), and a
//! source selling its own goods is never `seller_not_authorized`.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::invoice_match::match_invoice;
use crate::i18n::Text;
use crate::origin::einvoice::reference::{
    validate as validate_invoice, InvoiceRef, InvoiceRefInput,
};
use crate::origin::findings::{Finding, FindingCode, Severity};
use crate::origin::gs1::{self, Check};
use crate::origin::tax_code::TaxCode;
use crate::reference::invoice::Invoice;
use crate::reference::product::Product;
use crate::reference::taxpayer::{Taxpayer, TaxpayerStatus};

/// The overall judgement of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing found against the claim.
    Consistent,
    /// Warnings only.
    Suspicious,
    /// At least one critical finding.
    Inconsistent,
    /// An input code could not be read.
    Invalid,
}

/// A claim as received.
#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    /// The seller's tax code.
    pub seller_tax_code: String,
    /// The shop's URL, if given.
    pub shop_url: Option<String>,
    /// Any code `traceability/check` accepts.
    pub product_code: String,
    /// ISO 3166-1 alpha-2 country the seller claims.
    pub claimed_origin: Option<String>,
    /// Tax code of the manufacturer the seller claims.
    pub claimed_manufacturer_tax_code: Option<String>,
    /// Invoices offered as proof.
    pub invoices: Vec<InvoiceRefInput>,
}

/// A claim after reading every code in it; what must be looked up follows from it.
#[derive(Debug, Clone)]
pub struct ParsedClaim {
    /// The product code read.
    pub code: Check,
    /// The seller's tax code, or why it is invalid.
    pub seller: Result<TaxCode, &'static str>,
    /// The claimed manufacturer's tax code, if one was given.
    pub manufacturer: Option<Result<TaxCode, &'static str>>,
    /// The claimed origin, upper-cased.
    pub claimed_origin: Option<String>,
    /// Each invoice reference, or its field error codes.
    pub invoices: Vec<Result<InvoiceRef, Vec<&'static str>>>,
    /// The shop URL as given.
    pub shop_url: Option<String>,
}

impl ParsedClaim {
    /// Reads every code of `input`; `current_year` drives the GS1 century rule.
    pub fn parse(input: &ClaimInput, current_year: i32) -> ParsedClaim {
        ParsedClaim {
            code: gs1::parse(&input.product_code, current_year),
            seller: TaxCode::parse(&input.seller_tax_code).map_err(|e| e.code()),
            manufacturer: input
                .claimed_manufacturer_tax_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| TaxCode::parse(c).map_err(|e| e.code())),
            claimed_origin: input
                .claimed_origin
                .as_deref()
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty()),
            invoices: input
                .invoices
                .iter()
                .map(|i| {
                    validate_invoice(i).map_err(|errors| errors.iter().map(|e| e.code).collect())
                })
                .collect(),
            shop_url: input.shop_url.clone(),
        }
    }

    /// The GTIN and serial a clone check must record, when the code has both.
    pub fn serial_key(&self) -> Option<(&str, &str)> {
        Some((self.code.gtin.as_ref()?.as_str(), self.code.serial()?))
    }
}

/// What the reference data says about a claim.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    /// The product record of the GTIN.
    pub product: Option<Product>,
    /// Whether the code's lot is on the recall list.
    pub lot_on_recall_list: bool,
    /// The seller's taxpayer record.
    pub seller_taxpayer: Option<Taxpayer>,
    /// The invoice on record for each invoice reference (same order; `None` for unparsed ones).
    pub invoices: Vec<Option<Invoice>>,
    /// How many distinct sellers claimed this GTIN + serial, this one included.
    pub serial_sellers: u64,
    /// Whether the shop's domain is blocked or under an active takedown.
    pub shop_blocked: bool,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The judgement.
    pub verdict: Verdict,
    /// Everything found.
    pub findings: Vec<Finding>,
}

/// Judges a parsed claim against what was looked up. `today` decides expiry.
pub fn evaluate(claim: &ParsedClaim, found: &Lookups, today: NaiveDate) -> Outcome {
    let mut findings = Vec::new();
    let mut unreadable = false;
    if !claim.code.valid() || claim.code.gtin.is_none() {
        unreadable = true;
        findings.push(Finding::new(FindingCode::CodeInvalid, "product.code"));
    }
    match &claim.seller {
        Ok(_) => {
            if let Some(taxpayer) = &found.seller_taxpayer {
                if taxpayer.status != TaxpayerStatus::Active {
                    findings.push(inactive("seller.tax_code", taxpayer));
                }
            }
        }
        Err(code) => {
            unreadable = true;
            findings.push(invalid_tax_code("seller.tax_code", code));
        }
    }
    if let Some(Err(code)) = &claim.manufacturer {
        findings.push(invalid_tax_code(
            "product.claimed_manufacturer_tax_code",
            code,
        ));
    }
    if claim.code.gtin.is_some() {
        product_findings(claim, found, today, &mut findings);
    }
    for (index, parsed) in claim.invoices.iter().enumerate() {
        let subject = format!("invoices[{index}]");
        match parsed {
            Err(codes) => {
                unreadable = true;
                findings.push(Finding::with_message(
                    FindingCode::InvoiceInvalid,
                    subject,
                    Text::new(
                        format!("The invoice reference is not valid: {}.", codes.join(", ")),
                        format!("Thông tin hóa đơn không hợp lệ: {}.", codes.join(", ")),
                    ),
                ));
            }
            Ok(reference) => {
                let stored = found.invoices.get(index).and_then(Option::as_ref);
                invoice_findings(
                    claim,
                    found,
                    reference,
                    stored,
                    &subject,
                    today,
                    &mut findings,
                );
            }
        }
    }
    if found.shop_blocked {
        findings.push(Finding::new(FindingCode::ShopBlocked, "seller.shop_url"));
    }
    Outcome {
        verdict: verdict(unreadable, &findings),
        findings,
    }
}

/// The verdict from the findings, by the precedence in the module docs.
pub fn verdict(unreadable: bool, findings: &[Finding]) -> Verdict {
    let worst = findings.iter().map(Finding::severity).max();
    if unreadable {
        Verdict::Invalid
    } else if worst == Some(Severity::Critical) {
        Verdict::Inconsistent
    } else if worst == Some(Severity::Warning) {
        Verdict::Suspicious
    } else {
        Verdict::Consistent
    }
}

fn product_findings(
    claim: &ParsedClaim,
    found: &Lookups,
    today: NaiveDate,
    findings: &mut Vec<Finding>,
) {
    let code = &claim.code;
    if let (Some(claimed), Some(prefix)) = (&claim.claimed_origin, code.gs1_prefix()) {
        if prefix.country.is_some_and(|c| c != claimed) {
            findings.push(Finding::with_message(
                FindingCode::PrefixIssuerDiffers,
                "product.code",
                Text::new(
                    format!("GS1 prefix {} was issued by {}; this says nothing about the country of origin.", prefix.prefix, prefix.issuer),
                    format!("Tiền tố GS1 {} do {} cấp; điều này không cho biết xuất xứ hàng hóa.", prefix.prefix, prefix.issuer),
                ),
            ));
        }
    }
    if let (Some(claimed), Some(stated)) = (&claim.claimed_origin, code.country_of_origin()) {
        if stated.alpha2 != claimed {
            findings.push(origin_mismatch(claimed, stated.alpha2, "AI 422", "AI 422"));
        }
    }
    if found.serial_sellers > 1 {
        let n = found.serial_sellers;
        findings.push(Finding::with_message(
            FindingCode::SerialCloned,
            "product.code",
            Text::new(
                format!("This GTIN and serial number has been claimed by {n} different sellers."),
                format!("GTIN và số sê-ri này đã được {n} người bán khác nhau khai báo."),
            ),
        ));
    }
    let Some(product) = &found.product else {
        findings.push(Finding::new(FindingCode::GtinUnregistered, "product.code"));
        return;
    };
    if let Some(claimed) = &claim.claimed_origin {
        if *claimed != product.country_of_origin {
            findings.push(origin_mismatch(
                claimed,
                &product.country_of_origin,
                "the product record",
                "hồ sơ sản phẩm",
            ));
        }
    }
    if let Some(Ok(manufacturer)) = &claim.manufacturer {
        let claimed = manufacturer.to_string();
        if !product.source_tax_codes().any(|source| source == claimed) {
            findings.push(Finding::new(
                FindingCode::ManufacturerMismatch,
                "product.claimed_manufacturer_tax_code",
            ));
        }
    }
    if let Ok(seller) = &claim.seller {
        if !product.authorized_sellers.is_empty() && !authorised(seller, product_sellers(product)) {
            findings.push(Finding::new(
                FindingCode::SellerNotAuthorized,
                "seller.tax_code",
            ));
        }
    }
    if let Some(lot) = code.lot() {
        let record = product.lot(lot);
        if found.lot_on_recall_list || record.is_some_and(|l| l.recalled) {
            findings.push(Finding::new(FindingCode::LotRecalled, "product.code"));
        }
        let expires = record
            .and_then(|l| l.expires_on)
            .or_else(|| code.expiry_date(today.year()));
        if expires.is_some_and(|d| d < today) {
            findings.push(Finding::new(FindingCode::LotExpired, "product.code"));
        }
    } else if code.expiry_date(today.year()).is_some_and(|d| d < today) {
        findings.push(Finding::new(FindingCode::LotExpired, "product.code"));
    }
}

fn invoice_findings(
    claim: &ParsedClaim,
    found: &Lookups,
    reference: &InvoiceRef,
    stored: Option<&Invoice>,
    subject: &str,
    today: NaiveDate,
    findings: &mut Vec<Finding>,
) {
    let gtin = claim.code.gtin.as_ref().map(|g| g.as_str());
    let matched = match_invoice(reference, stored, gtin, subject);
    findings.extend(matched.findings);
    let Some(stored) = stored else {
        return;
    };
    if let Ok(seller) = &claim.seller {
        let seller = seller.to_string();
        let is_buyer = stored.buyer_tax_code.as_deref() == Some(seller.as_str());
        let is_seller = stored.seller_tax_code == seller;
        if !is_buyer && !is_seller {
            findings.push(Finding::with_message(
                FindingCode::InvoiceBuyerMismatch,
                subject,
                Text::new(
                    format!(
                        "The invoice names neither the seller {seller} as buyer nor as seller."
                    ),
                    format!("Hóa đơn không ghi người bán {seller} là người mua hay người bán."),
                ),
            ));
        } else if is_buyer && !is_seller {
            if let Some(product) = &found.product {
                let supplier = &stored.seller_tax_code;
                // A branch of the manufacturer or of an authorised seller sells on its behalf.
                let from_source = TaxCode::parse(supplier)
                    .is_ok_and(|code| authorised(&code, product_sellers(product)));
                if !from_source {
                    findings.push(Finding::with_message(
                        FindingCode::InvoiceSellerMismatch,
                        subject,
                        Text::new(
                            format!("The goods were bought from {supplier}, neither the registered manufacturer or importer nor an authorised seller."),
                            format!("Hàng được mua từ {supplier}, không phải nhà sản xuất hay nhà nhập khẩu đã đăng ký, cũng không phải người bán được ủy quyền."),
                        ),
                    ));
                }
            }
        }
    }
    let produced = found
        .product
        .as_ref()
        .zip(claim.code.lot())
        .and_then(|(p, lot)| p.lot(lot))
        .and_then(|l| l.produced_on);
    let before_production = produced.is_some_and(|made| stored.issued_on < made);
    if stored.issued_on > today || before_production {
        findings.push(Finding::with_message(
            FindingCode::InvoiceDateInconsistent,
            subject,
            Text::new(
                format!(
                    "The invoice date {} is in the future or before the lot was produced.",
                    stored.issued_on
                ),
                format!(
                    "Ngày hóa đơn {} ở tương lai hoặc trước ngày sản xuất lô hàng.",
                    stored.issued_on
                ),
            ),
        ));
    }
}

/// Who may sell a product: its sources (manufacturer, importer) and its authorised sellers.
fn product_sellers(product: &Product) -> impl Iterator<Item = &str> {
    product
        .source_tax_codes()
        .chain(product.authorized_sellers.iter().map(String::as_str))
}

/// Whether `seller` (or, for a branch, its parent) is in `list`.
fn authorised<'a>(seller: &TaxCode, list: impl IntoIterator<Item = &'a str>) -> bool {
    let own = seller.to_string();
    let parent = seller.parent().map(|p| p.to_string());
    list.into_iter()
        .any(|s| s == own || Some(s) == parent.as_deref())
}

fn origin_mismatch(claimed: &str, registered: &str, source_en: &str, source_vi: &str) -> Finding {
    Finding::with_message(
        FindingCode::OriginMismatch,
        "product.claimed_origin",
        Text::new(
            format!("Claimed origin {claimed}, but {source_en} says {registered}."),
            format!("Xuất xứ khai báo là {claimed}, nhưng {source_vi} ghi {registered}."),
        ),
    )
}

fn invalid_tax_code(subject: &str, code: &str) -> Finding {
    Finding::with_message(
        FindingCode::TaxcodeInvalid,
        subject,
        Text::new(
            format!("The tax code is not valid ({code})."),
            format!("Mã số thuế không hợp lệ ({code})."),
        ),
    )
}

fn inactive(subject: &str, taxpayer: &Taxpayer) -> Finding {
    let status = match taxpayer.status {
        TaxpayerStatus::Active => ("active", "đang hoạt động"),
        TaxpayerStatus::Suspended => ("suspended", "tạm ngừng hoạt động"),
        TaxpayerStatus::Closed => ("closed", "đã đóng mã số thuế"),
    };
    Finding::with_message(
        FindingCode::TaxcodeInactive,
        subject,
        Text::new(
            format!("Taxpayer {} is {}.", taxpayer.tax_code, status.0),
            format!("Người nộp thuế {} {}.", taxpayer.tax_code, status.1),
        ),
    )
}

#[cfg(test)]
mod tests;

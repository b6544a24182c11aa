//! Findings: what a check found, with a stable code, a severity and texts in both languages.
//!
//! The table of codes, severities and texts is data, in one place; checks only pick a code
//! and say which subject it concerns.

use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Text;

/// How much a finding weighs in a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For information only; never changes a verdict.
    Info,
    /// Makes a claim suspicious.
    Warning,
    /// Makes a claim inconsistent.
    Critical,
}

macro_rules! finding_codes {
    ($($variant:ident => $code:literal, $severity:ident, $en:literal, $vi:literal;)*) => {
        /// Every finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum FindingCode {
            $(
                #[doc = $en]
                $variant,
            )*
        }

        impl FindingCode {
            /// Every code, in table order.
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant),*];

            /// The stable machine code.
            pub fn as_str(self) -> &'static str {
                match self { $(FindingCode::$variant => $code,)* }
            }

            /// The severity the code always has.
            pub fn severity(self) -> Severity {
                match self { $(FindingCode::$variant => Severity::$severity,)* }
            }

            /// The general text of the code.
            pub fn text(self) -> Text {
                match self { $(FindingCode::$variant => Text::fixed($en, $vi),)* }
            }
        }
    };
}

finding_codes! {
    CodeInvalid => "code_invalid", Critical,
        "The traceability code is not valid.", "Mã truy xuất không hợp lệ.";
    GtinUnregistered => "gtin_unregistered", Warning,
        "The GTIN is not in the product reference data.", "GTIN không có trong dữ liệu sản phẩm tham chiếu.";
    OriginMismatch => "origin_mismatch", Critical,
        "The claimed origin differs from the registered country of origin.", "Xuất xứ khai báo khác với xuất xứ đã đăng ký.";
    ManufacturerMismatch => "manufacturer_mismatch", Critical,
        "The claimed manufacturer differs from the registered one.", "Nhà sản xuất khai báo khác với nhà sản xuất đã đăng ký.";
    PrefixIssuerDiffers => "prefix_issuer_differs", Info,
        "The GS1 prefix was issued in another country than the claimed origin; a prefix names the issuing GS1 office, not the country of origin.",
        "Tiền tố GS1 do tổ chức GS1 của nước khác cấp; tiền tố chỉ cho biết nơi cấp mã, không phải xuất xứ hàng hóa.";
    LotRecalled => "lot_recalled", Critical,
        "The lot is recalled.", "Lô hàng đã bị thu hồi.";
    LotExpired => "lot_expired", Critical,
        "The lot has expired.", "Lô hàng đã hết hạn sử dụng.";
    SerialCloned => "serial_cloned", Critical,
        "The same GTIN and serial number is claimed by more than one seller.", "Cùng GTIN và số sê-ri được nhiều người bán khai báo.";
    SellerNotAuthorized => "seller_not_authorized", Warning,
        "The seller is not among the product's authorised sellers.", "Người bán không thuộc danh sách được ủy quyền của sản phẩm.";
    TaxcodeInvalid => "taxcode_invalid", Critical,
        "The tax code is not valid.", "Mã số thuế không hợp lệ.";
    TaxcodeInactive => "taxcode_inactive", Warning,
        "The taxpayer is suspended or closed.", "Người nộp thuế đang tạm ngừng hoặc đã đóng mã số thuế.";
    InvoiceInvalid => "invoice_invalid", Critical,
        "The invoice reference is not valid.", "Thông tin hóa đơn không hợp lệ.";
    InvoiceNotFound => "invoice_not_found", Warning,
        "The invoice is not in the e-invoice reference data.", "Không tìm thấy hóa đơn.";
    InvoiceCancelled => "invoice_cancelled", Critical,
        "The invoice was cancelled.", "Hóa đơn đã bị hủy.";
    InvoiceReplaced => "invoice_replaced", Warning,
        "The invoice was replaced or adjusted by another invoice.", "Hóa đơn đã bị thay thế hoặc điều chỉnh.";
    InvoiceSellerMismatch => "invoice_seller_mismatch", Critical,
        "The invoice names another seller than the claim.", "Hóa đơn ghi người bán khác với người bán khai báo.";
    InvoiceBuyerMismatch => "invoice_buyer_mismatch", Critical,
        "The invoice names another buyer.", "Hóa đơn ghi người mua khác.";
    InvoiceItemMissing => "invoice_item_missing", Warning,
        "The invoice has no item with this GTIN.", "Hóa đơn không có mặt hàng với GTIN này.";
    InvoiceDateInconsistent => "invoice_date_inconsistent", Warning,
        "The invoice date does not fit.", "Ngày hóa đơn không khớp.";
    InvoiceAuthorityCodeMismatch => "invoice_authority_code_mismatch", Critical,
        "The tax authority code differs from the one on record.", "Mã của cơ quan thuế khác với mã đã ghi nhận.";
    ShopBlocked => "shop_blocked", Critical,
        "The shop's domain is on the blocklist or under an active takedown.", "Tên miền của cửa hàng nằm trong danh sách chặn hoặc đang bị yêu cầu gỡ bỏ.";
}

/// One finding about one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub code: FindingCode,
    /// What it concerns: `product`, `seller`, `invoices[0]`, …
    pub subject: String,
    /// The text, possibly more specific than the code's general text.
    pub message: Text,
}

impl Finding {
    /// A finding with the code's general text.
    pub fn new(code: FindingCode, subject: impl Into<String>) -> Finding {
        Finding {
            code,
            subject: subject.into(),
            message: code.text(),
        }
    }

    /// A finding with a specific text.
    pub fn with_message(code: FindingCode, subject: impl Into<String>, message: Text) -> Finding {
        Finding {
            code,
            subject: subject.into(),
            message,
        }
    }

    /// The severity of its code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case_and_texts_exist_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for code in FindingCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let text = code.text();
            assert_ne!(
                text.get(crate::i18n::Lang::En),
                text.get(crate::i18n::Lang::Vi)
            );
        }
        assert_eq!(FindingCode::PrefixIssuerDiffers.severity(), Severity::Info);
    }
}

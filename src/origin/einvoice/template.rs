//! The invoice template number (ký hiệu mẫu số hóa đơn): one digit naming the kind of invoice.
//!
//! The meanings live in [`TEMPLATES`] and nowhere else. Digits 1–6 come from Decree
//! 123/2020/NĐ-CP and Circular 78/2021/TT-BTC; the 2025 amendments (Decree 70/2025/NĐ-CP,
//! Circular 32/2025/TT-BTC) add further digits, so 7–9 are accepted too with a generic meaning
//! until their exact names are confirmed (RULES.md does not list them). `0` is never a template.

use std::fmt;

use crate::i18n::Lang;

/// What one template digit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateInfo {
    /// The digit, 1–9.
    pub digit: u8,
    /// Meaning in English.
    pub name_en: &'static str,
    /// Meaning in Vietnamese.
    pub name_vi: &'static str,
}

/// Every accepted template digit with its meaning, in digit order.
pub const TEMPLATES: [TemplateInfo; 9] = [
    TemplateInfo {
        digit: 1,
        name_en: "VAT invoice",
        name_vi: "Hóa đơn giá trị gia tăng",
    },
    TemplateInfo {
        digit: 2,
        name_en: "Sales invoice",
        name_vi: "Hóa đơn bán hàng",
    },
    TemplateInfo {
        digit: 3,
        name_en: "Invoice for the sale of public assets",
        name_vi: "Hóa đơn bán tài sản công",
    },
    TemplateInfo {
        digit: 4,
        name_en: "Invoice for the sale of national reserve goods",
        name_vi: "Hóa đơn bán hàng dự trữ quốc gia",
    },
    TemplateInfo {
        digit: 5,
        name_en: "Other e-invoices: e-stamps, tickets, cards, receipts",
        name_vi: "Các loại hóa đơn điện tử khác: tem, vé, thẻ, phiếu thu điện tử",
    },
    TemplateInfo {
        digit: 6,
        name_en: "Documents managed as invoices: internal transport and consignment delivery notes",
        name_vi: "Chứng từ quản lý như hóa đơn: phiếu xuất kho kiêm vận chuyển nội bộ, phiếu xuất kho hàng gửi bán đại lý",
    },
    TemplateInfo {
        digit: 7,
        name_en: "Template added by the 2025 amendments",
        name_vi: "Mẫu số bổ sung theo quy định sửa đổi năm 2025",
    },
    TemplateInfo {
        digit: 8,
        name_en: "Template added by the 2025 amendments",
        name_vi: "Mẫu số bổ sung theo quy định sửa đổi năm 2025",
    },
    TemplateInfo {
        digit: 9,
        name_en: "Template added by the 2025 amendments",
        name_vi: "Mẫu số bổ sung theo quy định sửa đổi năm 2025",
    },
];

/// Why a string is not a template number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum TemplateError {
    /// Nothing but whitespace was given.
    Empty,
    /// More than one character.
    BadLength,
    /// Not a digit.
    BadCharacter,
    /// A digit that is not a template (`0`).
    OutOfRange,
}

impl TemplateError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::Empty => "empty",
            TemplateError::BadLength => "bad_length",
            TemplateError::BadCharacter => "bad_character",
            TemplateError::OutOfRange => "out_of_range",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            TemplateError::Empty => (
                "Invoice template number is empty",
                "Ký hiệu mẫu số hóa đơn không được để trống",
            ),
            TemplateError::BadLength => (
                "Invoice template number must be one digit",
                "Ký hiệu mẫu số hóa đơn phải là một chữ số",
            ),
            TemplateError::BadCharacter => (
                "Invoice template number must be a digit",
                "Ký hiệu mẫu số hóa đơn phải là chữ số",
            ),
            TemplateError::OutOfRange => (
                "Invoice template number must be from 1 to 9",
                "Ký hiệu mẫu số hóa đơn phải từ 1 đến 9",
            ),
        };
        lang.pick(en, vi)
    }
}

/// A valid template number (one of [`TEMPLATES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceTemplate(u8);

impl InvoiceTemplate {
    /// Parses a template number: one digit 1–9, surrounding whitespace removed.
    pub fn parse(input: &str) -> Result<InvoiceTemplate, TemplateError> {
        let trimmed = crate::origin::text::trim_input(input);
        let mut chars = trimmed.chars();
        let Some(first) = chars.next() else {
            return Err(TemplateError::Empty);
        };
        if chars.next().is_some() {
            return Err(TemplateError::BadLength);
        }
        let Some(value) = first.to_digit(10).filter(|_| first.is_ascii_digit()) else {
            return Err(TemplateError::BadCharacter);
        };
        TEMPLATES
            .iter()
            .find(|info| u32::from(info.digit) == value)
            .map(|info| InvoiceTemplate(info.digit))
            .ok_or(TemplateError::OutOfRange)
    }

    /// The digit, 1–9.
    pub fn digit(self) -> u8 {
        self.0
    }

    /// The table entry describing this template.
    pub fn info(self) -> &'static TemplateInfo {
        // parse only builds digits found in the table; fall back to the first entry anyway.
        TEMPLATES
            .iter()
            .find(|info| info.digit == self.0)
            .unwrap_or(&TEMPLATES[0])
    }

    /// What this template is, in the given language.
    pub fn name(self, lang: Lang) -> &'static str {
        let info = self.info();
        lang.pick(info.name_en, info.name_vi)
    }
}

impl fmt::Display for InvoiceTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_one_to_nine_are_templates_in_table_order() {
        for (index, info) in TEMPLATES.iter().enumerate() {
            assert_eq!(usize::from(info.digit), index + 1);
            let text = info.digit.to_string();
            let parsed = InvoiceTemplate::parse(&text).map(InvoiceTemplate::digit);
            assert_eq!(parsed, Ok(info.digit));
            assert_eq!(
                InvoiceTemplate::parse(&format!(" {text} ")).map(|t| t.to_string()),
                Ok(text)
            );
        }
        let vat = InvoiceTemplate::parse("1").map(|t| t.name(Lang::Vi));
        assert_eq!(vat, Ok("Hóa đơn giá trị gia tăng"));
    }

    #[test]
    fn each_error_code() {
        let cases = [
            ("", TemplateError::Empty, "empty"),
            ("  ", TemplateError::Empty, "empty"),
            ("12", TemplateError::BadLength, "bad_length"),
            ("01", TemplateError::BadLength, "bad_length"),
            ("A", TemplateError::BadCharacter, "bad_character"),
            ("١", TemplateError::BadCharacter, "bad_character"),
            ("0", TemplateError::OutOfRange, "out_of_range"),
        ];
        for (input, error, code) in cases {
            assert_eq!(InvoiceTemplate::parse(input), Err(error), "{input:?}");
            assert_eq!(error.code(), code);
            assert!(!error.message(Lang::Vi).is_ascii());
            assert_ne!(error.message(Lang::En), error.message(Lang::Vi));
        }
    }
}

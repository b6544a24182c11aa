//! The invoice symbol (ký hiệu hóa đơn): six characters `[C|K][YY][type][XX]`.
//!
//! * `C` an invoice carrying a tax-authority code, `K` one without;
//! * `YY` the last two digits of the year of issue (any two digits are accepted here; the
//!   comparison with the issue date is a cross-field check);
//! * the type letter, one of [`KIND_LETTERS`] — the single table that also says which templates
//!   a letter goes with;
//! * `XX` two upper-case letters `A`–`Z` chosen by the seller.
//!
//! The symbol is case-sensitive as printed: a lower-case letter where an upper-case one is
//! expected is refused with the precise code `lowercase`, so a client can fix it. The combined
//! form `1C25TAA` (template digit + symbol) is not an [`InvoiceSymbol`]; the invoice-reference
//! check accepts it in its `symbol` field and splits it.

use std::fmt;

use super::template::InvoiceTemplate;
use crate::i18n::Lang;

/// Number of characters in a symbol.
pub const SYMBOL_LEN: usize = 6;
/// Letter of an invoice with a tax-authority code.
pub const WITH_AUTHORITY_CODE: u8 = b'C';
/// Letter of an invoice without a tax-authority code.
pub const WITHOUT_AUTHORITY_CODE: u8 = b'K';

/// One invoice type letter and the templates it may be used with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindLetter {
    /// The upper-case letter.
    pub letter: u8,
    /// Meaning in English.
    pub meaning_en: &'static str,
    /// Meaning in Vietnamese.
    pub meaning_vi: &'static str,
    /// Template digits this letter goes with; `None` means any template. Only the pairings
    /// RULES.md states are enforced (`N` and `B` with template 6); the others are not settled
    /// and are left open so that genuine invoices are not refused.
    pub templates: Option<&'static [u8]>,
}

/// The invoice type letters of Circular 78/2021/TT-BTC.
pub const KIND_LETTERS: [KindLetter; 8] = [
    KindLetter {
        letter: b'T',
        meaning_en: "Registered enterprises, organisations and households",
        meaning_vi: "Doanh nghiệp, tổ chức, hộ, cá nhân kinh doanh đăng ký sử dụng",
        templates: None,
    },
    KindLetter {
        letter: b'D',
        meaning_en: "Public assets, national reserve goods or special invoices",
        meaning_vi: "Hóa đơn bán tài sản công, hàng dự trữ quốc gia hoặc hóa đơn đặc thù",
        templates: None,
    },
    KindLetter {
        letter: b'L',
        meaning_en: "Issued by the tax authority case by case",
        meaning_vi: "Hóa đơn do cơ quan thuế cấp theo từng lần phát sinh",
        templates: None,
    },
    KindLetter {
        letter: b'M',
        meaning_en: "Generated from a cash register",
        meaning_vi: "Hóa đơn khởi tạo từ máy tính tiền",
        templates: None,
    },
    KindLetter {
        letter: b'N',
        meaning_en: "Internal transport delivery note",
        meaning_vi: "Phiếu xuất kho kiêm vận chuyển nội bộ",
        templates: Some(&[6]),
    },
    KindLetter {
        letter: b'B',
        meaning_en: "Consignment delivery note",
        meaning_vi: "Phiếu xuất kho hàng gửi bán đại lý",
        templates: Some(&[6]),
    },
    KindLetter {
        letter: b'G',
        meaning_en: "E-stamps, tickets or cards that are VAT invoices",
        meaning_vi: "Tem, vé, thẻ điện tử là hóa đơn giá trị gia tăng",
        templates: None,
    },
    KindLetter {
        letter: b'H',
        meaning_en: "E-stamps, tickets or cards that are sales invoices",
        meaning_vi: "Tem, vé, thẻ điện tử là hóa đơn bán hàng",
        templates: None,
    },
];

/// Why a string is not an invoice symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum SymbolError {
    /// Nothing but whitespace was given.
    Empty,
    /// Not six characters.
    BadLength,
    /// The first character is neither `C` nor `K`.
    BadAuthorityLetter,
    /// Characters 2–3 are not two digits.
    BadYear,
    /// Character 4 is not a known invoice type letter.
    BadKindLetter,
    /// Characters 5–6 are not two letters `A`–`Z`.
    BadSuffix,
    /// A lower-case letter where the upper-case one would be valid.
    Lowercase,
}

impl SymbolError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SymbolError::Empty => "empty",
            SymbolError::BadLength => "bad_length",
            SymbolError::BadAuthorityLetter => "bad_authority_letter",
            SymbolError::BadYear => "bad_year",
            SymbolError::BadKindLetter => "bad_kind_letter",
            SymbolError::BadSuffix => "bad_suffix",
            SymbolError::Lowercase => "lowercase",
        }
    }

    /// A human-readable explanation in the given language.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (en, vi) = match self {
            SymbolError::Empty => (
                "Invoice symbol is empty",
                "Ký hiệu hóa đơn không được để trống",
            ),
            SymbolError::BadLength => (
                "Invoice symbol must have 6 characters, e.g. C25TAA",
                "Ký hiệu hóa đơn phải gồm 6 ký tự, ví dụ C25TAA",
            ),
            SymbolError::BadAuthorityLetter => (
                "Invoice symbol must start with C (with tax authority's code) or K (without)",
                "Ký hiệu hóa đơn phải bắt đầu bằng C (có mã của cơ quan thuế) hoặc K (không có mã)",
            ),
            SymbolError::BadYear => (
                "Characters 2 and 3 of the invoice symbol must be the two last digits of the year",
                "Ký tự thứ 2 và 3 của ký hiệu hóa đơn phải là hai chữ số cuối của năm lập hóa đơn",
            ),
            SymbolError::BadKindLetter => (
                "Character 4 of the invoice symbol must be one of T, D, L, M, N, B, G, H",
                "Ký tự thứ 4 của ký hiệu hóa đơn phải là một trong các chữ T, D, L, M, N, B, G, H",
            ),
            SymbolError::BadSuffix => (
                "The last two characters of the invoice symbol must be letters A to Z",
                "Hai ký tự cuối của ký hiệu hóa đơn phải là chữ cái từ A đến Z",
            ),
            SymbolError::Lowercase => (
                "Invoice symbol letters must be upper-case",
                "Các chữ cái trong ký hiệu hóa đơn phải viết hoa",
            ),
        };
        lang.pick(en, vi)
    }
}

/// A valid six-character invoice symbol.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvoiceSymbol {
    bytes: [u8; SYMBOL_LEN],
}

impl InvoiceSymbol {
    /// Parses a six-character symbol such as `C25TAA`, surrounding whitespace removed.
    pub fn parse(input: &str) -> Result<InvoiceSymbol, SymbolError> {
        let trimmed = crate::origin::text::trim_input(input);
        if trimmed.is_empty() {
            return Err(SymbolError::Empty);
        }
        let mut chars = ['\0'; SYMBOL_LEN];
        let ascii = <[u8; SYMBOL_LEN]>::try_from(trimmed.as_bytes())
            .ok()
            .filter(|bytes| bytes.is_ascii());
        if let Some(ascii) = ascii {
            chars = ascii.map(char::from);
        } else {
            let mut count = 0usize;
            for ch in trimmed.chars() {
                let Some(slot) = chars.get_mut(count) else {
                    return Err(SymbolError::BadLength);
                };
                *slot = ch;
                count += 1;
            }
            if count != SYMBOL_LEN {
                return Err(SymbolError::BadLength);
            }
        }
        let [authority, year_tens, year_units, kind, suffix_1, suffix_2] = chars;
        check_letter(
            authority,
            is_authority_letter,
            SymbolError::BadAuthorityLetter,
        )?;
        if !year_tens.is_ascii_digit() || !year_units.is_ascii_digit() {
            return Err(SymbolError::BadYear);
        }
        check_letter(
            kind,
            |c| kind_letter(c).is_some(),
            SymbolError::BadKindLetter,
        )?;
        for letter in [suffix_1, suffix_2] {
            check_letter(letter, |c| c.is_ascii_uppercase(), SymbolError::BadSuffix)?;
        }
        // Every character passed an ASCII check above, so each fits one byte.
        let bytes = chars.map(|c| u8::try_from(c).unwrap_or(b'?'));
        Ok(InvoiceSymbol { bytes })
    }

    /// `true` for a `C` invoice (issued with a tax-authority code), `false` for `K`.
    pub fn has_tax_authority_code(&self) -> bool {
        self.bytes[0] == WITH_AUTHORITY_CODE
    }

    /// The two-digit year `YY`, 0–99.
    pub fn year_two_digits(&self) -> u8 {
        (self.bytes[1] - b'0') * 10 + (self.bytes[2] - b'0')
    }

    /// The invoice type letter (one of [`KIND_LETTERS`]).
    pub fn kind_letter(&self) -> char {
        char::from(self.bytes[3])
    }

    /// The table entry of the type letter.
    pub fn kind(&self) -> &'static KindLetter {
        kind_letter(char::from(self.bytes[3])).unwrap_or(&KIND_LETTERS[0])
    }

    /// The two letters chosen by the seller.
    pub fn seller_letters(&self) -> &str {
        std::str::from_utf8(&self.bytes[4..]).unwrap_or("")
    }

    /// Whether the type letter may be used with `template` (per [`KindLetter::templates`]).
    pub fn goes_with(&self, template: InvoiceTemplate) -> bool {
        self.kind()
            .templates
            .is_none_or(|allowed| allowed.contains(&template.digit()))
    }

    /// The symbol as written, e.g. `C25TAA`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes).unwrap_or("")
    }
}

fn is_authority_letter(ch: char) -> bool {
    ch == char::from(WITH_AUTHORITY_CODE) || ch == char::from(WITHOUT_AUTHORITY_CODE)
}

fn kind_letter(ch: char) -> Option<&'static KindLetter> {
    KIND_LETTERS
        .iter()
        .find(|entry| char::from(entry.letter) == ch)
}

/// Accepts `ch` when `valid`; reports `Lowercase` when only its case is wrong.
fn check_letter(
    ch: char,
    valid: impl Fn(char) -> bool,
    error: SymbolError,
) -> Result<(), SymbolError> {
    if valid(ch) {
        Ok(())
    } else if ch.is_ascii_lowercase() && valid(ch.to_ascii_uppercase()) {
        Err(SymbolError::Lowercase)
    } else {
        Err(error)
    }
}

impl fmt::Display for InvoiceSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for InvoiceSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InvoiceSymbol")
            .field(&self.as_str())
            .finish()
    }
}

#[cfg(test)]
mod tests;

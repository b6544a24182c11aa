//! The one error type of the GS1 layer: a stable machine code, the AI it concerns and where in
//! the input it was found.
//!
//! Codes never change with the language; [`Gs1Error::message`] gives the English or Vietnamese
//! text. This module must never decide validity itself: it only describes what the parsers found.

use serde::Serialize;

use super::ai_table::{self, AiPattern};
use crate::i18n::Lang;

/// What is wrong with a GS1 code. [`Gs1ErrorCode::as_str`] is the stable wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gs1ErrorCode {
    /// A mod-10 check digit does not match its body.
    CheckDigit,
    /// A field, key or the whole input has the wrong length (including the input cap
    /// [`super::MAX_CODE_LEN`]).
    BadLength,
    /// A character outside the field's character set (digits, CSET 82 or CSET 39), or a
    /// symbology identifier / bracket that is not allowed where it stands.
    BadCharacter,
    /// An Application Identifier that is not in the AI table.
    UnknownAi,
    /// A date (YYMMDD or YYMMDDhhmm) that does not exist.
    InvalidDate,
    /// A variable-length field runs over its maximum length: the FNC1/GS separator is missing.
    MissingSeparator,
    /// The same AI appears twice with different values.
    DuplicateAi,
    /// Two AIs that must not appear together (for example 21 with 235).
    ConflictingAi,
    /// An AI appears without an AI it needs (for example 10 without 01, 02 or 8006).
    MissingRequiredAi,
    /// A URI that is not a usable GS1 Digital Link (no host, no primary key, bad percent-escape).
    BadDigitalLink,
    /// Digital Link key qualifiers in the wrong order, not allowed for the key, or given in the
    /// query string instead of the path.
    KeyQualifierOrder,
    /// The input is empty (or only white space).
    Empty,
    /// A country code that is not a current ISO 3166-1 numeric code (AIs 421–426).
    BadCountryCode,
    /// A value its AI's rules do not allow, beyond length, characters, check digits and dates:
    /// a piece number above the total or a zero one (8006, 8026), an all-zero dimension
    /// (8001), a code not in its list (currency, package type, media type, winding…), a
    /// coordinate out of range, a coupon that does not parse. Each comes from a linter the
    /// GS1 Barcode Syntax Dictionary names for the component.
    InvalidValue,
    /// Free input that is not GS1 data: no brackets, symbology identifier or GS marks it as an
    /// element string, it is not a bare GTIN (8, 12, 13 or 14 digits), and it does not start
    /// with a fixed-length key AI (00 or 01). It is never guessed to be AI 400 or another AI.
    NotGs1Data,
}

impl Gs1ErrorCode {
    /// The stable wire code, e.g. `"check_digit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gs1ErrorCode::CheckDigit => "check_digit",
            Gs1ErrorCode::BadLength => "bad_length",
            Gs1ErrorCode::BadCharacter => "bad_character",
            Gs1ErrorCode::UnknownAi => "unknown_ai",
            Gs1ErrorCode::InvalidDate => "invalid_date",
            Gs1ErrorCode::MissingSeparator => "missing_separator",
            Gs1ErrorCode::DuplicateAi => "duplicate_ai",
            Gs1ErrorCode::ConflictingAi => "conflicting_ai",
            Gs1ErrorCode::MissingRequiredAi => "missing_required_ai",
            Gs1ErrorCode::BadDigitalLink => "bad_digital_link",
            Gs1ErrorCode::KeyQualifierOrder => "key_qualifier_order",
            Gs1ErrorCode::Empty => "empty",
            Gs1ErrorCode::BadCountryCode => "bad_country_code",
            Gs1ErrorCode::InvalidValue => "invalid_value",
            Gs1ErrorCode::NotGs1Data => "not_gs1_data",
        }
    }

    /// The human text for this code alone, without AI details.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Gs1ErrorCode::CheckDigit => lang.pick("Check digit is wrong", "Mã kiểm tra không đúng"),
            Gs1ErrorCode::BadLength => lang.pick("Wrong length", "Độ dài không đúng"),
            Gs1ErrorCode::BadCharacter => {
                lang.pick("Character not allowed here", "Ký tự không được phép ở vị trí này")
            }
            Gs1ErrorCode::UnknownAi => lang.pick(
                "Unknown GS1 Application Identifier",
                "Số phân định ứng dụng (AI) GS1 không xác định",
            ),
            Gs1ErrorCode::InvalidDate => lang.pick("Date does not exist", "Ngày không hợp lệ"),
            Gs1ErrorCode::MissingSeparator => lang.pick(
                "Field is too long: the FNC1 (GS) separator is missing",
                "Trường quá dài: thiếu ký tự phân cách FNC1 (GS)",
            ),
            Gs1ErrorCode::DuplicateAi => lang.pick(
                "The same AI appears twice with different values",
                "Cùng một AI xuất hiện hai lần với giá trị khác nhau",
            ),
            Gs1ErrorCode::ConflictingAi => lang.pick(
                "AI may not be used together with another AI present",
                "AI không được dùng cùng với một AI khác có trong mã",
            ),
            Gs1ErrorCode::MissingRequiredAi => lang.pick(
                "AI is used without an AI it needs",
                "AI được dùng mà thiếu AI bắt buộc đi kèm",
            ),
            Gs1ErrorCode::BadDigitalLink => lang.pick(
                "Not a valid GS1 Digital Link URI",
                "URI GS1 Digital Link không hợp lệ",
            ),
            Gs1ErrorCode::KeyQualifierOrder => lang.pick(
                "Key qualifiers are not allowed for this key, out of order, or in the query string",
                "Thành phần bổ sung của khóa không được phép, sai thứ tự hoặc nằm trong chuỗi truy vấn",
            ),
            Gs1ErrorCode::Empty => lang.pick("The code is empty", "Mã trống"),
            Gs1ErrorCode::BadCountryCode => lang.pick(
                "Not an ISO 3166 numeric country code",
                "Không phải mã quốc gia dạng số theo ISO 3166",
            ),
            Gs1ErrorCode::InvalidValue => lang.pick(
                "Value not allowed for this AI",
                "Giá trị không được phép đối với AI này",
            ),
            Gs1ErrorCode::NotGs1Data => lang.pick(
                "Not GS1 data: neither a GTIN of 8, 12, 13 or 14 digits, nor an element string \
                 (brackets, a symbology identifier, a GS separator, or a start with AI 00 or 01), \
                 nor a Digital Link URI",
                "Không phải dữ liệu GS1: không phải GTIN 8, 12, 13 hoặc 14 chữ số, không phải chuỗi \
                 phần tử (dấu ngoặc, mã nhận dạng mã vạch, ký tự phân cách GS, hoặc bắt đầu bằng \
                 AI 00 hay 01), cũng không phải URI Digital Link",
            ),
        }
    }
}

impl std::fmt::Display for Gs1ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a GS1 code.
///
/// `position` is a **0-based offset in characters (Unicode scalar values, not bytes)** into the
/// input exactly as it was given to [`super::parse`] (leading white space included). It points
/// at the first offending character: the check digit itself for `check_digit`, the bad
/// character, the first character of the AI for `unknown_ai`, `duplicate_ai`,
/// `conflicting_ai` and `missing_required_ai`, the first character of the date, the first
/// character past the maximum length for `missing_separator`. In a Digital Link URI a value
/// that was percent-decoded (or a GTIN that was padded to 14 digits) is reported at the start
/// of its path segment or query value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub struct Gs1Error {
    /// The stable code.
    pub code: Gs1ErrorCode,
    /// The Application Identifier concerned, when there is one (for association errors: the AI
    /// whose rule is broken).
    pub ai: Option<String>,
    /// 0-based character offset into the input, when the problem has a place.
    pub position: Option<usize>,
}

impl Gs1Error {
    /// Builds an error.
    pub fn new(code: Gs1ErrorCode, ai: Option<&str>, position: Option<usize>) -> Gs1Error {
        Gs1Error {
            code,
            ai: ai.map(str::to_owned),
            position,
        }
    }

    /// The human-readable message in `lang`, naming the AI and, for association errors, the
    /// AIs the rule asks for (taken from the AI table, so text and rule never disagree).
    pub fn message(&self, lang: Lang) -> String {
        let text = self.code.text(lang);
        let Some(ai) = self.ai.as_deref() else {
            return text.to_owned();
        };
        let def = ai_table::lookup(ai);
        let related = match (self.code, def) {
            (Gs1ErrorCode::MissingRequiredAi, Some(def)) => join_rules(&def.requires, lang),
            (Gs1ErrorCode::ConflictingAi, Some(def)) => join_or(&def.excludes, lang),
            _ => String::new(),
        };
        if related.is_empty() {
            format!("{text} (AI {ai})")
        } else {
            let needs = match self.code {
                Gs1ErrorCode::MissingRequiredAi => lang.pick("needs", "cần"),
                _ => lang.pick("not with", "không dùng cùng"),
            };
            format!("{text} (AI {ai} {needs} AI {related})")
        }
    }
}

fn join_or(patterns: &[AiPattern], lang: Lang) -> String {
    let ais: Vec<&str> = patterns.iter().map(AiPattern::as_str).collect();
    ais.join(lang.pick(" or ", " hoặc "))
}

/// `req` rules as text: rules joined by "and", alternatives by "or", AIs needed together
/// by "+" (`01+21`).
fn join_rules(rules: &[Vec<Vec<AiPattern>>], lang: Lang) -> String {
    let rules: Vec<String> = rules
        .iter()
        .map(|alternatives| {
            let alternatives: Vec<String> = alternatives
                .iter()
                .map(|all| {
                    let ais: Vec<&str> = all.iter().map(AiPattern::as_str).collect();
                    ais.join("+")
                })
                .collect();
            alternatives.join(lang.pick(" or ", " hoặc "))
        })
        .collect();
    rules.join(lang.pick(" and ", " và "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_serialise_in_snake_case() {
        assert_eq!(Gs1ErrorCode::CheckDigit.as_str(), "check_digit");
        assert_eq!(
            Gs1ErrorCode::KeyQualifierOrder.to_string(),
            "key_qualifier_order"
        );
        let error = Gs1Error::new(Gs1ErrorCode::MissingRequiredAi, Some("10"), Some(3));
        let json = serde_json::to_string(&error).expect("serialisable");
        assert_eq!(
            json,
            r#"{"code":"missing_required_ai","ai":"10","position":3}"#
        );
    }

    #[test]
    fn messages_exist_in_both_languages_with_diacritics() {
        let error = Gs1Error::new(Gs1ErrorCode::CheckDigit, Some("01"), Some(17));
        assert_eq!(error.message(Lang::En), "Check digit is wrong (AI 01)");
        assert_eq!(error.message(Lang::Vi), "Mã kiểm tra không đúng (AI 01)");
        assert_eq!(error.to_string(), "Check digit is wrong (AI 01)");
    }

    #[test]
    fn association_messages_name_the_needed_ais_from_the_table() {
        let error = Gs1Error::new(Gs1ErrorCode::MissingRequiredAi, Some("10"), Some(0));
        let en = error.message(Lang::En);
        assert!(
            en.ends_with("(AI 10 needs AI 01 or 02 or 03 or 8006 or 8026)"),
            "{en}"
        );
        let vi = error.message(Lang::Vi);
        assert!(
            vi.contains("cần AI 01 hoặc 02 hoặc 03 hoặc 8006 hoặc 8026"),
            "{vi}"
        );
        let both = Gs1Error::new(Gs1ErrorCode::MissingRequiredAi, Some("7004"), None);
        assert!(both.message(Lang::En).ends_with("(AI 7004 needs AI 01+10)"));
        let conflict = Gs1Error::new(Gs1ErrorCode::ConflictingAi, Some("21"), None);
        assert!(conflict.message(Lang::En).contains("not with AI 235"));
    }

    #[test]
    fn every_code_has_distinct_texts() {
        use Gs1ErrorCode::*;
        let all = [
            CheckDigit,
            BadLength,
            BadCharacter,
            UnknownAi,
            InvalidDate,
            MissingSeparator,
            DuplicateAi,
            ConflictingAi,
            MissingRequiredAi,
            BadDigitalLink,
            KeyQualifierOrder,
            Empty,
            BadCountryCode,
            InvalidValue,
            NotGs1Data,
        ];
        let mut seen = std::collections::HashSet::new();
        for code in all {
            assert!(seen.insert(code.as_str()));
            assert_ne!(code.text(Lang::En), code.text(Lang::Vi));
        }
    }
}

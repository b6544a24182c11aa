//! Unit tests of tax-code parsing, checked against an independent re-implementation.

use super::*;

/// Real published codes of large Vietnamese companies (given in RULES.md).
const GIVEN_REAL_CODES: [&str; 3] = ["0100109106", "0300588569", "0101248141"];

/// Further real codes, recalled from public registers and confirmed by the checksum (a wrongly
/// remembered code would pass only by a 1-in-11 chance): Vietcombank, Vingroup, Petrolimex, EVN,
/// Hòa Phát Group, Thế Giới Di Động, Vietjet, VNPT, Sabeco, BIDV, Vietnam Airlines, VietinBank.
const MORE_REAL_CODES: [&str; 12] = [
    "0100112437",
    "0101245486",
    "0100107370",
    "0100100079",
    "0900189284",
    "0306731335",
    "0102325399",
    "0100684378",
    "0300583659",
    "0100150619",
    "0100107518",
    "0100111948",
];

/// Independent re-implementation of the 10-digit rule, written from RULES.md without sharing
/// any code or constant with the module under test.
fn reference_enterprise_valid(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n: Vec<i64> = bytes.iter().map(|b| i64::from(b - b'0')).collect();
    let sum = 31 * n[0]
        + 29 * n[1]
        + 23 * n[2]
        + 19 * n[3]
        + 17 * n[4]
        + 13 * n[5]
        + 7 * n[6]
        + 5 * n[7]
        + 3 * n[8];
    let n10 = 10 - sum % 11;
    n10 != 10 && n10 == n[9] && &code[2..9] != "0000000"
}

fn all_real_codes() -> impl Iterator<Item = &'static str> {
    GIVEN_REAL_CODES.into_iter().chain(MORE_REAL_CODES)
}

/// Every string obtained from `code` by replacing one digit with a different digit.
fn single_digit_changes(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (index, original) in code.char_indices() {
        if !original.is_ascii_digit() {
            continue;
        }
        for replacement in '0'..='9' {
            if replacement != original {
                let mut changed = code.to_owned();
                changed.replace_range(index..index + 1, &replacement.to_string());
                out.push(changed);
            }
        }
    }
    out
}

#[test]
fn real_company_codes_are_valid_enterprises() {
    for code in all_real_codes() {
        assert!(
            reference_enterprise_valid(code),
            "{code} fails the reference"
        );
        let parsed = TaxCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(parsed.kind(), TaxCodeKind::Enterprise);
        assert_eq!(parsed.to_string(), code);
        assert_eq!(parsed.parent(), None);
        assert_eq!(parsed.branch_number(), None);
    }
}

#[test]
fn every_single_digit_change_of_a_real_code_agrees_with_the_reference_and_is_invalid() {
    for code in all_real_codes() {
        let changes = single_digit_changes(code);
        assert_eq!(changes.len(), 90);
        for changed in changes {
            let expected = reference_enterprise_valid(&changed);
            assert_eq!(TaxCode::parse(&changed).is_ok(), expected, "{changed}");
            // Weights are all non-zero mod 11 and a digit change is below 11 in size, so the
            // weighted sum always moves: no single change yields another valid code.
            assert!(!expected, "{changed} from {code} is unexpectedly valid");
        }
    }
}

#[test]
fn every_single_digit_change_of_a_branch_parent_is_refused() {
    for code in GIVEN_REAL_CODES {
        let branch = format!("{code}-001");
        for changed in single_digit_changes(&branch[..10]) {
            let expected = reference_enterprise_valid(&changed);
            assert_eq!(TaxCode::parse(&format!("{changed}-001")).is_ok(), expected);
            assert_eq!(TaxCode::parse(&format!("{changed}001")).is_ok(), expected);
        }
    }
}

#[test]
fn a_wrong_check_digit_is_check_digit() {
    assert_eq!(TaxCode::parse("0100109107"), Err(TaxCodeError::CheckDigit));
}

#[test]
fn a_body_with_remainder_zero_has_no_valid_code() {
    // Find bodies whose weighted sum is a multiple of 11 with the reference arithmetic.
    let mut found = 0;
    for n in 100_000_000u32..100_000_200 {
        let body = format!("{n:09}");
        let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
        let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
        if !sum.is_multiple_of(11) {
            continue;
        }
        found += 1;
        let mut as_values = [0u8; 9];
        for (slot, d) in as_values.iter_mut().zip(&digits) {
            *slot = *d as u8;
        }
        assert_eq!(expected_check_digit(&as_values), None);
        for last in 0..=9 {
            let code = format!("{body}{last}");
            assert_eq!(
                TaxCode::parse(&code),
                Err(TaxCodeError::CheckDigit),
                "{code}"
            );
        }
    }
    assert!(found > 0);
}

#[test]
fn the_unissued_sequence_is_refused_even_with_a_right_check_digit() {
    for province in 1..=99u32 {
        let body = format!("{province:02}0000000");
        let mut values = [0u8; 9];
        for (slot, b) in values.iter_mut().zip(body.bytes()) {
            *slot = b - b'0';
        }
        let Some(check) = expected_check_digit(&values) else {
            continue;
        };
        let code = format!("{body}{check}");
        assert_eq!(TaxCode::parse(&code), Err(TaxCodeError::UnissuedSequence));
        assert_eq!(
            TaxCode::parse(&format!("{code}-001")),
            Err(TaxCodeError::UnissuedSequence)
        );
    }
}

#[test]
fn branches_are_accepted_with_and_without_dash_and_shown_with_it() {
    for code in all_real_codes() {
        for number in [1u16, 2, 17, 500, 999] {
            let dashed = format!("{code}-{number:03}");
            let plain = format!("{code}{number:03}");
            for written in [&dashed, &plain] {
                let parsed = TaxCode::parse(written).unwrap_or_else(|e| panic!("{written}: {e}"));
                assert_eq!(parsed.kind(), TaxCodeKind::Branch);
                assert_eq!(parsed.to_string(), dashed);
                assert_eq!(parsed.branch_number(), Some(number));
                let parent = parsed.parent().map(|p| p.to_string());
                assert_eq!(parent.as_deref(), Some(code));
                assert_eq!(
                    parsed.parent().map(|p| p.kind()),
                    Some(TaxCodeKind::Enterprise)
                );
            }
        }
    }
}

#[test]
fn branch_000_is_not_a_branch() {
    assert_eq!(
        TaxCode::parse("0100109106-000"),
        Err(TaxCodeError::BadBranch)
    );
    assert_eq!(
        TaxCode::parse("0100109106000"),
        Err(TaxCodeError::BadBranch)
    );
}

#[test]
fn a_branch_of_an_invalid_parent_reports_the_parent_error_first() {
    assert_eq!(
        TaxCode::parse("0100109107-001"),
        Err(TaxCodeError::CheckDigit)
    );
    assert_eq!(
        TaxCode::parse("0100109107-000"),
        Err(TaxCodeError::CheckDigit)
    );
}

#[test]
fn misplaced_or_repeated_dashes_are_bad_characters() {
    assert_eq!(
        TaxCode::parse("010010910-6001"),
        Err(TaxCodeError::BadCharacter { position: 9 })
    );
    assert_eq!(
        TaxCode::parse("0100109106--001"),
        Err(TaxCodeError::BadCharacter { position: 11 })
    );
    assert_eq!(
        TaxCode::parse("-0100109106"),
        Err(TaxCodeError::BadCharacter { position: 0 })
    );
}

#[test]
fn a_dash_must_be_followed_by_three_digits() {
    assert_eq!(TaxCode::parse("0100109106-"), Err(TaxCodeError::BadLength));
    assert_eq!(
        TaxCode::parse("0100109106-01"),
        Err(TaxCodeError::BadLength)
    );
    assert_eq!(
        TaxCode::parse("0100109106-0001"),
        Err(TaxCodeError::BadLength)
    );
    assert_eq!(
        TaxCode::parse("0100109106-12"),
        Err(TaxCodeError::BadLength)
    );
}

#[test]
fn personal_numbers_take_province_001_to_096() {
    for province in 0..=999u32 {
        let code = format!("{province:03}095000123");
        let result = TaxCode::parse(&code);
        if (1..=96).contains(&province) {
            let parsed = result.unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(parsed.kind(), TaxCodeKind::Personal);
            assert_eq!(parsed.as_str(), code);
            assert_eq!(parsed.parent(), None);
        } else {
            assert_eq!(result, Err(TaxCodeError::BadProvince), "{code}");
        }
    }
}

#[test]
fn only_surrounding_whitespace_is_removed() {
    let parsed = TaxCode::parse(" \t0100109106\n").map(|c| c.to_string());
    assert_eq!(parsed.as_deref(), Ok("0100109106"));
    assert_eq!(
        TaxCode::parse("0100 109106"),
        Err(TaxCodeError::BadCharacter { position: 4 })
    );
    assert_eq!(
        TaxCode::parse("0100.109.106"),
        Err(TaxCodeError::BadCharacter { position: 4 })
    );
}

#[test]
fn empty_and_bad_lengths() {
    assert_eq!(TaxCode::parse(""), Err(TaxCodeError::Empty));
    assert_eq!(TaxCode::parse("   "), Err(TaxCodeError::Empty));
    for len in [1usize, 9, 11, 14, 15, 40] {
        let code = "1".repeat(len);
        assert_eq!(TaxCode::parse(&code), Err(TaxCodeError::BadLength), "{len}");
    }
}

#[test]
fn non_ascii_digits_and_letters_are_bad_characters() {
    assert_eq!(
        TaxCode::parse("０100109106"),
        Err(TaxCodeError::BadCharacter { position: 0 })
    );
    assert_eq!(
        TaxCode::parse("01001091O6"),
        Err(TaxCodeError::BadCharacter { position: 8 })
    );
    assert_eq!(
        TaxCode::parse("Mã0100109106"),
        Err(TaxCodeError::BadCharacter { position: 0 })
    );
}

#[test]
fn error_codes_are_stable_and_messages_exist_in_both_languages() {
    let cases = [
        (TaxCodeError::Empty, "empty"),
        (TaxCodeError::BadLength, "bad_length"),
        (TaxCodeError::BadCharacter { position: 3 }, "bad_character"),
        (TaxCodeError::CheckDigit, "check_digit"),
        (TaxCodeError::UnissuedSequence, "unissued_sequence"),
        (TaxCodeError::BadBranch, "bad_branch"),
        (TaxCodeError::BadProvince, "bad_province"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
        let en = error.message(Lang::En);
        let vi = error.message(Lang::Vi);
        assert!(!en.is_empty() && !vi.is_empty());
        assert_ne!(en, vi);
        assert!(!vi.is_ascii(), "Vietnamese text lacks diacritics: {vi}");
        assert_eq!(error.to_string(), en);
    }
}

#[test]
fn kinds_serialise_in_snake_case_and_codes_as_canonical_strings() {
    for (kind, name) in [
        (TaxCodeKind::Enterprise, "enterprise"),
        (TaxCodeKind::Branch, "branch"),
        (TaxCodeKind::Personal, "personal"),
    ] {
        assert_eq!(kind.as_str(), name);
    }
    let parsed: Result<TaxCode, _> = "0100109106001".parse();
    assert_eq!(
        parsed.map(|c| format!("{c:?}")).as_deref(),
        Ok("TaxCode(\"0100109106-001\")")
    );
}

#[test]
fn deserialising_parses_and_reports_the_error_code() {
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;

    let branch: StrDeserializer<DeError> = "0100109106001".into_deserializer();
    let parsed = TaxCode::deserialize(branch).map(|c| c.to_string());
    assert_eq!(
        parsed.map_err(|e| e.to_string()).as_deref(),
        Ok("0100109106-001")
    );
    let wrong: StrDeserializer<DeError> = "0100109107".into_deserializer();
    let refused = TaxCode::deserialize(wrong).map_err(|e| e.to_string());
    assert_eq!(refused, Err("check_digit".to_owned()));
    let kind: StrDeserializer<DeError> = "personal".into_deserializer();
    assert_eq!(
        TaxCodeKind::deserialize(kind).ok(),
        Some(TaxCodeKind::Personal)
    );
}
